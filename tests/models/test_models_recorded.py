"""No data lost: every recorded real MAL response parses into its model and dumps back to the
same JSON (dates and times as the same strings). See the fixtures' PROVENANCE.md."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

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
    PartialDate,
    RankedAnime,
    RankedManga,
    SeasonalPage,
    User,
    decode,
    dump,
)
from recorded import FIXTURES

# The recorded API responses (PROVENANCE.md groups A and C); group B is error bodies.
RECORDED_PREFIXES = (
    "go-myanimelist__",
    "MAL-API-Client-Upgraded__",
    "MyAnimeList_Client__",
    "mal-stats__",
    "StatisticShock",
)

# What each recording answers, by the request name in its file name.
MODEL_FOR: dict[str, Any] = {
    "animeDetails": Anime,
    "mangaDetails": Manga,
    "animeList": Page[AnimeEdge],
    "mangaList": Page[MangaEdge],
    "animeRanking": Page[RankedAnime],
    "mangaRanking": Page[RankedManga],
    "animeSeasonal": SeasonalPage,
    "animeSuggested": Page[AnimeEdge],
    "userAnimeList": Page[AnimeListEntry],
    "userMangaList": Page[MangaListEntry],
    "updateMyAnimeList": AnimeListStatus,
    "updateMyMangaList": MangaListStatus,
    "userMyInfo": User,
    "forumBoards": ForumBoards,
    "forumTopics": Page[ForumTopic],
    "forumTopicDetails": ForumTopicPage,
}

RECORDINGS = sorted(
    path for path in FIXTURES.glob("*.json") if path.name.startswith(RECORDED_PREFIXES)
)


def model_for(path: Path) -> Any:
    request = path.stem.split("__", 1)[1].split("_", 1)[0]
    return MODEL_FOR[request]


def test_the_recordings_are_all_there() -> None:
    # 16 from go-myanimelist, 5 from MAL-API-Client-Upgraded, and one each from three apps
    # and two from StatisticShock (PROVENANCE.md).
    assert len(RECORDINGS) == 25


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda path: path.stem)
def test_recorded_response_round_trips_without_losing_anything(path: Path) -> None:
    raw = path.read_bytes()
    model = decode(raw, model_for(path))
    assert dump(model) == json.loads(raw)


def load(name: str, kind: Any) -> Any:
    return decode((FIXTURES / name).read_bytes(), kind)


def test_times_are_aware_datetimes_in_utc() -> None:
    status = load("go-myanimelist__updateMyAnimeList.json", AnimeListStatus)
    assert status.updated_at == datetime(2021, 3, 16, 7, 36, 44, tzinfo=UTC)
    assert status.start_date == PartialDate(2022, 2, 20)
    assert dump(status)["updated_at"] == "2021-03-16T07:36:44+00:00"


def test_list_page_gives_node_and_list_status_with_read_names() -> None:
    page = load("go-myanimelist__userAnimeList.json", Page[AnimeListEntry])
    first = page.data[0]
    assert (first.node.id, first.node.title) == (967, "Hokuto no Ken")
    assert first.list_status.num_episodes_watched == 73
    assert first.list_status.status == "watching"
    # The last page: `paging` is `{}`.
    assert page.paging is not None
    assert page.next_url is None


def test_paging_link_and_season_wrapper() -> None:
    page = load("go-myanimelist__animeSeasonal.json", SeasonalPage)
    assert page.season is not None
    assert (page.season.year, page.season.season) == (2020, "fall")
    assert page.next_url == (
        "https://api.myanimelist.net/v2/anime/season/2020/fall?offset=3&fields=rank%2C"
        "popularity&limit=3&sort=anime_num_list_users"
    )
    assert [edge.node.rank for edge in page.data] == [93, 1870, 62]


def test_ranking_edge_rank_is_the_position_in_this_ranking() -> None:
    page = load("go-myanimelist__animeRanking.json", Page[RankedAnime])
    assert [edge.ranking.rank for edge in page.data][:3] == [1, 2, 3]
    assert page.data[0].node.rank == 2


def test_undocumented_values_and_fields_are_kept() -> None:
    novel = load("MAL-API-Client-Upgraded__mangaDetails_74697_light_novel.json", Manga)
    assert novel.media_type == "light_novel"
    hiatus = load("MAL-API-Client-Upgraded__mangaDetails_656_on_hiatus.json", Manga)
    assert hiatus.status == "on_hiatus"
    takt = load("MAL-API-Client-Upgraded__animeDetails_48556_opening_ending_themes.json", Anime)
    assert takt.source == "mixed_media"
    assert takt.opening_themes is not None
    assert takt.opening_themes[0].id == 71568
    assert "タクト" in (takt.opening_themes[0].text or "")
    favorites = load("MAL-API-Client-Upgraded__animeDetails_48556_num_favorites.json", Anime)
    assert favorites.num_favorites == 4364


def test_manga_authors_carry_person_and_role() -> None:
    manga = load("go-myanimelist__mangaDetails.json", Manga)
    assert manga.authors is not None
    author = manga.authors[0]
    assert (author.node.id, author.node.first_name, author.node.last_name) == (
        2377,
        "Hitoshi",
        "Iwaaki",
    )
    assert author.role == "Story & Art"


def test_forum_topic_has_posts_poll_and_a_correctly_spelled_avatar() -> None:
    topic = load("go-myanimelist__forumTopicDetails.json", ForumTopicPage)
    post = topic.data.posts[0] if topic.data.posts else None
    assert post is not None
    assert post.created_by is not None
    assert post.created_by.forum_avatar is not None
    assert post.created_by.forum_avatar.endswith("/10012763.jpg?t=1616443200")
    # MAL's spelling still works for code written against MAL's documentation.
    assert post.created_by.forum_avator == post.created_by.forum_avatar
    poll = topic.data.poll
    assert poll is not None
    assert poll.closed is False
    assert poll.options is not None
    assert sum(option.votes or 0 for option in poll.options) == 205
    assert topic.next_url is not None


def test_user_profile_keeps_an_empty_location() -> None:
    user = load("go-myanimelist__userMyInfo.json", User)
    assert (user.id, user.name, user.location) == (4592783, "nstratos", "")
    assert user.joined_at == datetime(2015, 5, 3, 11, 42, 57, tzinfo=UTC)


def test_trimmed_recording_without_paging_still_parses() -> None:
    page = load(
        "StatisticShock.github.io__userMangaList_HikariMontgomery_nopaging.json",
        Page[MangaListEntry],
    )
    assert page.paging is None
    assert page.next_url is None
    assert page.data[0].node.rank == 1815
    assert page.data[0].list_status.num_chapters_read == 6
