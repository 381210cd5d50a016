"""The sync decisions alone (no I/O): which pages are asked for, and where a sync stops."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from malclient.mirror import FIRST_PAGE, ListChangedDuringSync, _Fetch, _sync_steps
from malclient.models import Anime, AnimeListEntry, AnimeListStatus

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def entry(anime_id: int, second: int) -> AnimeListEntry:
    stamp = T0.replace(second=second)
    return AnimeListEntry(
        node=Anime(id=anime_id, title=f"t{anime_id}"),
        list_status=AnimeListStatus(status="watching", updated_at=stamp),
    )


def test_an_incremental_sync_stops_at_the_first_entry_older_than_the_last_sync() -> None:
    steps = _sync_steps(T0.replace(second=30).timestamp(), ties=1, full=False)
    assert next(steps) == _Fetch(0, FIRST_PAGE)
    page = [entry(1, 40), entry(2, 30), entry(3, 30), entry(4, 29), entry(5, 10)]
    with pytest.raises(StopIteration) as done:
        steps.send((page, True))
    plan = done.value.value
    # The entries of the last sync's second are read again: they may have changed in it.
    assert sorted(plan.rows) == [1, 2, 3]
    assert plan.requests == 1


def test_the_first_page_reaches_past_every_entry_of_the_newest_second() -> None:
    steps = _sync_steps(T0.timestamp(), ties=400, full=False)
    assert next(steps) == _Fetch(0, 401)


def test_later_pages_are_full_and_overlap_the_previous_one_by_an_entry() -> None:
    steps = _sync_steps(None, ties=0, full=True)
    assert next(steps) == _Fetch(0, 1000)
    first = [entry(i, 50) for i in range(1000)]
    assert steps.send((first, True)) == _Fetch(999, 1000)


def test_a_list_that_keeps_moving_between_pages_is_given_up_on() -> None:
    steps = _sync_steps(None, ties=0, full=True)
    fetch = next(steps)
    first_page = [entry(i, 50) for i in range(1000)]
    for attempt in range(2):
        assert fetch == _Fetch(0, 1000)  # every attempt starts over
        assert steps.send((first_page, True)) == _Fetch(999, 1000)
        # The next page does not start with the entry the last one ended with.
        fetch = steps.send(([entry(5000 + attempt, 50)], False))
    assert steps.send((first_page, True)) == _Fetch(999, 1000)
    with pytest.raises(ListChangedDuringSync, match="mirror is unchanged"):
        steps.send(([entry(6000, 50)], False))
