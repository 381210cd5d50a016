"""The signed-in user's profile (`GET /users/@me`, SPEC 4.10)."""

from __future__ import annotations

from datetime import datetime

from malclient.models.common import Model
from malclient.models.dates import PartialDate

__all__ = ["User", "UserAnimeStatistics"]


class UserAnimeStatistics(Model, frozen=True):
    """Totals over the user's anime list (`fields=anime_statistics`); days are fractional."""

    num_items_watching: int | None = None
    num_items_completed: int | None = None
    num_items_on_hold: int | None = None
    num_items_dropped: int | None = None
    num_items_plan_to_watch: int | None = None
    num_items: int | None = None
    num_days_watched: float | None = None
    num_days_watching: float | None = None
    num_days_completed: float | None = None
    num_days_on_hold: float | None = None
    num_days_dropped: float | None = None
    num_days: float | None = None
    num_episodes: int | None = None
    num_times_rewatched: int | None = None
    mean_score: float | None = None


class User(Model, frozen=True):
    id: int
    name: str = ""
    # The URL carries a `?t=` cache-buster (SPEC 4.10).
    picture: str | None = None
    gender: str | None = None
    birthday: PartialDate | None = None
    # Often "" (SPEC 4.10).
    location: str | None = None
    joined_at: datetime | None = None
    anime_statistics: UserAnimeStatistics | None = None
    time_zone: str | None = None
    is_supporter: bool | None = None
