"""`client.anime`: search, details, rankings, seasons and suggestions (SPEC 4.1-4.5).
One-line wrappers over `_endpoints`; `Anime` and `AsyncAnime` keep identical signatures.
"""

from __future__ import annotations

from malclient import models
from malclient.models import AnimeEdge, AnimeRankingType, RankedAnime, Season, SeasonSort
from malclient.resources._base import AsyncResource, SyncResource
from malclient.resources._calls import FieldsArg
from malclient.resources._endpoints import (
    ANIME_DETAILS,
    ANIME_RANKING,
    ANIME_SEARCH,
    ANIME_SEASONAL,
    ANIME_SUGGESTIONS,
)
from malclient.resources._paging import AsyncPager, SyncPage

__all__ = ["Anime", "AsyncAnime"]


class Anime(SyncResource):
    """Anime titles. List methods return a page; iterating it goes on through every page."""

    __slots__ = ()

    def search(
        self,
        q: str,
        *,
        limit: int | None = None,
        offset: int = 0,
        fields: FieldsArg = None,
        nsfw: bool | None = None,
    ) -> SyncPage[AnimeEdge]:
        """Titles matching `q` (3 to 64 characters), best match first."""
        return self._list(ANIME_SEARCH, q=q, limit=limit, offset=offset, fields=fields, nsfw=nsfw)

    def get(self, anime_id: int, *, fields: FieldsArg = None) -> models.Anime:
        """One title; every field unless `fields` says which (`Fields.anime(...)`)."""
        return self._call(ANIME_DETAILS, anime_id=anime_id, fields=fields)

    def ranking(
        self,
        ranking_type: AnimeRankingType = "all",
        *,
        limit: int | None = None,
        offset: int = 0,
        fields: FieldsArg = None,
        nsfw: bool | None = None,
    ) -> SyncPage[RankedAnime]:
        """A ranking; each entry's `.ranking.rank` is its place in *this* ranking."""
        return self._list(
            ANIME_RANKING,
            ranking_type=ranking_type,
            limit=limit,
            offset=offset,
            fields=fields,
            nsfw=nsfw,
        )

    def seasonal(
        self,
        year: int,
        season: Season,
        *,
        sort: SeasonSort | None = None,
        limit: int | None = None,
        offset: int = 0,
        fields: FieldsArg = None,
        nsfw: bool | None = None,
    ) -> SyncPage[AnimeEdge]:
        """A season's anime, including shows still airing from earlier seasons (SPEC 4.4)."""
        return self._list(
            ANIME_SEASONAL,
            year=year,
            season=season,
            sort=sort,
            limit=limit,
            offset=offset,
            fields=fields,
            nsfw=nsfw,
        )

    def suggestions(
        self,
        *,
        limit: int | None = None,
        offset: int = 0,
        fields: FieldsArg = None,
        nsfw: bool | None = None,
    ) -> SyncPage[AnimeEdge]:
        """MAL's suggestions for the signed-in user (none for an empty list)."""
        return self._list(ANIME_SUGGESTIONS, limit=limit, offset=offset, fields=fields, nsfw=nsfw)


class AsyncAnime(AsyncResource):
    """`Anime` for asyncio: `await` single results, `async for` over lists."""

    __slots__ = ()

    def search(
        self,
        q: str,
        *,
        limit: int | None = None,
        offset: int = 0,
        fields: FieldsArg = None,
        nsfw: bool | None = None,
    ) -> AsyncPager[AnimeEdge]:
        return self._list(ANIME_SEARCH, q=q, limit=limit, offset=offset, fields=fields, nsfw=nsfw)

    async def get(self, anime_id: int, *, fields: FieldsArg = None) -> models.Anime:
        return await self._call(ANIME_DETAILS, anime_id=anime_id, fields=fields)

    def ranking(
        self,
        ranking_type: AnimeRankingType = "all",
        *,
        limit: int | None = None,
        offset: int = 0,
        fields: FieldsArg = None,
        nsfw: bool | None = None,
    ) -> AsyncPager[RankedAnime]:
        return self._list(
            ANIME_RANKING,
            ranking_type=ranking_type,
            limit=limit,
            offset=offset,
            fields=fields,
            nsfw=nsfw,
        )

    def seasonal(
        self,
        year: int,
        season: Season,
        *,
        sort: SeasonSort | None = None,
        limit: int | None = None,
        offset: int = 0,
        fields: FieldsArg = None,
        nsfw: bool | None = None,
    ) -> AsyncPager[AnimeEdge]:
        return self._list(
            ANIME_SEASONAL,
            year=year,
            season=season,
            sort=sort,
            limit=limit,
            offset=offset,
            fields=fields,
            nsfw=nsfw,
        )

    def suggestions(
        self,
        *,
        limit: int | None = None,
        offset: int = 0,
        fields: FieldsArg = None,
        nsfw: bool | None = None,
    ) -> AsyncPager[AnimeEdge]:
        return self._list(ANIME_SUGGESTIONS, limit=limit, offset=offset, fields=fields, nsfw=nsfw)
