"""Assembles the sandbox: one ASGI app serving both MAL hosts plus `/_sandbox/` introspection."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from malclient.sandbox import api, control, oauth
from malclient.sandbox.config import SandboxConfig
from malclient.sandbox.policy import STATUS_KEY, PolicyMiddleware
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


_log = logging.getLogger("malclient.sandbox")


class _ApiDispatch:
    """Sends `/v2` requests straight to their handlers; everything else goes to Starlette.

    Starlette's router tries every route's pattern in turn inside two exception layers, which was
    over a third of the sandbox's time per request (bench/sandbox.py). MAL's paths have a fixed
    shape, so the candidates are found by (number of segments, resource name). Anything not
    matched here (unknown path, wrong method) falls through to Starlette's MAL-shaped 404/405.
    """

    def __init__(self, starlette: Starlette, routes: list[BaseRoute]) -> None:
        self.starlette = starlette
        self._table: dict[tuple[int, str], list[Route]] = {}
        for route in routes:
            if isinstance(route, Route):
                parts = route.path.split("/")
                self._table.setdefault((len(parts), parts[2]), []).append(route)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and path.startswith("/v2/"):
            parts = path.split("/", 4)
            method = scope["method"]
            for route in self._table.get((path.count("/") + 1, parts[2]), ()):
                match = route.path_regex.match(path)
                if match and route.methods and method in route.methods:
                    scope["app"] = self.starlette
                    scope["endpoint"] = route.endpoint
                    scope["path_params"] = match.groupdict()
                    try:
                        response = await route.endpoint(Request(scope, receive))
                    except Exception:
                        _log.exception("sandbox handler failed: %s %s", method, path)
                        response = api_error(500, "internal_server_error")
                    scope[STATUS_KEY] = response.status_code
                    await response(scope, receive, send)
                    return

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                scope[STATUS_KEY] = message["status"]
            await send(message)

        await self.starlette(scope, receive, recording_send)


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
        dispatch: ASGIApp = _ApiDispatch(self.starlette, api.routes)
        self._asgi = PolicyMiddleware(dispatch, self.sandbox)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._asgi(scope, receive, send)


def create_app(config: SandboxConfig | None = None) -> SandboxApp:
    return SandboxApp(config)
