"""`client.animelist`: a user's anime list, and writes to the signed-in user's (SPEC 4.6-4.8).
One-line wrappers over `_endpoints` and `_progress`; `AnimeList` and `AsyncAnimeList` keep
identical signatures.
"""

from __future__ import annotations

from datetime import date

from malclient.models import AnimeListEntry, AnimeListSort, AnimeListStatus, WatchStatus
from malclient.resources._base import AsyncResource, SyncResource
from malclient.resources._calls import DateArg, FieldsArg, TagsArg
from malclient.resources._endpoints import ANIME_LIST, ANIME_LIST_DELETE, ANIME_LIST_UPDATE
from malclient.resources._paging import AsyncPager, SyncPage
from malclient.resources._progress import ANIME, complete_steps, progress_steps

__all__ = ["AnimeList", "AsyncAnimeList"]


class AnimeList(SyncResource):
    """Anime lists. Writes change the signed-in user's list and send only what is given."""

    __slots__ = ()

    def list(
        self,
        user_name: str = "@me",
        *,
        status: WatchStatus | None = None,
        sort: AnimeListSort | None = None,
        limit: int | None = None,
        offset: int = 0,
        fields: FieldsArg = None,
        nsfw: bool | None = None,
    ) -> SyncPage[AnimeListEntry]:
        """Every entry (`.node`, `.list_status`), 1,000 per request, page after page.

        `fields` selects the titles' fields and, in `list_status{...}`, the entries' (the
        preset `ANIME_LIST_EXPORT` has everything an export needs).
        """
        return self._list(
            ANIME_LIST,
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
        anime_id: int,
        *,
        status: WatchStatus | None = None,
        score: int | None = None,
        num_episodes_watched: int | None = None,
        is_rewatching: bool | None = None,
        priority: int | None = None,
        num_times_rewatched: int | None = None,
        rewatch_value: int | None = None,
        tags: TagsArg = None,
        comments: str | None = None,
        start_date: DateArg = None,
        finish_date: DateArg = None,
    ) -> AnimeListStatus:
        """Add or change an entry; only the arguments given are sent, the rest stay as they
        are. Dates may be partial ("2024-03"); "" clears a date. Returns the whole entry."""
        return self._call(
            ANIME_LIST_UPDATE,
            anime_id=anime_id,
            status=status,
            score=score,
            num_episodes_watched=num_episodes_watched,
            is_rewatching=is_rewatching,
            priority=priority,
            num_times_rewatched=num_times_rewatched,
            rewatch_value=rewatch_value,
            tags=tags,
            comments=comments,
            start_date=start_date,
            finish_date=finish_date,
        )

    def delete(self, anime_id: int) -> bool:
        """Remove the entry. True if MAL removed one; False if there was none (a 404, which
        is success too: SPEC 4.7)."""
        return self._call(ANIME_LIST_DELETE, anime_id=anime_id)

    def progress(
        self, anime_id: int, episodes: int, *, today: date | None = None
    ) -> AnimeListStatus:
        """Record that `episodes` have been watched, never lowering the count. The first
        episode starts a planned title (start date today); the last completes it (finish
        date today). One read, then at most one PATCH."""
        status: AnimeListStatus = self._steps(
            progress_steps(
                ANIME,
                anime_id,
                self._runner.options,
                today=today,
                set_to={"num_episodes_watched": episodes},
            )
        )
        return status

    def increment(
        self, anime_id: int, episodes: int = 1, *, today: date | None = None
    ) -> AnimeListStatus:
        """Add `episodes` to the count MAL has now (never past the total), as `progress`."""
        status: AnimeListStatus = self._steps(
            progress_steps(
                ANIME,
                anime_id,
                self._runner.options,
                today=today,
                add={"num_episodes_watched": episodes},
            )
        )
        return status

    def complete(
        self,
        anime_id: int,
        *,
        finish_date: DateArg = None,
        score: int | None = None,
        today: date | None = None,
    ) -> AnimeListStatus:
        """Mark completed with every episode watched and a finish date (today unless given
        or already set); ends a re-watch if one is on. One read, then one PATCH."""
        status: AnimeListStatus = self._steps(
            complete_steps(
                ANIME,
                anime_id,
                self._runner.options,
                finish_date=finish_date,
                score=score,
                today=today,
            )
        )
        return status


class AsyncAnimeList(AsyncResource):
    """`AnimeList` for asyncio."""

    __slots__ = ()

    def list(
        self,
        user_name: str = "@me",
        *,
        status: WatchStatus | None = None,
        sort: AnimeListSort | None = None,
        limit: int | None = None,
        offset: int = 0,
        fields: FieldsArg = None,
        nsfw: bool | None = None,
    ) -> AsyncPager[AnimeListEntry]:
        return self._list(
            ANIME_LIST,
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
        anime_id: int,
        *,
        status: WatchStatus | None = None,
        score: int | None = None,
        num_episodes_watched: int | None = None,
        is_rewatching: bool | None = None,
        priority: int | None = None,
        num_times_rewatched: int | None = None,
        rewatch_value: int | None = None,
        tags: TagsArg = None,
        comments: str | None = None,
        start_date: DateArg = None,
        finish_date: DateArg = None,
    ) -> AnimeListStatus:
        return await self._call(
            ANIME_LIST_UPDATE,
            anime_id=anime_id,
            status=status,
            score=score,
            num_episodes_watched=num_episodes_watched,
            is_rewatching=is_rewatching,
            priority=priority,
            num_times_rewatched=num_times_rewatched,
            rewatch_value=rewatch_value,
            tags=tags,
            comments=comments,
            start_date=start_date,
            finish_date=finish_date,
        )

    async def delete(self, anime_id: int) -> bool:
        return await self._call(ANIME_LIST_DELETE, anime_id=anime_id)

    async def progress(
        self, anime_id: int, episodes: int, *, today: date | None = None
    ) -> AnimeListStatus:
        status: AnimeListStatus = await self._steps(
            progress_steps(
                ANIME,
                anime_id,
                self._runner.options,
                today=today,
                set_to={"num_episodes_watched": episodes},
            )
        )
        return status

    async def increment(
        self, anime_id: int, episodes: int = 1, *, today: date | None = None
    ) -> AnimeListStatus:
        status: AnimeListStatus = await self._steps(
            progress_steps(
                ANIME,
                anime_id,
                self._runner.options,
                today=today,
                add={"num_episodes_watched": episodes},
            )
        )
        return status

    async def complete(
        self,
        anime_id: int,
        *,
        finish_date: DateArg = None,
        score: int | None = None,
        today: date | None = None,
    ) -> AnimeListStatus:
        status: AnimeListStatus = await self._steps(
            complete_steps(
                ANIME,
                anime_id,
                self._runner.options,
                finish_date=finish_date,
                score=score,
                today=today,
            )
        )
        return status
