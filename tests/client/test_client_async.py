"""Every endpoint through `AsyncClient`, against the sandbox in-process (ASGI transport)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar

import pytest
from client_support import asgi_client, requests_by_endpoint

from malclient import AsyncPage, ConfigError, NotFound, PartialDate
from malclient.client import AsyncClient
from malclient.fields import Fields
from malclient.sandbox import SandboxApp, SandboxConfig, create_app

T = TypeVar("T")


@pytest.fixture(scope="module")
def app() -> SandboxApp:
    return create_app(SandboxConfig())


def run(app: SandboxApp, user: str | None, work: Callable[[AsyncClient], Awaitable[T]]) -> T:
    async def main() -> T:
        async with asgi_client(app, user) as client:
            return await work(client)

    return asyncio.run(main())


def free_ids(app: SandboxApp, kind: str, count: int) -> list[int]:
    catalogue = app.sandbox.catalogue
    records = catalogue.anime if kind == "anime" else catalogue.manga
    owned = getattr(catalogue.users["alice"], f"{kind}list")
    return sorted(i for i, r in records.items() if i not in owned and r.get("_approved", True))[
        :count
    ]


def test_search_details_ranking_and_season(app: SandboxApp) -> None:
    first = app.sandbox.catalogue.anime[sorted(app.sandbox.catalogue.anime)[0]]

    async def work(client: AsyncClient) -> None:
        found = await client.anime.search(first["title"][:20], limit=3)
        assert isinstance(found, AsyncPage)
        assert found.data[0].node.title == first["title"]
        details = await client.anime.get(first["id"], fields=Fields.anime("rating", "studios"))
        assert details.rating == first["rating"]
        assert details.synopsis is None
        ranked = await client.anime.ranking("tv", limit=3)
        assert [edge.ranking.rank for edge in ranked.data] == [1, 2, 3]
        season = await client.anime.seasonal(2025, "spring", limit=4)
        assert season.model.season.season == "spring"
        assert len(season.data) == 4
        with pytest.raises(NotFound):
            await client.anime.get(999_999_999)

    run(app, None, work)


def test_async_for_walks_every_page_of_a_list(app: SandboxApp) -> None:
    expected = set(app.sandbox.catalogue.users["bob"].animelist)
    app.sandbox.stats.reset()

    async def work(client: AsyncClient) -> list[int]:
        return [entry.node.id async for entry in client.animelist.list("bob")]

    ids = run(app, None, work)
    assert len(ids) == len(expected)
    assert set(ids) == expected
    assert requests_by_endpoint(app)["users_user_id_animelist_get"] == 11


def test_pages_can_be_walked_one_at_a_time(app: SandboxApp) -> None:
    async def work(client: AsyncClient) -> list[int]:
        sizes = []
        async for page in client.mangalist.list("alice", limit=40).iter_pages():
            sizes.append(len(page.data))
        first = await client.mangalist.list("alice", limit=40)
        second = await first.next_page()
        assert second is not None
        assert second.previous_url is not None
        return sizes

    assert run(app, None, work) == [40, 40, 20]


def test_user_endpoints_as_the_signed_in_user(app: SandboxApp) -> None:
    anime_id, other = free_ids(app, "anime", 2)
    manga_id = free_ids(app, "manga", 1)[0]

    async def work(client: AsyncClient) -> None:
        me = await client.users.me(fields=["anime_statistics"])
        assert me.name == "alice"
        assert me.anime_statistics is not None
        suggested = await client.anime.suggestions(limit=5)
        assert len(suggested.data) == 5
        entry = await client.animelist.update(anime_id, status="watching", score=6)
        assert (entry.status, entry.score) == ("watching", 6)
        entry = await client.animelist.progress(anime_id, 1, today=date(2026, 5, 6))
        assert entry.num_episodes_watched == 1
        entry = await client.animelist.increment(anime_id)
        assert entry.num_episodes_watched == 2
        entry = await client.animelist.complete(other, today=date(2026, 5, 7))
        assert entry.status == "completed"
        assert entry.finish_date == PartialDate(2026, 5, 7)
        assert await client.animelist.delete(anime_id) is True
        assert await client.animelist.delete(anime_id) is False
        mine = [entry.node.id async for entry in client.animelist.list()]
        assert other in mine
        assert anime_id not in mine
        written = await client.mangalist.update(manga_id, status="reading", num_volumes_read=1)
        assert written.num_volumes_read == 1
        progressed = await client.mangalist.progress(manga_id, chapters=4)
        assert progressed.num_chapters_read == 4
        bumped = await client.mangalist.increment(manga_id, 0, volumes=1)
        assert bumped.num_volumes_read == 2
        done = await client.mangalist.complete(manga_id)
        assert done.status == "completed"
        assert await client.mangalist.delete(manga_id) is True

    run(app, "alice", work)


def test_manga_and_forum(app: SandboxApp) -> None:
    manga = app.sandbox.catalogue.manga
    first = manga[sorted(manga)[0]]

    async def work(client: AsyncClient) -> None:
        found = await client.manga.search(first["title"][:20])
        assert found.data[0].node.id == first["id"]
        details = await client.manga.get(first["id"])
        assert details.serialization is not None  # every field by default
        ranked = await client.manga.ranking("manga", limit=2)
        assert len(ranked.data) == 2
        boards = await client.forum.boards()
        assert boards.categories
        topics = await client.forum.topics(q="the", limit=3)
        assert len(topics.data) == 3
        posts = [post async for post in client.forum.topic(topics.data[0].id, limit=1)]
        assert posts
        assert posts[0].number == 1

    run(app, None, work)


def test_a_client_id_alone_cannot_act_as_a_user(app: SandboxApp) -> None:
    app.sandbox.stats.reset()

    async def work(client: AsyncClient) -> None:
        with pytest.raises(ConfigError, match=r"users\.me needs a signed-in user"):
            await client.users.me()
        with pytest.raises(ConfigError, match="mal auth login"):
            await client.animelist.delete(1)
        with pytest.raises(ConfigError):
            await client.anime.suggestions()

    run(app, None, work)
    assert app.sandbox.stats.requests == {}
