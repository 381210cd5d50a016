"""The list operations users ask for most, each one read and then a single PATCH: record
progress without ever going backwards, add to it, mark a title completed. Pure: the steps
are generators of calls (`_base.Steps`), and the decisions are plain functions of the entry.

Every value is computed before the PATCH is sent, and the form carries absolute values
(SPEC 4.6: fields not sent are kept), so a retried PATCH cannot count an episode twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from malclient._exceptions import InvalidArgument
from malclient.models import Anime, AnimeListStatus, Manga, MangaListStatus
from malclient.resources._base import Steps
from malclient.resources._calls import DateArg, Endpoint, Options, count, prepare
from malclient.resources._endpoints import (
    ANIME_DETAILS,
    ANIME_LIST_UPDATE,
    MANGA_DETAILS,
    MANGA_LIST_UPDATE,
)

__all__ = ["ANIME", "MANGA", "Vocabulary", "complete_steps", "plan_complete", "plan_progress"]

Entry = AnimeListStatus | MangaListStatus


@dataclass(frozen=True)
class Vocabulary:
    """How anime and manga entries name the same ideas (SPEC 5.3, 5.4)."""

    kind: Literal["anime", "manga"]
    active: str  # watching / reading
    planned: str  # plan_to_watch / plan_to_read
    again: str  # is_rewatching / is_rereading
    times: str  # num_times_rewatched / num_times_reread
    # (the entry's count, the title's total): 0 or absent totals are unknown (SPEC 5.1, 5.2)
    measures: tuple[tuple[str, str], ...]
    details: Endpoint[Any]
    update: Endpoint[Any]
    id_name: str


ANIME = Vocabulary(
    kind="anime",
    active="watching",
    planned="plan_to_watch",
    again="is_rewatching",
    times="num_times_rewatched",
    measures=(("num_episodes_watched", "num_episodes"),),
    details=ANIME_DETAILS,
    update=ANIME_LIST_UPDATE,
    id_name="anime_id",
)
MANGA = Vocabulary(
    kind="manga",
    active="reading",
    planned="plan_to_read",
    again="is_rereading",
    times="num_times_reread",
    measures=(("num_chapters_read", "num_chapters"), ("num_volumes_read", "num_volumes")),
    details=MANGA_DETAILS,
    update=MANGA_LIST_UPDATE,
    id_name="manga_id",
)


def _done(entry: Entry | None, measure: str) -> int:
    value = getattr(entry, measure, None) if entry is not None else None
    return int(value or 0)


def _totals(words: Vocabulary, title: Anime | Manga) -> dict[str, int]:
    return {measure: int(getattr(title, total, None) or 0) for measure, total in words.measures}


def _finishing_again(words: Vocabulary, entry: Entry | None) -> dict[str, Any]:
    # A re-watch that ends: MAL keeps status `completed` during it (SPEC 5.3), so finishing
    # means leaving the flag and counting one more time through.
    assert entry is not None
    return {words.again: False, words.times: _done(entry, words.times) + 1}


def plan_progress(
    words: Vocabulary,
    entry: Entry | None,
    totals: dict[str, int],
    targets: dict[str, int],
    today: date,
) -> dict[str, Any]:
    """The changes that record `targets` (e.g. 5 episodes watched) on `entry` (None: not on the
    list yet). Counts never go down; reaching a known total completes the title with today as
    finish date; the first progress on a planned title starts it with today as start date.
    An empty result means nothing would change.
    """
    changes: dict[str, Any] = {}
    for measure, target in targets.items():
        total = totals.get(measure, 0)
        if total and target > total:
            raise InvalidArgument(
                f"{measure} cannot be {target}: this {words.kind} has only {total}"
            )
        if target > _done(entry, measure):
            changes[measure] = target
    status = entry.status if entry is not None else None
    again = bool(getattr(entry, words.again, False))
    if not changes and entry is not None:
        return {}
    after = {measure: changes.get(measure, _done(entry, measure)) for measure, _ in words.measures}
    finished = any(totals.get(m, 0) and after[m] >= totals[m] for m in after)
    if finished:
        if again:
            changes.update(_finishing_again(words, entry))
        else:
            changes["status"] = "completed"
            if entry is None or entry.finish_date is None or status != "completed":
                changes["finish_date"] = today
        # Reaching the chapters completes the volumes too (and the other way round).
        for measure, total in totals.items():
            if total and after[measure] < total:
                changes[measure] = total
    elif not again and status not in (words.active, "completed"):
        changes["status"] = words.active
    started = status not in (None, words.planned)
    if not started and (entry is None or entry.start_date is None):
        changes["start_date"] = today
    return changes


def plan_complete(
    words: Vocabulary,
    entry: Entry | None,
    totals: dict[str, int],
    finish_date: DateArg,
    today: date,
) -> dict[str, Any]:
    """The changes that mark the title completed: every known total reached, and the finish
    date given, else the one already set on a completed entry, else today."""
    changes: dict[str, Any] = {}
    for measure, total in totals.items():
        if total and _done(entry, measure) < total:
            changes[measure] = total
    status = entry.status if entry is not None else None
    if entry is not None and getattr(entry, words.again, False):
        changes.update(_finishing_again(words, entry))
    elif status != "completed":
        changes["status"] = "completed"
    if finish_date is not None:
        changes["finish_date"] = finish_date
    elif status != "completed" or entry is None or entry.finish_date is None:
        changes["finish_date"] = today
    return changes


def _read(words: Vocabulary, item_id: int, options: Options) -> Any:
    fields = ",".join([*(total for _, total in words.measures), "my_list_status"])
    return prepare(words.details, {words.id_name: item_id, "fields": fields}, options)


def _write(words: Vocabulary, item_id: int, changes: dict[str, Any], options: Options) -> Any:
    return prepare(words.update, {words.id_name: item_id, **changes}, options)


def progress_steps(
    words: Vocabulary,
    item_id: int,
    options: Options,
    *,
    today: date | None,
    set_to: dict[str, Any] | None = None,
    add: dict[str, Any] | None = None,
) -> Steps[Any]:
    """Read the title and the user's entry, then PATCH once with `plan_progress`'s changes
    (no PATCH when nothing changes). `set_to` gives new counts, `add` amounts to add."""
    label = f"{words.kind}list.{'increment' if add is not None else 'progress'}"
    wanted = {
        measure: count(f"{label}: {measure}", value)
        for measure, value in (set_to or add or {}).items()
        if value is not None
    }
    if not wanted:
        raise TypeError(f"{label}: say how far, e.g. {words.measures[0][0]}=...")
    when = today or date.today()
    title: Anime | Manga = yield _read(words, item_id, options)
    entry: Entry | None = title.my_list_status
    totals = _totals(words, title)
    if add is not None:
        # Added to what MAL has now, never beyond a known total.
        targets = {}
        for measure, amount in wanted.items():
            target = _done(entry, measure) + amount
            targets[measure] = min(target, totals[measure]) if totals[measure] else target
    else:
        targets = wanted
    changes = plan_progress(words, entry, totals, targets, when)
    if not changes and entry is not None:
        return entry
    result = yield _write(words, item_id, changes, options)
    return result


def complete_steps(
    words: Vocabulary,
    item_id: int,
    options: Options,
    *,
    finish_date: DateArg,
    score: int | None,
    today: date | None,
) -> Steps[Any]:
    """Read the title's totals and the entry, then PATCH once to mark it completed."""
    when = today or date.today()
    # Checked before any request: a bad date or score fails here, not after the read.
    extra = {"score": score} if score is not None else {}
    prepare(words.update, {words.id_name: item_id, "finish_date": finish_date, **extra}, options)
    title: Anime | Manga = yield _read(words, item_id, options)
    changes = plan_complete(words, title.my_list_status, _totals(words, title), finish_date, when)
    changes.update(extra)
    result = yield _write(words, item_id, changes, options)
    return result
