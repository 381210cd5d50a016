"""Nothing is retained: after 50 finished sign-ins the page's process holds no flow, no code, no
token and no secret in memory, has written no file, and has logged none of them (even at DEBUG).
Also `mal web` itself, as a user runs it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from web_support import (
    authorize_link,
    block_of,
    flow_field,
    heading,
    login,
    parse_block,
    register,
    start_form,
    whoami,
)

from malclient.sandbox.server import SandboxServer

WORKER = Path(__file__).with_name("web_worker.py")
FLOWS = 50


def _written_bytes(pid: int) -> int:
    """Bytes the process has sent towards storage: file writes, never sockets or pipes."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    raise AssertionError("no write_bytes in /proc/PID/io")


class Worker:
    """The page in a child process with its own empty home, temp and working directories. Its
    output goes through pipes (a log file would itself be a file written)."""

    def __init__(self, command: list[str], root: Path) -> None:
        self.dirs = {name: root / name for name in ("cwd", "home", "tmp", "config", "cache")}
        for path in self.dirs.values():
            path.mkdir()
        env = {
            **os.environ,
            "HOME": str(self.dirs["home"]),
            "TMPDIR": str(self.dirs["tmp"]),
            "XDG_CONFIG_HOME": str(self.dirs["config"]),
            "XDG_CACHE_HOME": str(self.dirs["cache"]),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("MAL_CONFIG", None)
        env.pop("MAL_WEB_KEY", None)
        self.process = subprocess.Popen(
            command,
            cwd=self.dirs["cwd"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self.first = self.process.stdout.readline().decode()
        self._chunks: list[bytes] = [self.first.encode()]
        self._readers = [
            threading.Thread(target=self._drain, args=(stream,), daemon=True)
            for stream in (self.process.stdout, self.process.stderr)
        ]
        for reader in self._readers:
            reader.start()
        found = re.search(r"(http://127\.0\.0\.1:\d+)", self.first)
        assert found, self.first
        self.url = found.group(1)

    def _drain(self, stream: IO[bytes]) -> None:
        for line in stream:
            self._chunks.append(line)

    def stop(self) -> int:
        """Ctrl-C, then the exit status; all output is in `output()` afterwards."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for reader in self._readers:
            reader.join(timeout=5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return self.process.returncode

    def output(self) -> str:
        return b"".join(self._chunks).decode(errors="replace")

    def files(self) -> list[str]:
        return sorted(
            str(path.relative_to(root)) for root in self.dirs.values() for path in root.rglob("*")
        )


@pytest.fixture
def worker(sandbox: SandboxServer, tmp_path: Path) -> Iterator[Worker]:
    running = Worker([sys.executable, str(WORKER), sandbox.url], tmp_path)
    try:
        yield running
    finally:
        running.stop()


def _flow(client: httpx2.Client, url: str, app: dict[str, str], user: str) -> list[str]:
    """One finished sign-in by the callback; returns every secret it involved."""
    started = client.post(f"{url}/start", data=start_form(app, mode="callback"))
    query = parse_qs(urlsplit(started.headers["location"]).query)
    cookie = started.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    approved = client.post(started.headers["location"], data=login(user))
    code = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
    done = client.get(approved.headers["location"])
    return [query["code_challenge"][0], query["state"][0], cookie, code, *_tokens(done, user)]


def _paste_flow(client: httpx2.Client, url: str, app: dict[str, str], user: str) -> list[str]:
    """One finished sign-in by the pasted address (Kometa's way)."""
    shown = client.post(f"{url}/start", data=start_form(app, mode="paste"))
    link = authorize_link(shown.text)
    query = parse_qs(urlsplit(link).query)
    cookie = shown.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    address = client.post(link, data=login(user)).headers["location"]
    code = parse_qs(urlsplit(address).query)["code"][0]
    done = client.post(f"{url}/paste", data={"flow": flow_field(shown.text), "address": address})
    return [query["code_challenge"][0], query["state"][0], cookie, code, *_tokens(done, user)]


def _tokens(done: httpx2.Response, user: str) -> list[str]:
    assert heading(done.text) == f"Signed in as {user}", done.text
    text = block_of(done.text)
    assert text is not None
    authorization = parse_block(text)["mal"]["authorization"]
    return [authorization["access_token"], authorization["refresh_token"]]


def test_fifty_sign_ins_leave_nothing_in_memory_on_disk_or_in_the_log(
    sandbox: SandboxServer, worker: Worker
) -> None:
    callback_app = register(sandbox.url, [f"{worker.url}/callback"])
    paste_app = register(sandbox.url, ["http://localhost/"])
    secrets = {callback_app["client_secret"], paste_app["client_secret"]}
    users = ("alice", "bob", "carol")
    written_before = _written_bytes(worker.process.pid)
    for number in range(FLOWS):
        with httpx2.Client() as client:
            if number % 5 == 4:
                secrets.update(_paste_flow(client, worker.url, paste_app, users[number % 3]))
            else:
                secrets.update(_flow(client, worker.url, callback_app, users[number % 3]))
    assert len(secrets) == 2 + FLOWS * 6  # every secret was distinct
    # A flow left half-way (the user never came back) must not be kept either.
    with httpx2.Client() as client:
        started = client.post(f"{worker.url}/start", data=start_form(callback_app))
        secrets.add(parse_qs(urlsplit(started.headers["location"]).query)["code_challenge"][0])

    fingerprints = {hashlib.sha256(secret.encode()).hexdigest() for secret in secrets}
    # A string the page does keep (a header name), to show the memory search finds things.
    control = hashlib.sha256(b"Content-Security-Policy").hexdigest()
    report = httpx2.post(
        f"{worker.url}/_inspect", content=json.dumps(sorted(fingerprints | {control}))
    )
    inside = report.json()
    assert inside["state"] == {"config": "WebConfig", "sealer": "Sealer", "http": "_Http"}
    assert inside["sealer"] == ["_aead", "_clock", "ttl"]
    assert inside["alive"] == {}  # no Flow, PendingAuthorization, Token, Callback or Result
    assert inside["found"] == [control], inside["where"]  # and no secret in the process
    assert _written_bytes(worker.process.pid) == written_before
    assert worker.files() == []

    assert worker.stop() == 0
    log = worker.output()
    assert "DEBUG" in log  # it did log, at the most talkative level
    leaked = [secret[:12] for secret in secrets if secret in log]
    assert leaked == []


def test_mal_web_serves_the_page_and_stops_on_ctrl_c(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "malclient", "web", "--port", "0", "--sandbox", sandbox.url]
    page = Worker(command, tmp_path)
    try:
        assert page.first.startswith(f"MyAnimeList sign-in page at {page.url}/")
        app = register(sandbox.url, [f"{page.url}/callback"])
        with httpx2.Client() as client:
            secrets = _flow(client, page.url, app, "bob")
        assert whoami(sandbox.url, secrets[-2]) == "bob"
    finally:
        code = page.stop()
    assert code == 0
    output = page.output()
    assert f"Redirect URL to register for apps: {page.url}/callback" in output
    assert f"Signs in at {sandbox.url}/v1/oauth2" in output
    assert [secret for secret in [*secrets, app["client_secret"]] if secret in output] == []
    assert page.files() == []


def test_mal_web_explains_a_busy_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "malclient", "web", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert f"mal: Cannot listen on 127.0.0.1:{port}" in result.stderr
