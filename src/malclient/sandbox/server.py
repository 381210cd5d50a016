"""Serving the sandbox with uvicorn: in the foreground (`mal sandbox`) or in a background thread
(tests, the demo, benchmarks) on a loopback port picked by the OS."""

from __future__ import annotations

import uvicorn

from malclient._serving import BackgroundServer, bind, origin
from malclient.sandbox.app import SandboxApp, create_app
from malclient.sandbox.config import SandboxConfig


def _uvicorn_config(app: SandboxApp, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app, log_level=log_level, access_log=False, lifespan="off", timeout_keep_alive=30
    )


class SandboxServer(BackgroundServer):
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
        super().__init__(_uvicorn_config(self.app, log_level), bind(host, port), "the sandbox")

    @property
    def url(self) -> str:
        return origin(self.host, self.port)


def serve(config: SandboxConfig, host: str, port: int, announce: bool = True) -> None:
    """Run in the foreground until Ctrl-C; `announce` prints what a developer needs to start."""
    app = create_app(config)
    sock = bind(host, port)
    server = uvicorn.Server(_uvicorn_config(app, "warning"))
    if announce:
        print(describe(app, origin(host, sock.getsockname()[1])), flush=True)
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
