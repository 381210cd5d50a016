"""MAL's bad days, through the client and a loopback sandbox: a whole export at 10% faults comes
out exactly right, and a 500-title crawl at the policy's rate is never banned."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from client_support import public_client, stats

from malclient.client import AsyncClient
from malclient.sandbox import WEB_APP, SandboxConfig
from malclient.sandbox.config import Faults
from malclient.sandbox.server import SandboxServer
from malclient.session import RetryPolicy
from tokens_support import sandbox_config, sandbox_settings

# The default policy's logic with waits short enough for a test.
FAST = RetryPolicy(retries=5, backoff=0.02, max_backoff=0.2, cool_down=0.2, max_cool_down=1.0)
# About 10% of requests fail: gateway pages, dropped connections, bodies cut in half.
TEN_PERCENT = "500=0.02,502=0.02,503=0.03,drop=0.02,truncate=0.01,seed=11"


@pytest.fixture
def faulty() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(faults=Faults.parse(TEN_PERCENT))) as running:
        yield running


def check_export(server: SandboxServer, exported: list[tuple[int, str | None]]) -> None:
    wanted = {
        i: e["status"] for i, e in server.app.sandbox.catalogue.users["bob"].animelist.items()
    }
    ids = [anime_id for anime_id, _ in exported]
    assert len(ids) == len(set(ids)), "duplicates"
    assert dict(exported) == wanted  # same ids, same statuses, no gaps
    assert len(exported) >= 10_000
    assert sum(stats(server.url)["faults"].values()) >= 2, "no faults happened"


def test_an_export_at_ten_percent_faults_is_exactly_the_list(faulty: SandboxServer) -> None:
    with public_client(faulty.url, retries=FAST) as client:
        exported = [
            (entry.node.id, entry.list_status.status if entry.list_status else None)
            for entry in client.animelist.list("bob")
        ]
    check_export(faulty, exported)


def test_an_async_export_at_ten_percent_faults_is_exactly_the_list(
    faulty: SandboxServer,
) -> None:
    async def export() -> list[tuple[int, str | None]]:
        async with AsyncClient(
            WEB_APP.client_id, api_url=f"{faulty.url}/v2", rate=None, retries=FAST
        ) as client:
            return [
                (entry.node.id, entry.list_status.status if entry.list_status else None)
                async for entry in client.animelist.list("bob")
            ]

    check_export(faulty, asyncio.run(export()))


def test_a_crawl_of_500_titles_at_the_policys_rate_is_never_banned() -> None:
    with SandboxServer(sandbox_config(anime_count=600)) as server:
        # MAL's 2 requests/s scaled up 50x to keep the test short; the client paces at the
        # policy's rate, as the default client paces at MAL's.
        sandbox_settings(server.url, rate_limit="rate=100,burst=5,ban-after=5,ban-seconds=600")
        wanted = sorted(server.app.sandbox.catalogue.anime)[:500]

        async def crawl() -> list[int]:
            queue = list(wanted)
            found: list[int] = []
            async with AsyncClient(
                WEB_APP.client_id, api_url=f"{server.url}/v2", rate=100, retries=FAST
            ) as client:

                async def worker() -> None:
                    while queue:
                        anime = await client.anime.get(queue.pop(), fields=["num_episodes"])
                        found.append(anime.id)

                await asyncio.gather(*(worker() for _ in range(8)))
            return found

        assert sorted(asyncio.run(crawl())) == wanted
        seen = stats(server.url)
    assert seen["banned"] == 0
    assert seen["throttled"] == 0
