"""A user's entry for one title as MAL reads it back (SPEC 5.3, 5.4): on user lists
(`list_status`), on nodes (`my_list_status`) and as the answer to a list write.

Read names only; the write form's names (`num_watched_episodes`) are `forms.py`'s business.
"""

from __future__ import annotations

from datetime import datetime

from malclient.models.common import Model
from malclient.models.dates import PartialDate
from malclient.models.literals import ReadStatus, WatchStatus

__all__ = ["AnimeListStatus", "MangaListStatus"]


class AnimeListStatus(Model, frozen=True):
    # Always sent: status, score, num_episodes_watched, is_rewatching, updated_at. The rest
    # only with `list_status{...}` on lists, or always in a write's answer (SPEC 4.8, 5.3).
    status: WatchStatus | str | None = None
    # 0 means "no score".
    score: int | None = None
    num_episodes_watched: int | None = None
    is_rewatching: bool | None = None
    updated_at: datetime | None = None
    # Unset dates are absent, never null or "" (SPEC 3.5).
    start_date: PartialDate | None = None
    finish_date: PartialDate | None = None
    priority: int | None = None
    num_times_rewatched: int | None = None
    rewatch_value: int | None = None
    tags: list[str] | None = None
    comments: str | None = None


class MangaListStatus(Model, frozen=True):
    status: ReadStatus | str | None = None
    is_rereading: bool | None = None
    num_volumes_read: int | None = None
    num_chapters_read: int | None = None
    score: int | None = None
    updated_at: datetime | None = None
    start_date: PartialDate | None = None
    finish_date: PartialDate | None = None
    priority: int | None = None
    num_times_reread: int | None = None
    reread_value: int | None = None
    tags: list[str] | None = None
    comments: str | None = None
