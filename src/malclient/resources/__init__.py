"""The resources of a client, one per part of MAL's API: `client.anime`, `client.manga`,
`client.animelist`, `client.mangalist`, `client.users`, `client.forum`. Each has a sync and an
async class with the same methods; endpoints are defined once in `_endpoints`.
"""

from malclient.resources._paging import AsyncPage, AsyncPager, SyncPage
from malclient.resources.anime import Anime, AsyncAnime
from malclient.resources.animelist import AnimeList, AsyncAnimeList
from malclient.resources.forum import AsyncForum, Forum
from malclient.resources.manga import AsyncManga, Manga
from malclient.resources.mangalist import AsyncMangaList, MangaList
from malclient.resources.users import AsyncUsers, Users

__all__ = [
    "Anime",
    "AnimeList",
    "AsyncAnime",
    "AsyncAnimeList",
    "AsyncForum",
    "AsyncManga",
    "AsyncMangaList",
    "AsyncPage",
    "AsyncPager",
    "AsyncUsers",
    "Forum",
    "Manga",
    "MangaList",
    "SyncPage",
    "Users",
]
