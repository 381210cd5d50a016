"""Assembles the sandbox: one ASGI app serving both MAL hosts plus `/_sandbox/` introspection."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from malclient.sandbox import api, control, oauth
from malclient.sandbox.config import SandboxConfig
from malclient.sandbox.policy import PolicyMiddleware
from malclient.sandbox.state import SandboxState
from malclient.sandbox.wire import api_error


async def _http_error(request: Request, exc: Exception) -> Response:
    # Unknown paths and methods still get a MAL-shaped body, never Starlette's plain text.
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        return api_error(404, "not_found")
    if status == 405:
        return api_error(405, "method_not_allowed")
    return api_error(status, "bad_request" if status < 500 else "internal_server_error")


async def _server_error(request: Request, exc: Exception) -> Response:
    return api_error(500, "internal_server_error")


class SandboxApp:
    """The ASGI app. `.sandbox` is its live state (tests inspect it)."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.sandbox = SandboxState(config or SandboxConfig())
        self.starlette = Starlette(
            routes=[*oauth.routes, *api.routes, *control.routes],
            exception_handlers={HTTPException: _http_error, Exception: _server_error},
        )
        self.starlette.state.sandbox = self.sandbox
        # Outside Starlette's own middleware so faults can reach the server's raw `send`.
        self._asgi = PolicyMiddleware(self.starlette, self.sandbox)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._asgi(scope, receive, send)


def create_app(config: SandboxConfig | None = None) -> SandboxApp:
    return SandboxApp(config)
