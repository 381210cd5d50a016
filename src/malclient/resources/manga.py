"""`client.manga`: search, details and rankings (SPEC 4.9).
One-line wrappers over `_endpoints`; `Manga` and `AsyncManga` keep identical signatures.
"""

from __future__ import annotations

from malclient import models
from malclient.models import MangaEdge, MangaRankingType, RankedManga
from malclient.resources._base import AsyncResource, SyncResource
from malclient.resources._calls import FieldsArg
from malclient.resources._endpoints import MANGA_DETAILS, MANGA_RANKING, MANGA_SEARCH
from malclient.resources._paging import AsyncPager, SyncPage

__all__ = ["AsyncManga", "Manga"]


class Manga(SyncResource):
    """Manga, novels and the rest of MAL's printed works."""

    __slots__ = ()

    def search(
        self,
        q: str,
        *,
        limit: int | None = None,
        offset: int = 0,
        fields: FieldsArg = None,
        nsfw: bool | None = None,
    ) -> SyncPage[MangaEdge]:
        """Titles matching `q` (3 to 64 characters), best match first."""
        return self._list(MANGA_SEARCH, q=q, limit=limit, offset=offset, fields=fields, nsfw=nsfw)

    def get(self, manga_id: int, *, fields: FieldsArg = None) -> models.Manga:
        """One title; every field unless `fields` says which (`Fields.manga(...)`)."""
        return self._call(MANGA_DETAILS, manga_id=manga_id, fields=fields)

    def ranking(
        self,
        ranking_type: MangaRankingType = "all",
        *,
        limit: int | None = None,
        offset: int = 0,
        fields: FieldsArg = None,
        nsfw: bool | None = None,
    ) -> SyncPage[RankedManga]:
        """A ranking; each entry's `.ranking.rank` is its place in *this* ranking."""
        return self._list(
            MANGA_RANKING,
            ranking_type=ranking_type,
            limit=limit,
            offset=offset,
            fields=fields,
            nsfw=nsfw,
        )


class AsyncManga(AsyncResource):
    """`Manga` for asyncio."""

    __slots__ = ()

    def search(
        self,
        q: str,
        *,
        limit: int | None = None,
        offset: int = 0,
        fields: FieldsArg = None,
        nsfw: bool | None = None,
    ) -> AsyncPager[MangaEdge]:
        return self._list(MANGA_SEARCH, q=q, limit=limit, offset=offset, fields=fields, nsfw=nsfw)

    async def get(self, manga_id: int, *, fields: FieldsArg = None) -> models.Manga:
        return await self._call(MANGA_DETAILS, manga_id=manga_id, fields=fields)

    def ranking(
        self,
        ranking_type: MangaRankingType = "all",
        *,
        limit: int | None = None,
        offset: int = 0,
        fields: FieldsArg = None,
        nsfw: bool | None = None,
    ) -> AsyncPager[RankedManga]:
        return self._list(
            MANGA_RANKING,
            ranking_type=ranking_type,
            limit=limit,
            offset=offset,
            fields=fields,
            nsfw=nsfw,
        )
