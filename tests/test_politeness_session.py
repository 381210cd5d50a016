"""Politeness at the session level, against a real sandbox on loopback: exports that survive MAL's
bad days, crawls that are never banned, one rate budget shared by sync and async callers,
throttles answered with a cool-down, and logs that say what happened without a secret."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from malclient import RateLimited, ServerError, Throttled
from malclient._protocol import ApiRequest, Value
from malclient._transport import Pipeline, shown_target
from malclient.sandbox import WEB_APP, SandboxConfig
from malclient.sandbox.config import Faults
from malclient.sandbox.server import SandboxServer
from malclient.session import (
    AsyncSession,
    MemoryTokenStore,
    RateLimiter,
    RetryPolicy,
    Session,
    TokenManager,
)
from politeness_support import requests_seen, reset_stats, stats
from tokens_support import sandbox_config, sandbox_settings, sign_in, web_app

# Quick waits, so MAL's bad days take milliseconds here; the logic is the same at real scale.
FAST = RetryPolicy(retries=5, backoff=0.02, max_backoff=0.2, cool_down=0.2, max_cool_down=1.0)
# About 10% of requests fail: gateway errors, dropped connections, bodies cut in half. This seed
# makes the export below meet a 503, two 500s and a dropped connection.
TEN_PERCENT = "500=0.02,502=0.02,503=0.03,drop=0.02,truncate=0.01,seed=5"
BOBS_LIST = "/users/bob/animelist"
EXPORT: dict[str, Value] = {"limit": 1000, "fields": "list_status", "nsfw": "true"}
ONE: dict[str, Value] = {"ranking_type": "all", "limit": 1}


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(sandbox_config(anime_count=600)) as running:
        yield running


@pytest.fixture
def sandbox(server: SandboxServer) -> str:
    return server.url


def public(origin: str, **options: Any) -> Session:
    return Session(WEB_APP.client_id, api_url=f"{origin}/v2", **options)


def async_public(origin: str, **options: Any) -> AsyncSession:
    return AsyncSession(WEB_APP.client_id, api_url=f"{origin}/v2", **options)


def anime_ids(server: SandboxServer, count: int) -> list[int]:
    return sorted(server.app.sandbox.catalogue.anime)[:count]


# --- acceptance: a whole export under faults ------------------------------------------------------


@pytest.fixture
def faulty_bob() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(faults=Faults.parse(TEN_PERCENT))) as running:
        yield running


def expected_list(server: SandboxServer) -> dict[int, str]:
    entries = server.app.sandbox.catalogue.users["bob"].animelist
    return {anime_id: entry["status"] for anime_id, entry in entries.items()}


def check_export(server: SandboxServer, exported: list[tuple[int, str]]) -> None:
    ids = [anime_id for anime_id, _ in exported]
    assert len(ids) == len(set(ids)), "duplicates"
    assert dict(exported) == expected_list(server)  # same ids, same statuses, nothing missing
    assert len(exported) >= 10_000
    assert sum(stats(server.url)["faults"].values()) >= 3  # the faults did happen


def test_exporting_bobs_list_at_ten_percent_faults_yields_exactly_the_sandboxs_list(
    faulty_bob: SandboxServer,
) -> None:
    exported: list[tuple[int, str]] = []
    with public(faulty_bob.url, retries=FAST) as session:
        page = session.request("GET", BOBS_LIST, params=EXPORT)
        while True:
            exported += [(e["node"]["id"], e["list_status"]["status"]) for e in page["data"]]
            if not page["paging"].get("next"):
                break
            page = session.request("GET", page["paging"]["next"])
    check_export(faulty_bob, exported)


def test_an_async_export_at_ten_percent_faults_is_just_as_complete(
    faulty_bob: SandboxServer,
) -> None:
    async def export() -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []
        async with async_public(faulty_bob.url, retries=FAST) as session:
            page = await session.request("GET", BOBS_LIST, params=EXPORT)
            while True:
                found += [(e["node"]["id"], e["list_status"]["status"]) for e in page["data"]]
                if not page["paging"].get("next"):
                    return found
                page = await session.request("GET", page["paging"]["next"])

    check_export(faulty_bob, asyncio.run(export()))


# --- acceptance: a crawl under the rate policy ----------------------------------------------------


def test_a_crawl_of_500_anime_at_the_policys_rate_is_never_banned(server: SandboxServer) -> None:
    # MAL's limit scaled up 50x to keep the test short: the same logic as 2 req/s.
    sandbox_settings(server.url, rate_limit="rate=100,burst=5,ban-after=5,ban-seconds=600")
    wanted = anime_ids(server, 500)

    async def crawl() -> list[int]:
        queue = list(wanted)
        found: list[int] = []
        async with async_public(server.url, rate=RateLimiter(100, burst=1), retries=FAST) as s:

            async def worker() -> None:
                while queue:
                    found.append((await s.request("GET", f"/anime/{queue.pop()}"))["id"])

            await asyncio.gather(*(worker() for _ in range(8)))
        return found

    assert sorted(asyncio.run(crawl())) == wanted
    seen = stats(server.url)
    assert seen["banned"] == 0
    assert seen["busiest_second"] <= 100 + 5


# --- one budget for sync and async callers --------------------------------------------------------


def run_both(origin: str, sync_limiter: RateLimiter, async_limiter: RateLimiter) -> int:
    """25 requests from a Session in a thread and 25 from an AsyncSession at the same time;
    returns how many MAL refused as too fast."""
    refused = [0]
    lock = threading.Lock()

    def count(call: Any) -> Any:
        try:
            return call()
        except Throttled:
            with lock:
                refused[0] += 1
            return None

    def sync_side() -> None:
        with public(origin, rate=sync_limiter) as session:
            for _ in range(25):
                count(lambda: session.request("GET", "/anime/ranking", params=ONE))

    async def async_side() -> None:
        async with async_public(origin, rate=async_limiter) as session:

            async def one() -> None:
                try:
                    await session.request("GET", "/anime/ranking", params=ONE)
                except Throttled:
                    with lock:
                        refused[0] += 1

            for _ in range(5):
                await asyncio.gather(*(one() for _ in range(5)))

    thread = threading.Thread(target=sync_side)
    thread.start()
    asyncio.run(async_side())
    thread.join()
    return refused[0]


def test_a_session_and_an_async_session_sharing_a_limiter_stay_within_the_policy_together(
    sandbox: str,
) -> None:
    sandbox_settings(sandbox, rate_limit="rate=40,burst=3,ban-after=1000")
    shared = RateLimiter(40, burst=1)
    assert run_both(sandbox, shared, shared) == 0
    assert stats(sandbox)["statuses"] == {"200": 50}
    # Each side alone within the policy, together over it: this is what sharing prevents.
    sandbox_settings(sandbox, rate_limit="rate=40,burst=3,ban-after=1000")
    assert run_both(sandbox, RateLimiter(40, burst=1), RateLimiter(40, burst=1)) > 0


# --- throttles ------------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["sync", "async"])
def test_a_throttled_request_cools_down_and_then_succeeds(
    sandbox: str, side: str, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox_settings(sandbox, rate_limit="rate=10,burst=2,ban-after=1000")
    caplog.set_level(logging.WARNING, logger="malclient")
    limiter = RateLimiter(100, burst=10)  # far too fast for this MAL
    if side == "sync":
        with public(sandbox, rate=limiter, retries=FAST) as session:
            answers = [session.request("GET", "/anime/ranking", params=ONE) for _ in "123456"]
    else:

        async def main() -> list[Any]:
            async with async_public(sandbox, rate=limiter, retries=FAST) as session:
                return [
                    await session.request("GET", "/anime/ranking", params=ONE) for _ in "123456"
                ]

        answers = asyncio.run(main())
    assert len(answers) == 6
    assert stats(sandbox)["throttled"] > 0
    assert limiter.rate < 100  # it slowed down
    assert "refused it as too fast" in caplog.text
    assert "holding all requests" in caplog.text


def test_throttling_that_outlasts_the_cool_downs_ends_in_rate_limited(sandbox: str) -> None:
    sandbox_settings(sandbox, rate_limit="rate=1,burst=1,ban-after=1,ban-seconds=600,html")
    policy = RetryPolicy(throttle_retries=2, cool_down=0.05, max_cool_down=0.1)
    with public(sandbox, retries=policy) as session:
        session.request("GET", "/anime/ranking", params=ONE)
        reset_stats(sandbox)
        with pytest.raises(RateLimited) as caught:
            session.request("GET", "/anime/ranking", params=ONE)
    assert requests_seen(sandbox) == 3  # the first try and two retries, then no more
    message = str(caught.value)
    assert "kept refusing GET /v2/anime/ranking" in message
    assert "HTML block page" in message
    assert "after 2 cool-downs" in message
    assert "MAL_RATE=1" in message
    assert isinstance(caught.value, Throttled)


def test_a_403_for_missing_credentials_is_not_retried(sandbox: str) -> None:
    bare = ApiRequest(
        "GET", f"{sandbox}/v2/anime/ranking", params=(("ranking_type", "all"), ("limit", "1"))
    )
    with httpx2.Client() as http:
        answer = Pipeline(retry=FAST, limiter=RateLimiter(100)).send(http, bare)
    assert answer.status == 403
    assert requests_seen(sandbox) == 1


# --- failures other than throttles ----------------------------------------------------------------


def test_gateway_errors_are_retried_then_reported(sandbox: str) -> None:
    sandbox_settings(sandbox, faults="503=1")
    policy = RetryPolicy(retries=2, backoff=0.01)
    with public(sandbox, retries=policy) as session, pytest.raises(ServerError) as caught:
        session.request("GET", "/anime/ranking", params=ONE)
    assert caught.value.status == 503
    assert stats(sandbox)["faults"] == {"503": 3}


def test_dropped_connections_are_retried_until_an_answer_comes(sandbox: str) -> None:
    sandbox_settings(sandbox, faults="drop=0.5,seed=1")
    with public(sandbox, retries=RetryPolicy(retries=8, backoff=0.01)) as session:
        answers = [session.request("GET", "/anime/ranking", params=ONE) for _ in "1234"]
    assert len(answers) == 4
    assert stats(sandbox)["faults"]["drop"] > 0


# --- logs and URLs --------------------------------------------------------------------------------


def test_logs_show_method_path_status_and_timing_and_never_a_secret(
    sandbox: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx2's included
    urls: list[str] = []
    with httpx2.Client(event_hooks={"request": [lambda r: urls.append(str(r.url))]}) as http:
        manager = TokenManager(web_app(sandbox), MemoryTokenStore(sign_in(sandbox)), http=http)
        manager.refresh()  # a token request too: its form holds the refresh token and secret
        sandbox_settings(sandbox, faults="503=0.5,seed=2")
        with Session(manager, api_url=f"{sandbox}/v2", http=http, retries=FAST) as session:
            for _ in range(4):
                session.request("GET", "/users/@me", params={"fields": "anime_statistics"})
    token = manager.token()
    assert re.search(
        r"GET /v2/users/@me\?fields=anime_statistics -> 200 in \d+\.\d ms", caplog.text
    )
    assert re.search(r"HTTP 503 \(retry 1 of 5\); trying again in", caplog.text)
    assert WEB_APP.client_secret is not None
    for secret in (token.access_token, token.refresh_token, WEB_APP.client_secret):
        assert secret not in caplog.text
        assert not any(secret in url for url in urls)


def test_query_values_named_like_secrets_are_masked_in_logs() -> None:
    request = ApiRequest(
        "GET",
        "https://api.myanimelist.net/v2/anime?q=one+piece&access_token=SECRET",
        params=(("code", "AUTH-CODE"), ("limit", "4")),
    )
    shown = shown_target(request)
    assert shown == "/v2/anime?q=one piece&access_token=***&code=***&limit=4"
