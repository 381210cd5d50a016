"""What the list helpers decide to write, for the entries users actually have: first episode,
an old device reporting less, the last episode, a re-watch, manga volumes and chapters."""

from __future__ import annotations

from datetime import date

import pytest

from malclient.models import AnimeListStatus, MangaListStatus, PartialDate
from malclient.resources._progress import ANIME, MANGA, plan_complete, plan_progress

TODAY = date(2026, 6, 7)


def anime(**fields: object) -> AnimeListStatus:
    return AnimeListStatus(**fields)  # type: ignore[arg-type]


def test_first_progress_on_a_new_title_starts_it_today() -> None:
    assert plan_progress(
        ANIME, None, {"num_episodes_watched": 12}, {"num_episodes_watched": 1}, TODAY
    ) == {
        "num_episodes_watched": 1,
        "status": "watching",
        "start_date": TODAY,
    }


def test_a_planned_title_starts_but_keeps_a_start_date_it_has() -> None:
    entry = anime(status="plan_to_watch", num_episodes_watched=0, start_date=PartialDate(2025))
    changes = plan_progress(
        ANIME, entry, {"num_episodes_watched": 12}, {"num_episodes_watched": 3}, TODAY
    )
    assert changes == {"num_episodes_watched": 3, "status": "watching"}


def test_progress_never_goes_backwards() -> None:
    entry = anime(status="watching", num_episodes_watched=7)
    assert (
        plan_progress(
            ANIME, entry, {"num_episodes_watched": 12}, {"num_episodes_watched": 5}, TODAY
        )
        == {}
    )
    assert (
        plan_progress(
            ANIME, entry, {"num_episodes_watched": 12}, {"num_episodes_watched": 7}, TODAY
        )
        == {}
    )


def test_resuming_a_dropped_or_paused_title_watches_it_again() -> None:
    for status in ("on_hold", "dropped"):
        entry = anime(status=status, num_episodes_watched=2, start_date=PartialDate(2024, 1))
        changes = plan_progress(
            ANIME, entry, {"num_episodes_watched": 0}, {"num_episodes_watched": 3}, TODAY
        )
        assert changes == {"num_episodes_watched": 3, "status": "watching"}


def test_the_last_episode_completes_with_a_finish_date() -> None:
    entry = anime(status="watching", num_episodes_watched=11, start_date=PartialDate(2026, 4))
    changes = plan_progress(
        ANIME, entry, {"num_episodes_watched": 12}, {"num_episodes_watched": 12}, TODAY
    )
    assert changes == {"num_episodes_watched": 12, "status": "completed", "finish_date": TODAY}


def test_unknown_totals_never_complete_and_never_cap() -> None:
    entry = anime(status="watching", num_episodes_watched=1100)
    changes = plan_progress(
        ANIME, entry, {"num_episodes_watched": 0}, {"num_episodes_watched": 1101}, TODAY
    )
    assert changes == {"num_episodes_watched": 1101}


def test_more_episodes_than_the_title_has_is_an_error() -> None:
    with pytest.raises(ValueError, match="only 12"):
        plan_progress(
            ANIME, None, {"num_episodes_watched": 12}, {"num_episodes_watched": 13}, TODAY
        )


def test_finishing_a_rewatch_counts_it_and_keeps_the_first_finish_date() -> None:
    entry = anime(
        status="completed",
        is_rewatching=True,
        num_episodes_watched=11,
        num_times_rewatched=1,
        finish_date=PartialDate(2020, 5, 1),
    )
    changes = plan_progress(
        ANIME, entry, {"num_episodes_watched": 12}, {"num_episodes_watched": 12}, TODAY
    )
    assert changes == {"num_episodes_watched": 12, "is_rewatching": False, "num_times_rewatched": 2}


def test_complete_fills_the_total_and_dates_it_today_unless_told() -> None:
    entry = anime(status="watching", num_episodes_watched=3)
    assert plan_complete(ANIME, entry, {"num_episodes_watched": 24}, None, TODAY) == {
        "num_episodes_watched": 24,
        "status": "completed",
        "finish_date": TODAY,
    }
    assert (
        plan_complete(ANIME, entry, {"num_episodes_watched": 24}, "2026-05", TODAY)["finish_date"]
        == "2026-05"
    )


def test_completing_an_already_completed_title_keeps_its_finish_date() -> None:
    entry = anime(status="completed", num_episodes_watched=24, finish_date=PartialDate(2021, 3, 4))
    assert plan_complete(ANIME, entry, {"num_episodes_watched": 24}, None, TODAY) == {}


def test_manga_chapters_reaching_the_total_complete_and_fill_the_volumes() -> None:
    entry = MangaListStatus(status="reading", num_chapters_read=90, num_volumes_read=9)
    totals = {"num_chapters_read": 100, "num_volumes_read": 10}
    changes = plan_progress(MANGA, entry, totals, {"num_chapters_read": 100}, TODAY)
    assert changes == {
        "num_chapters_read": 100,
        "status": "completed",
        "finish_date": TODAY,
        "num_volumes_read": 10,
    }


def test_manga_progress_on_volumes_alone_keeps_the_chapters() -> None:
    entry = MangaListStatus(status="reading", num_chapters_read=40, num_volumes_read=3)
    totals = {"num_chapters_read": 0, "num_volumes_read": 0}
    assert plan_progress(MANGA, entry, totals, {"num_volumes_read": 4}, TODAY) == {
        "num_volumes_read": 4
    }
