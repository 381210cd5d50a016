"""List-status writes as MAL does them (SPEC 4.6, 5.3, 5.4): the form, its checks, what is stored.

Pure: takes the stored status and the submitted form, returns the new status or raises
`FormError`; HTTP, auth and the catalogue lookups stay in api.py.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

Record = dict[str, Any]


def parse_form(raw: bytes) -> dict[str, str]:
    """Decode `a=1&b=x+y` the way PHP's parse_str does, which is how MAL reads forms and queries.

    Never fails: the last duplicate wins but keeps the first one's position, a name without `=`
    gets "", empty names are dropped, bad `%` escapes stay as typed, and bytes that are not UTF-8
    become U+FFFD.
    """
    form: dict[str, str] = {}
    for part in raw.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        key = _decode(name)
        if key:
            form[key] = _decode(value)
    return form


def _decode(raw: bytes) -> str:
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")


class FormError(Exception):
    """A rejected write; `message` is MAL's text (None for the bare `{"error":"bad_request"}`)."""

    def __init__(self, message: str | None) -> None:
        super().__init__(message or "bad_request")
        self.message = message


@dataclass(frozen=True)
class ListKind:
    """What differs between anime and manga lists (SPEC 5.3 vs 5.4)."""

    name: str
    statuses: frozenset[str]
    # Stored/response key order, as in the recorded PATCH responses (dates only when set).
    order: tuple[str, ...]
    # (form name, stored name, the record's total it is clamped to). The anime form calls it
    # num_watched_episodes while responses say num_episodes_watched (SPEC 5.3): sending the
    # response name changes nothing.
    progress: tuple[tuple[str, str, str], ...]
    repeating: str  # is_rewatching / is_rereading
    times: str  # num_times_rewatched / num_times_reread
    value: str  # rewatch_value / reread_value
    # Status of an entry created by a write that names none: MAL's default is unreported; an
    # entry that is merely on the list is the least surprising choice [INF].
    default_status: str
    # list_status keys on user-list edges without braces (SPEC 4.8), dates only when set.
    edge_keys: tuple[str, ...]
    # keys that `list_status{...}` may add.
    edge_extras: frozenset[str]


ANIME = ListKind(
    name="anime",
    statuses=frozenset({"watching", "completed", "on_hold", "dropped", "plan_to_watch"}),
    order=(
        "status",
        "score",
        "num_episodes_watched",
        "is_rewatching",
        "updated_at",
        "start_date",
        "finish_date",
        "priority",
        "num_times_rewatched",
        "rewatch_value",
        "tags",
        "comments",
    ),
    progress=(("num_watched_episodes", "num_episodes_watched", "num_episodes"),),
    repeating="is_rewatching",
    times="num_times_rewatched",
    value="rewatch_value",
    default_status="plan_to_watch",
    edge_keys=(
        "status",
        "score",
        "num_episodes_watched",
        "is_rewatching",
        "updated_at",
        "start_date",
        "finish_date",
    ),
    edge_extras=frozenset({"priority", "num_times_rewatched", "rewatch_value", "tags", "comments"}),
)

MANGA = ListKind(
    name="manga",
    statuses=frozenset({"reading", "completed", "on_hold", "dropped", "plan_to_read"}),
    order=(
        "status",
        "is_rereading",
        "num_volumes_read",
        "num_chapters_read",
        "score",
        "updated_at",
        "start_date",
        "finish_date",
        "priority",
        "num_times_reread",
        "reread_value",
        "tags",
        "comments",
    ),
    progress=(
        ("num_volumes_read", "num_volumes_read", "num_volumes"),
        ("num_chapters_read", "num_chapters_read", "num_chapters"),
    ),
    repeating="is_rereading",
    times="num_times_reread",
    value="reread_value",
    default_status="plan_to_read",
    edge_keys=(
        "status",
        "is_rereading",
        "num_volumes_read",
        "num_chapters_read",
        "score",
        "updated_at",
        "start_date",
        "finish_date",
    ),
    edge_extras=frozenset({"priority", "num_times_reread", "reread_value", "tags", "comments"}),
)

_INTEGER = re.compile(r"[+-]?[0-9]{1,15}")
_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,15}(?:\.[0-9]*)?|\.[0-9]+)")
_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_CLEAR = object()


def new_entry(kind: ListKind) -> Record:
    """What a first write starts from: nothing watched, no score, no dates."""
    entry: Record = {"status": kind.default_status, "score": 0, kind.repeating: False}
    for _, stored, _ in kind.progress:
        entry[stored] = 0
    entry.update({"priority": 0, kind.times: 0, kind.value: 0, "tags": [], "comments": ""})
    return entry


