"""The 18 endpoints of MAL's API v2 (SPEC 4), each defined once: method, path, arguments and
their checks, result model, page size limit, `nsfw`, `fields` and whether a user must be signed
in. The sync and async resources are thin wrappers over these rows. Data only.
"""

from __future__ import annotations

from typing import Any

from malclient.fields import ANIME_ALL, MANGA_ALL, USER_ALL
from malclient.models import (
    Anime,
    AnimeEdge,
    AnimeListEntry,
    AnimeListSort,
    AnimeListStatus,
    AnimeRankingType,
    ForumBoards,
    ForumPost,
    ForumSort,
    ForumTopic,
    ForumTopicPage,
    Manga,
    MangaEdge,
    MangaListEntry,
    MangaListSort,
    MangaListStatus,
    MangaRankingType,
    Page,
    RankedAnime,
    RankedManga,
    ReadStatus,
    Season,
    SeasonalPage,
    SeasonSort,
    User,
    WatchStatus,
)
from malclient.resources._calls import (
    Endpoint,
    ListEndpoint,
    forum_text,
    name,
    one_of,
    optional_id,
    positive_id,
    search_text,
    year,
)

__all__ = [
    "ANIME_DETAILS",
    "ANIME_LIST",
    "ANIME_LIST_DELETE",
    "ANIME_LIST_UPDATE",
    "ANIME_RANKING",
    "ANIME_SEARCH",
    "ANIME_SEASONAL",
    "ANIME_SUGGESTIONS",
    "ENDPOINTS",
    "FORUM_BOARDS",
    "FORUM_TOPIC",
    "FORUM_TOPICS",
    "MANGA_DETAILS",
    "MANGA_LIST",
    "MANGA_LIST_DELETE",
    "MANGA_LIST_UPDATE",
    "MANGA_RANKING",
    "MANGA_SEARCH",
    "USERS_ME",
]


def _posts(page: ForumTopicPage) -> list[ForumPost]:
    # A topic's page holds one topic; its posts are what the pages walk through (SPEC 4.11).
    return page.data.posts or []


# --- anime (SPEC 4.1-4.5) -----------------------------------------------------------------------

ANIME_SEARCH = ListEndpoint(
    Endpoint(
        "anime.search",
        "GET",
        "/anime",
        Page[AnimeEdge],
        arguments={"q": search_text},
        fields=("anime", "list"),
    ),
    AnimeEdge,
    # SPEC 4.1: the docs say 100; a larger limit is unconfirmed.
    max_limit=100,
    nsfw=True,
)
ANIME_DETAILS = Endpoint(
    "anime.get",
    "GET",
    "/anime/{anime_id}",
    Anime,
    arguments={"anime_id": positive_id},
    fields=("anime", "details"),
    # One title, one request: without a choice, everything about it.
    default_fields=ANIME_ALL,
)
ANIME_RANKING = ListEndpoint(
    Endpoint(
        "anime.ranking",
        "GET",
        "/anime/ranking",
        Page[RankedAnime],
        arguments={"ranking_type": one_of(AnimeRankingType, required=True)},
        fields=("anime", "list"),
    ),
    RankedAnime,
    max_limit=500,
    nsfw=True,
)
ANIME_SEASONAL = ListEndpoint(
    Endpoint(
        "anime.seasonal",
        "GET",
        "/anime/season/{year}/{season}",
        SeasonalPage,
        arguments={
            "year": year,
            "season": one_of(Season, required=True),
            "sort": one_of(SeasonSort),
        },
        fields=("anime", "list"),
    ),
    AnimeEdge,
    max_limit=500,
    nsfw=True,
)
ANIME_SUGGESTIONS = ListEndpoint(
    Endpoint(
        "anime.suggestions",
        "GET",
        "/anime/suggestions",
        Page[AnimeEdge],
        auth="user",
        fields=("anime", "list"),
    ),
    AnimeEdge,
    max_limit=100,
    nsfw=True,
)

# --- the user's anime list (SPEC 4.6-4.8) --------------------------------------------------------

