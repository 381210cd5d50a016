"""The write side of a list entry: user-facing names and values to MAL's update form (SPEC 5.3,
5.4). Pure and eager: every bad value fails here, before any request, with a clear message.

Users write the names they read (`num_episodes_watched`); MAL's form wants
`num_watched_episodes` and silently ignores the read name (SPEC 5.3), so the mapping lives here.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, Literal, get_args

from malclient.models.dates import PartialDate
from malclient.models.literals import ReadStatus, WatchStatus

__all__ = ["list_update_form"]

Kind = Literal["anime", "manga"]


def _status(kind: Kind) -> Callable[[str, Any], str]:
    allowed: tuple[str, ...] = get_args(WatchStatus if kind == "anime" else ReadStatus)

    def check(name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise ValueError(
                f"{name} must be one of {', '.join(allowed)} for {kind}, not {value!r}"
            )
        return value

    return check


def _integer(low: int, high: int | None = None) -> Callable[[str, Any], str]:
    def check(name: str, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be a whole number, not {value!r}")
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"{low} or more"
            raise ValueError(f"{name} must be {bounds}, not {value}")
        return str(value)

    return check


def _boolean(name: str, value: Any) -> str:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {value!r}")
    return "true" if value else "false"


def _tags(name: str, value: Any) -> str:
    # MAL splits the form value on commas and returns a list (SPEC 5.3); a tag with a comma
    # would come back as two tags.
    tags = [value] if isinstance(value, str) else value
    if not isinstance(tags, Iterable):
        raise TypeError(f"{name} must be a list of strings, not {value!r}")
    out: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise TypeError(f"{name} must be a list of strings, not {value!r}")
        if "," in tag:
            raise ValueError(f"a tag cannot contain a comma (MAL splits tags on commas): {tag!r}")
        tag = tag.strip()
        if tag:
            out.append(tag)
    return ",".join(out)


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {value!r}")
    return value


def _date(name: str, value: Any) -> str:
    # Partial dates are accepted (SPEC 5.3); "" clears the date on MAL.
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, PartialDate):
        return str(value)
    if isinstance(value, str):
        if value == "":
            return ""
        try:
            return str(PartialDate.parse(value))
        except ValueError as exc:
            raise ValueError(f'{name}: {exc} (or "" to clear it)') from None
    raise TypeError(f"{name} must be a date, a PartialDate or a YYYY-MM-DD string, not {value!r}")


Check = Callable[[str, Any], str]

# user-facing name -> (form name, check), in MAL's documented order.
_ANIME: dict[str, tuple[str, Check]] = {
    "status": ("status", _status("anime")),
    "is_rewatching": ("is_rewatching", _boolean),
    "score": ("score", _integer(0, 10)),
    "num_episodes_watched": ("num_watched_episodes", _integer(0)),
    "priority": ("priority", _integer(0, 2)),
    "num_times_rewatched": ("num_times_rewatched", _integer(0)),
    "rewatch_value": ("rewatch_value", _integer(0, 5)),
    "tags": ("tags", _tags),
    "comments": ("comments", _text),
    "start_date": ("start_date", _date),
    "finish_date": ("finish_date", _date),
}
_MANGA: dict[str, tuple[str, Check]] = {
    "status": ("status", _status("manga")),
    "is_rereading": ("is_rereading", _boolean),
    "score": ("score", _integer(0, 10)),
    "num_volumes_read": ("num_volumes_read", _integer(0)),
    "num_chapters_read": ("num_chapters_read", _integer(0)),
    "priority": ("priority", _integer(0, 2)),
    "num_times_reread": ("num_times_reread", _integer(0)),
    "reread_value": ("reread_value", _integer(0, 5)),
    "tags": ("tags", _tags),
    "comments": ("comments", _text),
    "start_date": ("start_date", _date),
    "finish_date": ("finish_date", _date),
}
# MAL's own form name, which users copy from MAL's docs: accepted and mapped the same way.
_ALIASES = {"anime": {"num_watched_episodes": "num_episodes_watched"}, "manga": {}}


def list_update_form(kind: Kind, /, **changes: Any) -> dict[str, str]:
    """The form for a list write that changes only `changes` (None values are left out).

    `list_update_form("anime", num_episodes_watched=5, tags=["a", "b"], start_date="2024-03")`
    gives `{"num_watched_episodes": "5", "tags": "a,b", "start_date": "2024-03"}`.
    Raises ValueError / TypeError naming the field for unknown names and bad values.
    """
    if kind not in ("anime", "manga"):
        raise ValueError(f"kind must be 'anime' or 'manga', not {kind!r}")
    fields = _ANIME if kind == "anime" else _MANGA
    aliases = _ALIASES[kind]
    form: dict[str, str] = {}
    for given, value in changes.items():
        name = aliases.get(given, given)
        spec = fields.get(name)
        if spec is None:
            close = difflib.get_close_matches(given, fields, n=3)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            raise ValueError(
                f"{given!r} is not a field of a {kind} list entry.{hint} "
                f"Fields: {', '.join(fields)}."
            )
        if value is None:
            continue
        form_name, check = spec
        if form_name in form:
            raise ValueError(f"{name} is given twice (as {given!r} and under another name)")
        form[form_name] = check(name, value)
    return form
