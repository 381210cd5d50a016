"""Every kind of answer the sandbox gives on MAL's endpoints, with every field asked for,
parses into the models and dumps back to the same JSON: whole catalogues' worth of shapes
(partial dates, missing means, themes, polls, NSFW titles) rather than a few recordings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from models_support import as_models_dump, bearer, get_bytes, shared_app
from starlette.testclient import TestClient

from malclient.fields import (
    ANIME_ALL,
    ANIME_FIELDS,
    ANIME_LIST_EXPORT,
    MANGA_ALL,
    MANGA_FIELDS,
    MANGA_LIST_EXPORT,
    USER_ALL,
    Fields,
)
from malclient.models import (
    Anime,
    AnimeEdge,
    AnimeListEntry,
    AnimeListStatus,
    ForumBoards,
    ForumTopic,
    ForumTopicPage,
    Manga,
    MangaEdge,
    MangaListEntry,
    MangaListStatus,
    Page,
    RankedAnime,
    RankedManga,
    SeasonalPage,
    User,
    decode,
    dump,
    list_update_form,
)
from malclient.models.literals import AnimeRankingType, MangaRankingType

ANIME_LIST_ALL, _ = ANIME_ALL.for_endpoint("anime", "list")
MANGA_LIST_ALL, _ = MANGA_ALL.for_endpoint("manga", "list")


@pytest.fixture(scope="module")
def reader() -> Iterator[TestClient]:
    with TestClient(shared_app(), base_url="http://sandbox.test") as client:
        yield client


def assert_round_trips(body: bytes, kind: Any) -> Any:
    model = decode(body, kind)
    assert dump(model) == as_models_dump(json.loads(body))
    return model


def all_pages(
    client: TestClient, path: str, params: dict[str, str], headers: dict[str, str] | None = None
) -> Iterator[bytes]:
    body = get_bytes(client, path, params, headers=headers)
    yield body
    while (link := json.loads(body).get("paging", {}).get("next")) is not None:
        body = get_bytes(client, link, headers=headers)
        yield body


# --- details --------------------------------------------------------------------------------------


def test_anime_details_with_every_field_round_trip(reader: TestClient) -> None:
    app = shared_app()
    user = bearer(app)
    # Titles on alice's list (my_list_status), every media type and status, with and without
    # themes, videos, broadcast times and partial dates.
    ids = list(app.sandbox.catalogue.users["alice"].animelist)[:60]
    ids += list(app.sandbox.catalogue.anime)[::200]
    seen: set[str] = set()
    for anime_id in ids:
        body = get_bytes(reader, f"/v2/anime/{anime_id}", {"fields": str(ANIME_ALL)}, headers=user)
        anime = assert_round_trips(body, Anime)
        seen.update(name for name in ANIME_FIELDS if getattr(anime, name) is not None)
    # Every field of the model was exercised by some title.
    assert seen == ANIME_FIELDS


def test_manga_details_with_every_field_round_trip(reader: TestClient) -> None:
    app = shared_app()
    user = bearer(app)
    ids = list(app.sandbox.catalogue.users["alice"].mangalist)[:40]
    ids += list(app.sandbox.catalogue.manga)[::200]
    seen: set[str] = set()
    for manga_id in ids:
        body = get_bytes(reader, f"/v2/manga/{manga_id}", {"fields": str(MANGA_ALL)}, headers=user)
        manga = assert_round_trips(body, Manga)
        seen.update(name for name in MANGA_FIELDS if getattr(manga, name) is not None)
    # The sandbox has no favourites count for manga (MAL's is unobserved).
    assert seen == MANGA_FIELDS - {"num_favorites"}


# --- lists of nodes -------------------------------------------------------------------------------


def test_searches_round_trip(reader: TestClient) -> None:
    for kind, fields, model in (
        ("anime", ANIME_LIST_ALL, Page[AnimeEdge]),
        ("manga", MANGA_LIST_ALL, Page[MangaEdge]),
    ):
        params = {"q": "kage", "limit": "100", "nsfw": "true", "fields": str(fields)}
        page = assert_round_trips(get_bytes(reader, f"/v2/{kind}", params), model)
        assert len(page.data) == 100


@pytest.mark.parametrize("ranking_type", get_args(AnimeRankingType))
def test_anime_rankings_round_trip(reader: TestClient, ranking_type: str) -> None:
    params = {
        "ranking_type": ranking_type,
        "limit": "500",
        "nsfw": "true",
        "fields": str(ANIME_LIST_ALL),
    }
    body = get_bytes(reader, "/v2/anime/ranking", params)
    page = assert_round_trips(body, Page[RankedAnime])
    assert page.data


@pytest.mark.parametrize("ranking_type", get_args(MangaRankingType))
def test_manga_rankings_round_trip(reader: TestClient, ranking_type: str) -> None:
    params = {
        "ranking_type": ranking_type,
        "limit": "500",
        "nsfw": "true",
        "fields": str(MANGA_LIST_ALL),
    }
    body = get_bytes(reader, "/v2/manga/ranking", params)
    assert_round_trips(body, Page[RankedManga])


@pytest.mark.parametrize(("year", "season"), [(1998, "spring"), (2012, "fall"), (2026, "winter")])
def test_seasonal_lists_round_trip(reader: TestClient, year: int, season: str) -> None:
    params = {"limit": "500", "nsfw": "true", "fields": str(ANIME_LIST_ALL)}
    for body in all_pages(reader, f"/v2/anime/season/{year}/{season}", params):
        page = assert_round_trips(body, SeasonalPage)
        assert page.season is not None
        assert (page.season.year, page.season.season) == (year, season)


def test_suggestions_round_trip(reader: TestClient) -> None:
    params = {"limit": "100", "nsfw": "true", "fields": str(ANIME_LIST_ALL)}
    body = get_bytes(reader, "/v2/anime/suggestions", params, headers=bearer(shared_app()))
    assert decode(body, Page[AnimeEdge]).data
    assert_round_trips(body, Page[AnimeEdge])


# --- user lists -----------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["alice", "carol"])
def test_whole_user_lists_with_export_fields_round_trip(reader: TestClient, user: str) -> None:
    app = shared_app()
    entries = 0
    for kind, fields, model in (
        ("anime", ANIME_LIST_EXPORT, Page[AnimeListEntry]),
        ("manga", MANGA_LIST_EXPORT, Page[MangaListEntry]),
    ):
        params = {"limit": "1000", "nsfw": "true", "fields": str(fields)}
        for body in all_pages(reader, f"/v2/users/{user}/{kind}list", params):
            entries += len(assert_round_trips(body, model).data)
    data = app.sandbox.catalogue.users[user]
    assert entries == len(data.animelist) + len(data.mangalist)


def test_my_list_as_seen_by_its_owner_round_trips(reader: TestClient) -> None:
    # `@me` with my_list_status on the nodes as well as the entry's list_status.
    fields = ANIME_LIST_EXPORT | Fields.anime("my_list_status")
    params = {"limit": "1000", "nsfw": "true", "fields": str(fields)}
    body = get_bytes(reader, "/v2/users/@me/animelist", params, headers=bearer(shared_app()))
    page = assert_round_trips(body, Page[AnimeListEntry])
    assert all(entry.node.my_list_status == entry.list_status for entry in page.data)


# --- user, forum ----------------------------------------------------------------------------------


def test_profile_with_every_field_round_trips(reader: TestClient) -> None:
    body = get_bytes(
        reader, "/v2/users/@me", {"fields": str(USER_ALL)}, headers=bearer(shared_app())
    )
    user = assert_round_trips(body, User)
    assert user.name == "alice"
    assert user.anime_statistics is not None
    assert user.anime_statistics.num_items == len(
        shared_app().sandbox.catalogue.users["alice"].animelist
    )


def test_forum_boards_topics_and_topic_pages_round_trip(reader: TestClient) -> None:
    boards = assert_round_trips(get_bytes(reader, "/v2/forum/boards"), ForumBoards)
    board_ids = [board.id for category in boards.categories for board in category.boards]
    polls = 0
    for board_id in board_ids:
        body = get_bytes(reader, "/v2/forum/topics", {"board_id": str(board_id), "limit": "100"})
        topics = assert_round_trips(body, Page[ForumTopic])
        for topic in topics.data[:5]:
            for page_body in all_pages(reader, f"/v2/forum/topic/{topic.id}", {"limit": "100"}):
                page = assert_round_trips(page_body, ForumTopicPage)
                polls += page.data.poll is not None
    # Both shapes of `poll` (an object and null) were seen.
    assert polls > 0


# --- list writes ----------------------------------------------------------------------------------


def test_list_write_answers_round_trip_and_echo_the_form() -> None:
    app = shared_app()
    user = bearer(app, "carol")
    catalogue = app.sandbox.catalogue
    # MAL caps watched episodes at the episode count (SPEC 5.3): take a long enough show.
    anime_id = next(i for i, r in catalogue.anime.items() if r.get("num_episodes", 0) >= 12)
    manga_id = next(iter(catalogue.manga))
    with TestClient(app, base_url="http://sandbox.test") as client:
        form = list_update_form(
            "anime",
            status="watching",
            num_episodes_watched=3,
            is_rewatching=False,
            score=7,
            tags=["first", "second"],
            start_date="2024-03",
            comments="ok",
            priority=2,
            rewatch_value=4,
            num_times_rewatched=1,
        )
        response = client.patch(f"/v2/anime/{anime_id}/my_list_status", data=form, headers=user)
        assert response.status_code == 200, response.text
        status = assert_round_trips(response.content, AnimeListStatus)
        assert status.num_episodes_watched == 3
        assert status.tags == ["first", "second"]
        assert str(status.start_date) == "2024-03"
        assert (status.priority, status.rewatch_value, status.score) == (2, 4, 7)

        form = list_update_form(
            "manga", status="reading", num_chapters_read=12, is_rereading=True, finish_date=""
        )
        response = client.patch(f"/v2/manga/{manga_id}/my_list_status", data=form, headers=user)
        assert response.status_code == 200, response.text
        manga_status = assert_round_trips(response.content, MangaListStatus)
        assert (manga_status.num_chapters_read, manga_status.is_rereading) == (12, True)
        assert manga_status.finish_date is None
        # DELETE's body carries nothing to model; clients ignore it (SPEC 4.7). Deleting
        # both entries also leaves carol's lists empty again for the other tests.
        for path in (f"/v2/anime/{anime_id}", f"/v2/manga/{manga_id}"):
            assert client.delete(f"{path}/my_list_status", headers=user).status_code == 200


# --- random selections ----------------------------------------------------------------------------

NAMES = {"anime": sorted(ANIME_FIELDS), "manga": sorted(MANGA_FIELDS)}
MODELS: dict[tuple[str, str], Any] = {
    ("anime", "details"): Anime,
    ("manga", "details"): Manga,
    ("anime", "list"): Page[RankedAnime],
    ("manga", "list"): Page[RankedManga],
    ("anime", "user_list"): Page[AnimeListEntry],
    ("manga", "user_list"): Page[MangaListEntry],
}


@cache
def client() -> TestClient:
    return TestClient(shared_app(), base_url="http://sandbox.test")


@cache
def alice() -> dict[str, str]:
    return bearer(shared_app())


@st.composite
def selections(draw: st.DrawFn, kind: str) -> Fields:
    names = draw(st.lists(st.sampled_from(NAMES[kind]), max_size=12))
    nested: dict[str, list[str]] = {}
    if draw(st.booleans()):
        nested["related_anime"] = draw(st.lists(st.sampled_from(NAMES["anime"]), max_size=4))
    if draw(st.booleans()):
        nested["recommendations"] = draw(st.lists(st.sampled_from(NAMES[kind]), max_size=4))
    if kind == "manga" and draw(st.booleans()):
        nested["authors"] = draw(st.lists(st.sampled_from(["first_name", "last_name"])))
    nested = {name: sub for name, sub in nested.items() if sub}
    return Fields(*names, kind=kind, **nested)  # type: ignore[arg-type]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["anime", "manga"]),
    endpoint=st.sampled_from(["details", "list", "user_list"]),
    data=st.data(),
)
def test_any_selection_of_fields_round_trips(kind: str, endpoint: str, data: st.DataObject) -> None:
    fields = data.draw(selections(kind))
    catalogue = shared_app().sandbox.catalogue
    records = catalogue.anime if kind == "anime" else catalogue.manga
    ids = list(records)
    params = {"fields": str(fields), "nsfw": "true"}
    if endpoint == "details":
        path = f"/{kind}/{ids[data.draw(st.integers(0, len(ids) - 1))]}"
    elif endpoint == "list":
        path = f"/{kind}/ranking"
        params |= {
            "ranking_type": "all",
            "limit": "20",
            "offset": str(data.draw(st.integers(0, 5000))),
        }
    else:
        path = f"/users/@me/{kind}list"
        params |= {"limit": "20", "offset": str(data.draw(st.integers(0, 300)))}
    body = get_bytes(client(), "/v2" + path, params, headers=alice())
    assert_round_trips(body, MODELS[kind, endpoint])