ANIME_LIST_UPDATE = Endpoint(
    "animelist.update",
    "PATCH",
    "/anime/{anime_id}/my_list_status",
    AnimeListStatus,
    auth="user",
    arguments={"anime_id": positive_id},
    form="anime",
)
ANIME_LIST_DELETE = Endpoint(
    "animelist.delete",
    "DELETE",
    "/anime/{anime_id}/my_list_status",
    bool,
    auth="user",
    arguments={"anime_id": positive_id},
    absent_ok=True,
)
ANIME_LIST = ListEndpoint(
    Endpoint(
        "animelist.list",
        "GET",
        "/users/{user_name}/animelist",
        Page[AnimeListEntry],
        arguments={
            "user_name": name,
            "status": one_of(WatchStatus),
            "sort": one_of(AnimeListSort),
        },
        fields=("anime", "user_list"),
    ),
    AnimeListEntry,
    max_limit=1000,
    nsfw=True,
)

# --- manga (SPEC 4.9) ---------------------------------------------------------------------------

MANGA_SEARCH = ListEndpoint(
    Endpoint(
        "manga.search",
        "GET",
        "/manga",
        Page[MangaEdge],
        arguments={"q": search_text},
        fields=("manga", "list"),
    ),
    MangaEdge,
    max_limit=100,
    nsfw=True,
)
MANGA_DETAILS = Endpoint(
    "manga.get",
    "GET",
    "/manga/{manga_id}",
    Manga,
    arguments={"manga_id": positive_id},
    fields=("manga", "details"),
    default_fields=MANGA_ALL,
)
MANGA_RANKING = ListEndpoint(
    Endpoint(
        "manga.ranking",
        "GET",
        "/manga/ranking",
        Page[RankedManga],
        arguments={"ranking_type": one_of(MangaRankingType, required=True)},
        fields=("manga", "list"),
    ),
    RankedManga,
    max_limit=500,
    nsfw=True,
)
MANGA_LIST_UPDATE = Endpoint(
    "mangalist.update",
    "PATCH",
    "/manga/{manga_id}/my_list_status",
    MangaListStatus,
    auth="user",
    arguments={"manga_id": positive_id},
    form="manga",
)
MANGA_LIST_DELETE = Endpoint(
    "mangalist.delete",
    "DELETE",
    "/manga/{manga_id}/my_list_status",
    bool,
    auth="user",
    arguments={"manga_id": positive_id},
    absent_ok=True,
)
MANGA_LIST = ListEndpoint(
    Endpoint(
        "mangalist.list",
        "GET",
        "/users/{user_name}/mangalist",
        Page[MangaListEntry],
        arguments={
            "user_name": name,
            "status": one_of(ReadStatus),
            "sort": one_of(MangaListSort),
        },
        fields=("manga", "user_list"),
    ),
    MangaListEntry,
    max_limit=1000,
    nsfw=True,
)

# --- users (SPEC 4.10) --------------------------------------------------------------------------

USERS_ME = Endpoint(
    "users.me",
    "GET",
    "/users/@me",
    User,
    auth="user",
    fields=("user", "details"),
    default_fields=USER_ALL,
)

# --- forum (SPEC 4.11) --------------------------------------------------------------------------

FORUM_BOARDS = Endpoint("forum.boards", "GET", "/forum/boards", ForumBoards)
FORUM_TOPIC = ListEndpoint(
    Endpoint(
        "forum.topic",
        "GET",
        "/forum/topic/{topic_id}",
        ForumTopicPage,
        arguments={"topic_id": positive_id},
    ),
    ForumPost,
    max_limit=100,
    items=_posts,
)
FORUM_TOPICS = ListEndpoint(
    Endpoint(
        "forum.topics",
        "GET",
        "/forum/topics",
        Page[ForumTopic],
        arguments={
            "board_id": optional_id,
            "subboard_id": optional_id,
            "q": forum_text,
            "topic_user_name": forum_text,
            "user_name": forum_text,
            "sort": one_of(ForumSort),
        },
        one_of=("board_id", "subboard_id", "q"),
    ),
    ForumTopic,
    max_limit=100,
)

# Every endpoint of SPEC 4's table, in its order.
ENDPOINTS: tuple[Endpoint[Any] | ListEndpoint[Any], ...] = (
    ANIME_SEARCH,
    ANIME_DETAILS,
    ANIME_RANKING,
    ANIME_SEASONAL,
    ANIME_SUGGESTIONS,
    ANIME_LIST_UPDATE,
    ANIME_LIST_DELETE,
    ANIME_LIST,
    MANGA_SEARCH,
    MANGA_DETAILS,
    MANGA_RANKING,
    MANGA_LIST_UPDATE,
    MANGA_LIST_DELETE,
    MANGA_LIST,
    USERS_ME,
    FORUM_BOARDS,
    FORUM_TOPIC,
    FORUM_TOPICS,
)
