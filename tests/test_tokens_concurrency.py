"""Single flight: everyone who finds the token expired at once causes exactly one refresh grant.

Real sandbox on a loopback port, real config file, tokens from the real sign-in. "Expired" is
tested both ways it happens: the local clock says so (refresh before calling), or only MAL
knows (every worker's call gets 401 and asks for a refresh at the same moment).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from malclient.config import read_settings
from malclient.sandbox import WEB_APP
from malclient.sandbox.server import SandboxServer
from malclient.session import AsyncSession, ConfigTokenStore, Session, TokenManager
from tokens_support import (
    ACCESS_TTL,
    advance,
    kometa_config,
    refresh_grants,
    sandbox_config,
    sign_in,
    web_app,
)

WORKER = Path(__file__).with_name("tokens_worker.py")
EXPIRED = ACCESS_TTL + 60
# Clock offsets of the clients: 0 = only the sandbox knows (401s), EXPIRED = both know.
WAYS = pytest.mark.parametrize(
    "offset", [0, EXPIRED], ids=["expiry-seen-by-mal-401", "expiry-seen-by-local-clock"]
)


@WAYS
def test_32_threads_and_32_async_tasks_cause_one_refresh(tmp_path: Path, offset: float) -> None:
    with SandboxServer(sandbox_config()) as sandbox:
        origin = sandbox.url
        path = kometa_config(tmp_path)
        ConfigTokenStore(path, WEB_APP.client_id).save(sign_in(origin))
        manager = TokenManager(
            web_app(origin),
            ConfigTokenStore(path, WEB_APP.client_id),
            clock=lambda: time.time() + offset,
        )
        if not offset:
            manager.token()  # loaded and, by the local clock, valid
        advance(origin, EXPIRED)

        go = threading.Event()
        thread_names: list[object] = []

        def thread_worker(session: Session) -> None:
            go.wait()
            try:
                thread_names.append(session.request("GET", "/users/@me")["name"])
            except Exception as exc:
                thread_names.append(exc)

        async def tasks() -> list[object]:
            async with AsyncSession(manager, api_url=f"{origin}/v2") as session:
                start = asyncio.Event()

                async def one() -> object:
                    await start.wait()
                    return (await session.request("GET", "/users/@me"))["name"]

                pending = [asyncio.create_task(one()) for _ in range(32)]
                await asyncio.sleep(0.05)  # every task waits at the start line
                go.set()
                start.set()
                return await asyncio.gather(*pending, return_exceptions=True)

        with Session(manager, api_url=f"{origin}/v2") as session:
            threads = [threading.Thread(target=thread_worker, args=(session,)) for _ in range(32)]
            for thread in threads:
                thread.start()
            task_names = asyncio.run(tasks())
            for thread in threads:
                thread.join(60)

        assert thread_names == ["alice"] * 32
        assert task_names == ["alice"] * 32
        assert refresh_grants(origin) == 1
        saved = read_settings(path).authorization
        assert saved is not None
        assert saved.access_token == manager.token().access_token


@WAYS
def test_four_processes_sharing_one_config_cause_one_refresh(tmp_path: Path, offset: float) -> None:
    with SandboxServer(sandbox_config()) as sandbox:
        origin = sandbox.url
        path = kometa_config(tmp_path)
        ConfigTokenStore(path, WEB_APP.client_id).save(sign_in(origin))
        go = tmp_path / "go"
        ready = [tmp_path / f"ready-{n}" for n in range(4)]
        command = [sys.executable, str(WORKER), str(path), origin]
        processes = [
            subprocess.Popen(
                [*command, str(mark), str(go), str(offset), "8"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for mark in ready
        ]
        try:
            deadline = time.monotonic() + 60
            while not all(mark.exists() for mark in ready):
                assert all(p.poll() is None for p in processes), "a worker died while starting"
                assert time.monotonic() < deadline, "workers did not start within 60 s"
                time.sleep(0.01)
            advance(origin, EXPIRED)
            go.touch()
            outputs = [p.communicate(timeout=60) for p in processes]
        finally:
            for p in processes:
                if p.poll() is None:
                    p.kill()
                    p.wait()

        for process, (out, err) in zip(processes, outputs, strict=True):
            assert process.returncode == 0, err
            result = json.loads(out.strip().splitlines()[-1])
            assert result["errors"] == []
            assert result["names"] == ["alice"] * 8
        assert refresh_grants(origin) == 1
