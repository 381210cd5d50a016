"""Shared by the `mal` command tests: run the command in-process or as a real process against a
sandbox, with alice signed in through the real sign-in and her tokens in a Kometa config."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from malclient.auth import Token
from malclient.config import StoredTokens, write_authorization
from tokens_support import kometa_config


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_mal(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """`mal ARGS` in this process, as a user would type it; returns exit status and output."""
    from malclient.cli.app import app

    capsys.readouterr()
    code = 0
    try:
        app(list(args), exit_on_error=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def run_process(*args: str, env: dict[str, str] | None = None) -> Result:
    """`mal ARGS` as a separate process (by default with this one's environment)."""
    env = env or {**os.environ, "MAL_RATE": "off", "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "malclient", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def run_on_terminal(*args: str, answer: bytes = b"", **env: str) -> tuple[int, str]:
    """`mal ARGS` with stdin, stdout and stderr on a pseudo-terminal, typing `answer`; returns
    the exit status and everything the terminal showed. `env` adds to this environment."""
    import pty

    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "malclient", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "MAL_RATE": "off", "COLUMNS": "120", **env},
    )
    os.close(slave)
    if answer:
        os.write(master, answer)
    screen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        screen += chunk
    os.close(master)
    return process.wait(timeout=60), screen.decode("utf-8", errors="replace")


def signed_in_config(directory: Path, token: Token) -> Path:
    """A Kometa config holding the sandbox web app and `token`, as `mal auth login` leaves it."""
    path = kometa_config(directory)
    write_authorization(
        path,
        StoredTokens(
            access_token=token.access_token,
            refresh_token=token.refresh_token,
            token_type=token.token_type,
            expires_in=token.expires_in,
            issued_at=token.issued_at,
            client_id=token.client_id,
        ),
    )
    return path


def requests(origin: str) -> Counter[str]:
    """Requests the sandbox answered, by MAL operation (`anime_anime_id_my_list_status_put`)."""
    answer: dict[str, Any] = httpx2.get(f"{origin}/_sandbox/stats").json()
    return Counter(answer["requests"])


def reset(origin: str) -> None:
    httpx2.post(f"{origin}/_sandbox/stats/reset").raise_for_status()


def patches(origin: str) -> int:
    counts = requests(origin)
    return counts["anime_anime_id_my_list_status_put"] + counts["manga_manga_id_my_list_status_put"]
