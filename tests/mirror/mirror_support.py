"""Shared by the mirror tests: clients on a loopback sandbox, what the sandbox holds, and what
it was asked."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx2

from malclient.auth import Token
from malclient.client import AsyncClient, Client
from malclient.mirror import ListMirror
from malclient.models import AnimeListEntry
from malclient.sandbox import WEB_APP, SandboxApp
from malclient.sandbox.server import SandboxServer
from malclient.session import MemoryTokenStore
from tokens_support import sign_in

LIST_REQUESTS = "users_user_id_animelist_get"
ASGI_ORIGIN = "http://sandbox.test"

AnimeMirror = ListMirror[AnimeListEntry]


def public_client(origin: str, **options: Any) -> Client:
    """Reads public lists with the client id, unpaced (the sandbox's rate policy is off)."""
    options.setdefault("rate", None)
    return Client(WEB_APP.client_id, api_url=f"{origin}/v2", **options)


def user_client(origin: str) -> Client:
    """The user the sandbox auto-approves, signed in through the real sign-in."""
    return Client(
        WEB_APP.client_id,
        client_secret=WEB_APP.client_secret,
        token_store=MemoryTokenStore(sign_in(origin)),
        api_url=f"{origin}/v2",
        auth_url=f"{origin}/v1/oauth2",
        rate=None,
    )


def sandbox_list(server: SandboxServer, user: str) -> dict[int, str]:
    """The user's anime list as the sandbox holds it: id -> status."""
    entries = server.app.sandbox.catalogue.users[user].animelist
    return {item_id: str(entry["status"]) for item_id, entry in entries.items()}


def list_requests(origin: str) -> int:
    """Requests for a user's anime list since the last reset."""
    stats = httpx2.get(f"{origin}/_sandbox/stats").json()
    return int(stats["requests"].get(LIST_REQUESTS, 0))


def reset_stats(origin: str) -> None:
    httpx2.post(f"{origin}/_sandbox/stats/reset").raise_for_status()


def after_list_pages(count: int, action: Callable[[], object]) -> httpx2.Client:
    """An HTTP client that runs `action` once, after `count` list pages have been answered."""
    seen = 0

    def hook(response: httpx2.Response) -> None:
        nonlocal seen
        if response.request.url.path.endswith("/animelist"):
            seen += 1
            if seen == count:
                action()

    return httpx2.Client(event_hooks={"response": [hook]})


def asgi_client(app: SandboxApp, user: str | None = None) -> AsyncClient:
    """An AsyncClient talking to `app` in-process: as `user` (a token the sandbox issues, as
    MAL would after a sign-in) when given, else by client id."""
    http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=ASGI_ORIGIN)
    store = None
    if user is not None:
        account = app.sandbox.catalogue.users[user].account
        access, refresh = app.sandbox.tokens.issue(WEB_APP.client_id, account.name, account.id)
        token = Token.from_stored(
            access_token=access.value,
            refresh_token=refresh.value,
            expires_in=int(access.expires_at - app.sandbox.clock.now()),
            issued_at=time.time(),
            client_id=WEB_APP.client_id,
        )
        store = MemoryTokenStore(token)
    return AsyncClient(
        WEB_APP.client_id,
        client_secret=WEB_APP.client_secret,
        token_store=store,
        api_url=f"{ASGI_ORIGIN}/v2",
        auth_url=f"{ASGI_ORIGIN}/v1/oauth2",
        http=http,
        rate=None,
    )
