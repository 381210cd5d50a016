"""`client.mangalist`: a user's manga list, and writes to the signed-in user's (SPEC 4.9, 5.4).
One-line wrappers over `_endpoints` and `_progress`; `MangaList` and `AsyncMangaList` keep
identical signatures.
"""

from __future__ import annotations

from datetime import date

from malclient.models import MangaListEntry, MangaListSort, MangaListStatus, ReadStatus
from malclient.resources._base import AsyncResource, SyncResource
from malclient.resources._calls import DateArg, FieldsArg, TagsArg
from malclient.resources._endpoints import MANGA_LIST, MANGA_LIST_DELETE, MANGA_LIST_UPDATE
from malclient.resources._paging import AsyncPager, SyncPage
from malclient.resources._progress import MANGA, complete_steps, progress_steps

__all__ = ["AsyncMangaList", "MangaList"]


class MangaList(SyncResource):
    """Manga lists. Writes change the signed-in user's list and send only what is given."""

    __slots__ = ()

    def list(
        self,
        user_name: str = "@me",
        *,
        status: ReadStatus | None = None,
        sort: MangaListSort | None = None,
        limit: int | None = None,
        offset: int = 0,
        fields: FieldsArg = None,
        nsfw: bool | None = None,
    ) -> SyncPage[MangaListEntry]:
        """Every entry (`.node`, `.list_status`), 1,000 per request, page after page.

        `fields` selects the titles' fields and, in `list_status{...}`, the entries' (the
        preset `MANGA_LIST_EXPORT` has everything an export needs).
        """
        return self._list(
            MANGA_LIST,
            user_name=user_name,
            status=status,
            sort=sort,
            limit=limit,
            offset=offset,
            fields=fields,
            nsfw=nsfw,
        )

    def update(
        self,
        manga_id: int,
        *,
        status: ReadStatus | None = None,
        score: int | None = None,
        num_volumes_read: int | None = None,
        num_chapters_read: int | None = None,
        is_rereading: bool | None = None,
        priority: int | None = None,
        num_times_reread: int | None = None,
        reread_value: int | None = None,
        tags: TagsArg = None,
        comments: str | None = None,
        start_date: DateArg = None,
        finish_date: DateArg = None,
    ) -> MangaListStatus:
        """Add or change an entry; only the arguments given are sent, the rest stay as they
        are. Dates may be partial ("2024-03"); "" clears a date. Returns the whole entry."""
        return self._call(
            MANGA_LIST_UPDATE,
            manga_id=manga_id,
            status=status,
            score=score,
            num_volumes_read=num_volumes_read,
            num_chapters_read=num_chapters_read,
            is_rereading=is_rereading,
            priority=priority,
            num_times_reread=num_times_reread,
            reread_value=reread_value,
            tags=tags,
            comments=comments,
            start_date=start_date,
            finish_date=finish_date,
        )

    def delete(self, manga_id: int) -> bool:
        """Remove the entry. True if MAL removed one; False if there was none (a 404, which
        is success too: SPEC 4.7)."""
        return self._call(MANGA_LIST_DELETE, manga_id=manga_id)

    def progress(
        self,
        manga_id: int,
        *,
        chapters: int | None = None,
        volumes: int | None = None,
        today: date | None = None,
    ) -> MangaListStatus:
        """Record the chapters and/or volumes read, never lowering a count. The first progress
        starts a planned title (start date today); reaching a known total completes it (finish
        date today, the other total filled in). One read, then at most one PATCH."""
        status: MangaListStatus = self._steps(
            progress_steps(
                MANGA,
                manga_id,
                self._runner.options,
                today=today,
                set_to={"num_chapters_read": chapters, "num_volumes_read": volumes},
            )
        )
        return status

    def increment(
        self, manga_id: int, chapters: int = 1, *, volumes: int = 0, today: date | None = None
    ) -> MangaListStatus:
        """Add chapters (one by default) and volumes to what MAL has now, as `progress`."""
        status: MangaListStatus = self._steps(
            progress_steps(
                MANGA,
                manga_id,
                self._runner.options,
                today=today,
                add={"num_chapters_read": chapters, "num_volumes_read": volumes},
            )
        )
        return status

    def complete(
        self,
        manga_id: int,
        *,
        finish_date: DateArg = None,
        score: int | None = None,
        today: date | None = None,
    ) -> MangaListStatus:
        """Mark completed with every chapter and volume read and a finish date (today unless
        given or already set); ends a re-read if one is on. One read, then one PATCH."""
        status: MangaListStatus = self._steps(
            complete_steps(
                MANGA,
                manga_id,
                self._runner.options,
                finish_date=finish_date,
                score=score,
                today=today,
            )
        )
        return status


class AsyncMangaList(AsyncResource):
    """`MangaList` for asyncio."""

    __slots__ = ()

    def list(
        self,
        user_name: str = "@me",
        *,
        status: ReadStatus | None = None,
        sort: MangaListSort | None = None,
        limit: int | None = None,
        offset: int = 0,
        fields: FieldsArg = None,
        nsfw: bool | None = None,
    ) -> AsyncPager[MangaListEntry]:
        return self._list(
            MANGA_LIST,
            user_name=user_name,
            status=status,
            sort=sort,
            limit=limit,
            offset=offset,
            fields=fields,
            nsfw=nsfw,
        )

    async def update(
        self,
        manga_id: int,
        *,
        status: ReadStatus | None = None,
        score: int | None = None,
        num_volumes_read: int | None = None,
        num_chapters_read: int | None = None,
        is_rereading: bool | None = None,
        priority: int | None = None,
        num_times_reread: int | None = None,
        reread_value: int | None = None,
        tags: TagsArg = None,
        comments: str | None = None,
        start_date: DateArg = None,
        finish_date: DateArg = None,
    ) -> MangaListStatus:
        return await self._call(
            MANGA_LIST_UPDATE,
            manga_id=manga_id,
            status=status,
            score=score,
            num_volumes_read=num_volumes_read,
            num_chapters_read=num_chapters_read,
            is_rereading=is_rereading,
            priority=priority,
            num_times_reread=num_times_reread,
            reread_value=reread_value,
            tags=tags,
            comments=comments,
            start_date=start_date,
            finish_date=finish_date,
        )

    async def delete(self, manga_id: int) -> bool:
        return await self._call(MANGA_LIST_DELETE, manga_id=manga_id)

    async def progress(
        self,
        manga_id: int,
        *,
        chapters: int | None = None,
        volumes: int | None = None,
        today: date | None = None,
    ) -> MangaListStatus:
        status: MangaListStatus = await self._steps(
            progress_steps(
                MANGA,
                manga_id,
                self._runner.options,
                today=today,
                set_to={"num_chapters_read": chapters, "num_volumes_read": volumes},
            )
        )
        return status

    async def increment(
        self, manga_id: int, chapters: int = 1, *, volumes: int = 0, today: date | None = None
    ) -> MangaListStatus:
        status: MangaListStatus = await self._steps(
            progress_steps(
                MANGA,
                manga_id,
                self._runner.options,
                today=today,
                add={"num_chapters_read": chapters, "num_volumes_read": volumes},
            )
        )
        return status

    async def complete(
        self,
        manga_id: int,
        *,
        finish_date: DateArg = None,
        score: int | None = None,
        today: date | None = None,
    ) -> MangaListStatus:
        status: MangaListStatus = await self._steps(
            complete_steps(
                MANGA,
                manga_id,
                self._runner.options,
                finish_date=finish_date,
                score=score,
                today=today,
            )
        )
        return status
