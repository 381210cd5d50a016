"""Shared by the client tests: sandboxes, signed-in users and what the sandbox saw.

Loopback sandboxes sign users in through the real sign-in (tokens_support.sign_in); in-process
(ASGI) sandboxes, which have no sockets to redirect through, hand tokens out from their own
token store, as MAL would after a sign-in.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx2

from malclient.auth import Token
from malclient.client import AsyncClient, Client
from malclient.sandbox import WEB_APP, SandboxApp
from malclient.session import MemoryTokenStore
from tokens_support import sign_in

ASGI_ORIGIN = "http://sandbox.test"


def user_client(origin: str, **options: Any) -> Client:
    """alice, signed in through the sandbox's sign-in page, tokens kept in memory."""
    options.setdefault("rate", None)
    return Client(
        WEB_APP.client_id,
        client_secret=WEB_APP.client_secret,
        token_store=MemoryTokenStore(sign_in(origin)),
        api_url=f"{origin}/v2",
        auth_url=f"{origin}/v1/oauth2",
        **options,
    )


def public_client(origin: str, **options: Any) -> Client:
    options.setdefault("rate", None)
    return Client(WEB_APP.client_id, api_url=f"{origin}/v2", **options)


def issued_token(app: SandboxApp, user: str = "alice") -> Token:
    account = app.sandbox.catalogue.users[user].account
    access, refresh = app.sandbox.tokens.issue(WEB_APP.client_id, account.name, account.id)
    return Token.from_stored(
        access_token=access.value,
        refresh_token=refresh.value,
        expires_in=int(access.expires_at - app.sandbox.clock.now()),
        issued_at=time.time(),
        client_id=WEB_APP.client_id,
    )


def asgi_client(app: SandboxApp, user: str | None = None, **options: Any) -> AsyncClient:
    """An AsyncClient talking to `app` in-process; as `user` when given, else by client id."""
    http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=ASGI_ORIGIN)
    options.setdefault("rate", None)
    store = MemoryTokenStore(issued_token(app, user)) if user else None
    return AsyncClient(
        WEB_APP.client_id,
        client_secret=WEB_APP.client_secret,
        token_store=store,
        api_url=f"{ASGI_ORIGIN}/v2",
        auth_url=f"{ASGI_ORIGIN}/v1/oauth2",
        http=http,
        **options,
    )


def stats(origin: str) -> dict[str, Any]:
    answer: dict[str, Any] = httpx2.get(f"{origin}/_sandbox/stats").json()
    return answer


def reset_stats(origin: str) -> None:
    httpx2.post(f"{origin}/_sandbox/stats/reset").raise_for_status()


def requests_by_endpoint(app: SandboxApp) -> Counter[str]:
    """Requests the sandbox saw since the last reset, by MAL's operation id."""
    return Counter(app.sandbox.stats.requests)