def update(
    kind: ListKind,
    record: Mapping[str, Any],
    current: Mapping[str, Any] | None,
    form: Mapping[str, str],
    now: str,
) -> Record:
    """The whole stored status after applying `form` to `current` (None: not on the list yet).

    Only the fields sent change (partial update; an empty form only touches updated_at) and MAL
    adds no consistency of its own: completing does not fill episodes or dates (SPEC 5.3).
    Every field is checked before anything changes.
    """
    changes: Record = {}
    if "status" in form:
        if form["status"] not in kind.statuses:
            raise FormError("invalid status")
        changes["status"] = form["status"]
    if kind.repeating in form:
        changes[kind.repeating] = _boolean(form[kind.repeating], kind.repeating)
    if "score" in form:
        changes["score"] = _score(form["score"])
    for form_name, stored, total_field in kind.progress:
        if form_name in form:
            count = _integer(form[form_name], form_name)
            total = record.get(total_field, 0)
            # Clamped to 0..total, unbounded while the total is unknown (0) (SPEC 5.3, S-PROBE).
            count = max(0, count)
            if isinstance(total, int) and total > 0:
                count = min(count, total)
            changes[stored] = count
    if "priority" in form:
        changes["priority"] = _ranged(form["priority"], "priority", 0, 2)
    if kind.times in form:
        changes[kind.times] = _ranged(form[kind.times], kind.times, 0, None)
    if kind.value in form:
        changes[kind.value] = _ranged(form[kind.value], kind.value, 0, 5)
    if "tags" in form:
        # "foo,bar" is stored and returned as ["foo", "bar"] (SPEC 5.3).
        changes["tags"] = [tag.strip() for tag in form["tags"].split(",") if tag.strip()]
    if "comments" in form:
        changes["comments"] = form["comments"]
    for date_field in ("start_date", "finish_date"):
        if date_field in form:
            changes[date_field] = _date(form[date_field])

    merged: Record = dict(current) if current is not None else new_entry(kind)
    for key, value in changes.items():
        if value is _CLEAR:
            merged.pop(key, None)
        else:
            merged[key] = value
    merged["updated_at"] = now
    return {key: merged[key] for key in kind.order if key in merged}


def edge_status(kind: ListKind, status: Mapping[str, Any], extras: tuple[str, ...]) -> Record:
    """`list_status` on a user-list edge: the default keys, then `list_status{...}` extras in the
    order named (SPEC 4.8)."""
    view = {key: status[key] for key in kind.edge_keys if key in status}
    for key in extras:
        if key in kind.edge_extras and key in status:
            view[key] = status[key]
    return view


def _boolean(raw: str, name: str) -> bool:
    lowered = raw.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise FormError(f"invalid {name}")


def _integer(raw: str, name: str) -> int:
    if not _INTEGER.fullmatch(raw):
        raise FormError(f"invalid {name}")
    return int(raw)


def _ranged(raw: str, name: str, low: int, high: int | None) -> int:
    value = _integer(raw, name)
    if value < low or (high is not None and value > high):
        raise FormError(f"invalid {name}")
    return value


def _score(raw: str) -> int:
    if not _NUMBER.fullmatch(raw):
        raise FormError("invalid score")
    value = float(raw)
    if not 0 <= value <= 10:
        raise FormError("invalid score")
    # 7.5 is stored as 8: rounded half up, as PHP's round() does (SPEC 5.3, S-PROBE).
    return int(value + 0.5)


def _date(raw: str) -> object:
    """A stored date, or _CLEAR. Partial dates drop their zero parts (SPEC 5.3, S-PROBE)."""
    if raw in ("", "0000-00-00"):
        return _CLEAR
    match = _DATE.fullmatch(raw)
    if match is None:
        # `03/05/2024`, `null`: MAL's only 400 without a message (SPEC 3.2).
        raise FormError(None)
    year, month, day = (int(part) if part else 0 for part in match.groups())
    if year == 0:
        return _CLEAR
    if month == 0:
        return f"{year:04d}"
    if month > 12:
        return _CLEAR  # impossible dates clear silently, like 2024-02-30
    if day == 0:
        return f"{year:04d}-{month:02d}"
    if day > calendar.monthrange(year, month)[1]:
        return _CLEAR
    return f"{year:04d}-{month:02d}-{day:02d}"
