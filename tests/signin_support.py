"""Shared by the sign-in tests: a scripted browser and terminal, and running `mal` for real.

The browser is httpx2 doing what a person's browser does: open the authorize URL, submit the
sandbox's login form (Allow or Cancel), follow the redirect to malclient's loopback listener.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx2

from malclient.sandbox.server import SandboxServer
from malclient.settings import Settings

MAL = [sys.executable, "-m", "malclient"]
TESTS = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def grants(sandbox: SandboxServer) -> dict[str, int]:
    stats = httpx2.get(f"{sandbox.url}/_sandbox/stats").json()
    return dict(stats["grants"])


def settings_for(
    sandbox: SandboxServer, path: Path, client_id: str, client_secret: str | None
) -> Settings:
    return Settings.resolve(
        config=path, sandbox=sandbox.url, client_id=client_id, client_secret=client_secret, env={}
    )


class ScriptedTerminal:
    """A person at a terminal: `lines` are what they paste (callables run when asked)."""

    def __init__(
        self, *, interactive: bool = False, lines: list[str | Callable[[], str]] | None = None
    ) -> None:
        self._interactive = interactive
        self.lines = list(lines or [])
        self.said: list[str] = []

    @property
    def interactive(self) -> bool:
        return self._interactive

    def say(self, text: str) -> None:
        self.said.append(text)

    def ask(self, prompt: str, *, stop: threading.Event | None = None) -> str | None:
        if self.lines:
            line = self.lines.pop(0)
            return line() if callable(line) else line
        if stop is None:
            raise EOFError
        assert stop.wait(30), "nothing arrived and nothing left to paste"
        return None

    @property
    def text(self) -> str:
        return "\n".join(self.said)


def allow_or_cancel(authorize_url: str, decision: str = "allow") -> str:
    """Open the authorize page, sign in as alice, press a button; return where MAL redirects."""
    with httpx2.Client(timeout=30) as browser:
        page = browser.get(authorize_url)
        assert page.status_code == 200, page.text
        assert 'name="password"' in page.text
        answer = browser.post(
            authorize_url,
            data={"username": "alice", "password": "alice-sandbox", "decision": decision},
        )
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]


class Browser:
    """A scripted browser in its own thread, as `SignIn(browser=...)` expects."""

    def __init__(
        self,
        decision: str = "allow",
        *,
        before: list[str] | None = None,
        tamper: Callable[[str], str] | None = None,
    ) -> None:
        self.decision = decision
        self.before = before or []  # other requests to the listener first
        self.tamper = tamper
        self.pages: list[httpx2.Response] = []
        self.stray: list[int] = []
        self.thread: threading.Thread | None = None

    def __call__(self, url: str) -> bool:
        self.thread = threading.Thread(target=self._run, args=(url,), daemon=True)
        self.thread.start()
        return True

    def _run(self, url: str) -> None:
        location = allow_or_cancel(url, self.decision)
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(location))
        with httpx2.Client(timeout=30) as browser:
            for path in self.before:
                self.stray.append(browser.get(origin + path).status_code)
            if self.tamper is not None:
                location = self.tamper(location)
            self.pages.append(browser.get(location))

    def page(self) -> httpx2.Response:
        assert self.thread is not None
        self.thread.join(30)
        assert self.pages, "the browser never got a page"
        return self.pages[0]


def clean_env(**extra: str) -> dict[str, str]:
    """The user's environment without anything that would point malclient elsewhere."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MAL_") and key not in {"BROWSER", "DISPLAY", "WAYLAND_DISPLAY"}
    }
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def mal(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `mal` as a user would, in a process of its own."""
    return subprocess.run(
        [*MAL, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env if env is not None else clean_env(),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )
