"""The `mal` command as a user runs it: a real process."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from malclient.sandbox.config import WEB_APP

MAL = [sys.executable, "-m", "malclient"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MAL, *args], capture_output=True, text=True, timeout=60, check=False)


def test_help_lists_commands_with_examples() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "sandbox" in result.stdout
    sandbox_help = run("sandbox", "--help").stdout
    assert "Examples" in sandbox_help
    assert "--auto-approve" in sandbox_help


def test_help_imports_no_http_web_or_sandbox_stack() -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['mal', '--help']\n"
        "try:\n    runpy.run_module('malclient', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'httpx2', 'httpx', 'starlette', 'uvicorn', 'msgspec', 'ruamel'} "
        "or m.startswith('malclient.sandbox'))\n"
        "print('HEAVY=' + repr(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    heavy = result.stdout.rsplit("HEAVY=", 1)[1].strip()
    assert heavy == "[]"


@pytest.fixture
def sandbox_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [*MAL, "sandbox", "--port", "0", "--auto-approve", "bob", "--access-token-ttl", "3600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"running at (http://127\.0\.0\.1:\d+)", first)
    assert match, first
    try:
        yield process, match.group(1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        assert process.stderr is not None
        process.stderr.close()


def test_sandbox_command_serves_prints_credentials_and_stops_on_ctrl_c(
    sandbox_process: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = sandbox_process
    info = httpx2.get(f"{url}/_sandbox/").json()
    assert info["settings"]["auto_approve"] == "bob"
    assert info["settings"]["access_token_ttl"] == 3600
    boards = httpx2.get(f"{url}/v2/forum/boards", headers={"X-MAL-CLIENT-ID": WEB_APP.client_id})
    assert boards.status_code == 200
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0
    assert process.stdout is not None
    assert process.stderr is not None
    out, err = process.stdout.read(), process.stderr.read()
    assert "Traceback" not in err
    assert WEB_APP.client_id in out
    assert "alice / alice-sandbox" in out


def test_sandbox_command_rejects_bad_settings_with_a_reason() -> None:
    result = run("sandbox", "--faults", "503=7")
    assert result.returncode != 0
    assert "between 0 and 1" in result.stderr
    result = run("sandbox", "--auto-approve", "mallory")
    assert result.returncode != 0
    assert "mallory" in result.stderr


def test_sandbox_command_explains_a_busy_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("sandbox", "--port", str(port))
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_demo_runs_end_to_end() -> None:
    result = subprocess.run(
        [sys.executable, "examples/demo.py"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stderr
    assert "Signed in as alice" in result.stdout
    assert re.search(r"\$ mal list inc \d+\n   Now anime \d+: watching", result.stdout)
    assert "$ mal list show --status watching" in result.stdout
    assert "Sandbox stopped." in result.stdout
    # Tokens and the verifier are long unbroken strings; none may be printed.
    assert not re.search(r"[A-Za-z0-9_.~-]{43,}", result.stdout)


def test_the_kept_top_level_help_is_what_cyclopts_renders() -> None:
    # `mal --help` prints a kept copy to start fast; it must never drift from the real help.
    from malclient.cli._help import KEPT, render

    assert KEPT.read_text(encoding="utf-8") == render(), (
        "the command tree changed: run `python -m malclient.cli._help` to refresh the kept help"
    )
    assert run("--help").stdout == KEPT.read_text(encoding="utf-8")
    assert run().stdout == KEPT.read_text(encoding="utf-8")
