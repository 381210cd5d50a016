"""Politeness simulation and fault injection, wrapped around the whole sandbox."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from malclient.sandbox.state import SandboxState


class PolicyMiddleware:
    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
