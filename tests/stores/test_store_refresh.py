"""`TokenManager` over a database store, against the real sandbox: whoever finds a user's token
stale, MAL sees one refresh, and everyone ends up with the tokens that refresh saved."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from stores_support import CLIENT_ID, sign_in_as, stats

from malclient import ReauthorizationRequired
from malclient.sandbox.server import SandboxServer
from malclient.session import AsyncSession, Session, TokenManager
from malclient.stores import SQLTokenStore
from tokens_support import ACCESS_TTL, advance, sandbox_config, web_app

Opener = Callable[..., SQLTokenStore[Any]]
EXPIRED = ACCESS_TTL + 60
ALICE = 7012345


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(sandbox_config()) as running:
        yield running


def refresh_grants(origin: str, user: str = "alice") -> int:
    return int(stats(origin)["grants_by_user"].get(user, {}).get("refresh_token", 0))


@pytest.mark.parametrize(
    "offset", [0, EXPIRED], ids=["expiry-seen-by-mal-401", "expiry-seen-by-local-clock"]
)
def test_eight_managers_and_their_threads_cause_one_refresh(
    open_store: Opener, sandbox: SandboxServer, offset: float
) -> None:
    origin = sandbox.url
    store = open_store()
    store.put(sign_in_as(origin, "alice"), user_name="alice")
    # Eight managers stand for eight processes: each has only the store in common.
    sessions = [
        Session(
            TokenManager(
                web_app(origin),
                open_store().for_user(CLIENT_ID, ALICE),
                clock=lambda: time.time() + offset,
            ),
            api_url=f"{origin}/v2",
        )
        for _ in range(8)
    ]
    for session in sessions:
        if not offset:
            assert session.manager is not None
            session.manager.token()  # loaded, and valid by the local clock
    before = refresh_grants(origin)
    advance(origin, EXPIRED)
    start = threading.Barrier(32)
    names: list[object] = []

    def call(session: Session) -> None:
        start.wait()
        try:
            names.append(session.request("GET", "/users/@me")["name"])
        except Exception as exc:
            names.append(exc)

    threads = [threading.Thread(target=call, args=(sessions[n % 8],)) for n in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for session in sessions:
        session.close()
    assert names == ["alice"] * 32
    assert refresh_grants(origin) - before == 1
    stored = store.get(CLIENT_ID, ALICE)
    assert stored is not None
    assert not stored.expired(time.time() + offset)


def test_async_sessions_refresh_through_the_store_once(
    open_store: Opener, sandbox: SandboxServer
) -> None:
    origin = sandbox.url
    store = open_store()
    store.put(sign_in_as(origin, "alice"))
    before = refresh_grants(origin)
    advance(origin, EXPIRED)

    async def main() -> list[Any]:
        managers = [
            TokenManager(web_app(origin), open_store().for_user(CLIENT_ID, ALICE)) for _ in range(4)
        ]
        sessions = [AsyncSession(m, api_url=f"{origin}/v2") for m in managers]
        try:
            calls = [sessions[n % 4].request("GET", "/users/@me") for n in range(24)]
            return [answer["name"] for answer in await asyncio.gather(*calls)]
        finally:
            for session in sessions:
                await session.aclose()

    assert asyncio.run(main()) == ["alice"] * 24
    assert refresh_grants(origin) - before == 1


def test_a_refused_refresh_leaves_the_stored_tokens_alone(
    open_store: Opener, sandbox: SandboxServer
) -> None:
    origin = sandbox.url
    store = open_store()
    token = sign_in_as(origin, "carol")
    store.put(token)
    user_id = 7012347
    assert token.claims is not None
    assert token.claims.user_id == user_id
    answer = httpx2.post(f"{origin}/_sandbox/users/carol/revoke")
    assert answer.status_code == 200
    manager = TokenManager(web_app(origin), store.for_user(CLIENT_ID, user_id))
    with (
        Session(manager, api_url=f"{origin}/v2") as session,
        pytest.raises(ReauthorizationRequired),
    ):
        session.request("GET", "/users/@me")
    assert store.get(CLIENT_ID, user_id) == token
