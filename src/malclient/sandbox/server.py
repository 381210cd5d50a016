"""Serving the sandbox with uvicorn: in the foreground (`mal sandbox`) or in a background thread
(tests, the demo, benchmarks) on a loopback port picked by the OS."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from malclient.sandbox.app import SandboxApp, create_app
from malclient.sandbox.config import SandboxConfig


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _uvicorn_config(app: SandboxApp, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app, log_level=log_level, access_log=False, lifespan="off", timeout_keep_alive=30
    )


class SandboxServer:
    """A sandbox on 127.0.0.1 in a background thread; a context manager.

    `url` is its origin, e.g. `http://127.0.0.1:40123`; `app.sandbox` is its live state.
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        self.app = create_app(config)
        self._socket = _bind(host, port)
        self.host, self.port = self._socket.getsockname()[:2]
        self._server = uvicorn.Server(_uvicorn_config(self.app, log_level))
        self._thread = threading.Thread(target=self._run, name="mal-sandbox", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _run(self) -> None:
        # `run` picks uvloop and httptools when installed, as `mal sandbox` does; with the
        # default loop, answers written in two parts waited ~40 ms for a delayed ACK.
        self._server.run(sockets=[self._socket])

    def start(self) -> SandboxServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(config: SandboxConfig, host: str, port: int, announce: bool = True) -> None:
    """Run in the foreground until Ctrl-C; `announce` prints what a developer needs to start."""
    app = create_app(config)
    sock = _bind(host, port)
    server = uvicorn.Server(_uvicorn_config(app, "warning"))
    if announce:
        shown = f"[{host}]" if ":" in host else host
        print(describe(app, f"http://{shown}:{sock.getsockname()[1]}"), flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def describe(app: SandboxApp, url: str) -> str:
    """The banner: base URL, apps and users, so nobody has to read the source to sign in."""
    state = app.sandbox
    lines = [
        f"MAL sandbox running at {url}",
        f"  MAL_AUTH_URL={url}/v1/oauth2   MAL_API_URL={url}/v2",
        "Apps:",
    ]
    for client in state.apps.values():
        kind = "public (no secret)" if client.is_public else "web"
        lines.append(f"  {client.name}: {kind}")
        lines.append(f"    client_id:     {client.client_id}")
        if client.client_secret is not None:
            lines.append(f"    client_secret: {client.client_secret}")
        lines.append(f"    redirect URIs: {', '.join(client.redirect_uris)}")
    lines.append("Users (name / password):")
    for user in state.catalogue.users.values():
        lines.append(f"  {user.account.name} / {user.account.password}")
    if state.auto_approve:
        lines.append(f"Auto-approving every sign-in as {state.auto_approve}.")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)
