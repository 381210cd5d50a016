"""The exact request each method sends (method, path, query, form), recorded on the way to a
loopback sandbox that answers it: MAL's parameter names, `nsfw=true` wherever MAL accepts it,
the largest page by default, and list writes carrying only the fields given."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import httpx2
import pytest
from client_support import user_client

from malclient.client import Client
from malclient.sandbox import SandboxConfig
from malclient.sandbox.server import SandboxServer

Seen = tuple[str, str, dict[str, str], dict[str, str]]


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(auto_approve="alice")) as running:
        yield running


@pytest.fixture(scope="module")
def recorded(server: SandboxServer) -> Iterator[tuple[Client, list[Seen]]]:
    """alice's client, with every API request it sends written down."""
    seen: list[Seen] = []

    def record(request: httpx2.Request) -> None:
        if "/v2/" in request.url.path:
            form = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
            seen.append((request.method, request.url.path, dict(request.url.params), form))

    http = httpx2.Client(event_hooks={"request": [record]})
    with user_client(server.url, http=http) as client:
        yield client, seen
    http.close()


@pytest.fixture(scope="module")
def ids(server: SandboxServer) -> dict[str, int]:
    catalogue = server.app.sandbox.catalogue
    alice = catalogue.users["alice"]
    return {
        "anime": next(
            i
            for i, record in sorted(catalogue.anime.items())
            if i not in alice.animelist and record["num_episodes"] > 4
        ),
        "manga": next(i for i in sorted(catalogue.manga) if i not in alice.mangalist),
        "topic": sorted(catalogue.forum.topics)[0],
    }


CASES: list[tuple[str, Callable[[Client, dict[str, int]], Any], Seen]] = [
    (
        "anime.search",
        lambda c, i: c.anime.search("kai"),
        ("GET", "/v2/anime", {"q": "kai", "limit": "100", "nsfw": "true"}, {}),
    ),
    (
        "anime.get",
        lambda c, i: c.anime.get(i["anime"], fields="mean,my_list_status{priority}"),
        ("GET", "/v2/anime/{anime}", {"fields": "mean,my_list_status{priority}"}, {}),
    ),
    (
        "anime.ranking",
        lambda c, i: c.anime.ranking("favorite", offset=500, nsfw=False),
        (
            "GET",
            "/v2/anime/ranking",
            {"ranking_type": "favorite", "limit": "500", "offset": "500"},
            {},
        ),
    ),
    (
        "anime.seasonal",
        lambda c, i: c.anime.seasonal(2021, "winter", sort="anime_score", limit=7),
        (
            "GET",
            "/v2/anime/season/2021/winter",
            {"sort": "anime_score", "limit": "7", "nsfw": "true"},
            {},
        ),
    ),
    (
        "anime.suggestions",
        lambda c, i: c.anime.suggestions(fields=["rank"]),
        ("GET", "/v2/anime/suggestions", {"fields": "rank", "limit": "100", "nsfw": "true"}, {}),
    ),
    (
        "animelist.update",
        lambda c, i: c.animelist.update(i["anime"], num_episodes_watched=3, tags=["a", "b"]),
        (
            "PATCH",
            "/v2/anime/{anime}/my_list_status",
            {},
            {"num_watched_episodes": "3", "tags": "a,b"},
        ),
    ),
    (
        "animelist.delete",
        lambda c, i: c.animelist.delete(i["anime"]),
        ("DELETE", "/v2/anime/{anime}/my_list_status", {}, {}),
    ),
    (
        "animelist.list",
        lambda c, i: c.animelist.list("bob", status="on_hold", sort="anime_id"),
        (
            "GET",
            "/v2/users/bob/animelist",
            {
                "status": "on_hold",
                "sort": "anime_id",
                "fields": "list_status",
                "limit": "1000",
                "nsfw": "true",
            },
            {},
        ),
    ),
    (
        "manga.search",
        lambda c, i: c.manga.search("kai", limit=5, fields=["num_volumes"]),
        (
            "GET",
            "/v2/manga",
            {"q": "kai", "fields": "num_volumes", "limit": "5", "nsfw": "true"},
            {},
        ),
    ),
    (
        "manga.get",
        lambda c, i: c.manga.get(i["manga"], fields="authors{first_name}"),
        ("GET", "/v2/manga/{manga}", {"fields": "authors{first_name}"}, {}),
    ),
    (
        "manga.ranking",
        lambda c, i: c.manga.ranking(),
        ("GET", "/v2/manga/ranking", {"ranking_type": "all", "limit": "500", "nsfw": "true"}, {}),
    ),
    (
        "mangalist.update",
        lambda c, i: c.mangalist.update(i["manga"], is_rereading=False, finish_date=""),
        (
            "PATCH",
            "/v2/manga/{manga}/my_list_status",
            {},
            {"is_rereading": "false", "finish_date": ""},
        ),
    ),
    (
        "mangalist.delete",
        lambda c, i: c.mangalist.delete(i["manga"]),
        ("DELETE", "/v2/manga/{manga}/my_list_status", {}, {}),
    ),
    (
        "mangalist.list",
        lambda c, i: c.mangalist.list(fields="num_chapters"),
        (
            "GET",
            "/v2/users/@me/mangalist",
            {"fields": "num_chapters,list_status", "limit": "1000", "nsfw": "true"},
            {},
        ),
    ),
    (
        "users.me",
        lambda c, i: c.users.me(fields=["time_zone"]),
        ("GET", "/v2/users/@me", {"fields": "time_zone"}, {}),
    ),
    ("forum.boards", lambda c, i: c.forum.boards(), ("GET", "/v2/forum/boards", {}, {})),
    (
        "forum.topic",
        lambda c, i: c.forum.topic(i["topic"], offset=1),
        ("GET", "/v2/forum/topic/{topic}", {"limit": "100", "offset": "1"}, {}),
    ),
    (
        "forum.topics",
        lambda c, i: c.forum.topics(board_id=1, user_name="bob", sort="recent"),
        (
            "GET",
            "/v2/forum/topics",
            {"board_id": "1", "user_name": "bob", "sort": "recent", "limit": "100"},
            {},
        ),
    ),
]


@pytest.mark.parametrize(("call", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_endpoint_sends_exactly_what_mal_expects(
    recorded: tuple[Client, list[Seen]],
    ids: dict[str, int],
    call: Callable[[Client, dict[str, int]], Any],
    expected: Seen,
) -> None:
    client, seen = recorded
    seen.clear()
    call(client, ids)
    method, path, query, form = expected
    assert seen == [(method, path.format(**ids), query, form)]


def test_every_endpoint_has_a_case() -> None:
    from malclient.resources._endpoints import ENDPOINTS

    assert {label for label, _, _ in CASES} == {endpoint.label for endpoint in ENDPOINTS}


def test_helpers_read_the_entry_then_write_it_once(
    recorded: tuple[Client, list[Seen]], ids: dict[str, int]
) -> None:
    client, seen = recorded
    client.animelist.update(ids["anime"], status="watching")
    seen.clear()
    client.animelist.increment(ids["anime"], 2)
    read, write = seen
    assert read[:3] == (
        "GET",
        f"/v2/anime/{ids['anime']}",
        {"fields": "num_episodes,my_list_status"},
    )
    assert write[:2] == ("PATCH", f"/v2/anime/{ids['anime']}/my_list_status")
    assert write[3] == {"num_watched_episodes": "2"}  # absolute: a retry cannot add twice
