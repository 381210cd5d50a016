"""Pages and iteration: the largest page for bulk reads, only as many requests as are read,
pages let go once passed, and paging links followed only on the API's own host."""

from __future__ import annotations

import asyncio
import gc
import json
import weakref
from collections.abc import Iterator
from itertools import islice

import httpx2
import pytest
from client_support import public_client, requests_by_endpoint

from malclient import ResponseFormatError
from malclient.client import AsyncClient, Client
from malclient.sandbox import WEB_APP, SandboxConfig
from malclient.sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig()) as running:
        yield running


@pytest.fixture
def client(server: SandboxServer) -> Iterator[Client]:
    server.app.sandbox.stats.reset()
    with public_client(server.url) as client:
        yield client


def test_bulk_reads_ask_for_the_largest_page_each_endpoint_serves(client: Client) -> None:
    assert len(client.anime.search("the").data) == 100
    assert [len(page.data) for page in islice(client.anime.ranking().iter_pages(), 2)] == [
        500,
        500,
    ]
    assert len(client.anime.seasonal(2020, "fall").data) > 100
    assert len(client.animelist.list("bob").data) == 1000
    assert len(client.mangalist.list("bob").data) == 1000


def test_reading_a_few_entries_costs_only_the_pages_they_are_on(
    client: Client, server: SandboxServer
) -> None:
    entries = list(islice(client.animelist.list("bob", limit=10), 25))
    assert len(entries) == 25
    assert requests_by_endpoint(server.app)["users_user_id_animelist_get"] == 3


def test_the_last_page_says_so(client: Client) -> None:
    page = client.mangalist.list("alice", limit=60)
    second = page.next_page()
    assert second is not None
    assert page.has_next_page()
    assert not second.has_next_page()
    assert second.next_page() is None
    assert len(page) + len(second) == len(list(client.mangalist.list("alice")))


def test_iteration_lets_go_of_pages_it_has_passed(client: Client) -> None:
    seen = [weakref.ref(page) for page in client.animelist.list("bob", limit=500).iter_pages()]
    gc.collect()
    assert len(seen) == 21
    assert not any(ref() is not None for ref in seen)  # nothing accumulated
    first = client.animelist.list("bob", limit=500)
    seen = [weakref.ref(page) for page in first.iter_pages()]
    gc.collect()
    # Only the first page, which the caller still holds, is alive.
    assert [ref() is not None for ref in seen] == [True] + [False] * 20


def test_async_iteration_streams_the_same_way(server: SandboxServer) -> None:
    async def main() -> tuple[int, list[bool]]:
        async with AsyncClient(WEB_APP.client_id, api_url=f"{server.url}/v2", rate=None) as c:
            seen = [weakref.ref(page) async for page in c.animelist.list("bob").iter_pages()]
            gc.collect()
            return len(seen), [ref() is not None for ref in seen]

    count, alive = asyncio.run(main())
    assert count == 11
    assert not any(alive)


# --- links MAL did not send -----------------------------------------------------------------------


def serving(next_url: str) -> tuple[httpx2.MockTransport, list[httpx2.Request]]:
    """A server whose every list page links to `next_url`, as a rewriting proxy might."""
    seen: list[httpx2.Request] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        body = {"data": [{"node": {"id": len(seen), "title": "x"}}], "paging": {"next": next_url}}
        return httpx2.Response(200, content=json.dumps(body).encode())

    return httpx2.MockTransport(answer), seen


@pytest.mark.parametrize(
    "link",
    [
        "https://elsewhere.example/v2/anime?offset=1&q=abc",
        "https://api.example/v3/anime?offset=1&q=abc",
        "http://api.example/v2/anime?offset=1&q=abc",
    ],
    ids=["other host", "outside the API", "other scheme"],
)
def test_paging_links_off_the_api_are_never_followed(link: str) -> None:
    transport, seen = serving(link)
    with Client(
        WEB_APP.client_id, api_url="https://api.example/v2", http=httpx2.Client(transport=transport)
    ) as client:
        page = client.anime.search("abc")
        assert page.next_url == link
        with pytest.raises(ResponseFormatError, match="not following it"):
            page.next_page()
        with pytest.raises(ResponseFormatError):
            list(page)
    assert {request.url.host for request in seen} == {"api.example"}


def test_a_link_back_to_the_same_page_stops_instead_of_looping() -> None:
    link = "https://api.example/v2/anime?offset=1&q=abc"
    transport, seen = serving(link)
    with (
        Client(
            WEB_APP.client_id,
            api_url="https://api.example/v2",
            http=httpx2.Client(transport=transport),
        ) as client,
        pytest.raises(ResponseFormatError, match="same page"),
    ):
        list(client.anime.search("abc"))
    assert len(seen) == 2
