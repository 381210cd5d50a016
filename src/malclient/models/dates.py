"""MAL's dates that are not `datetime`s: partial dates (`2017`, `2017-10`, `2017-10-23`) and
broadcast times of day (`01:35`, SPEC 3.7). Values only; decoding and dumping live in `_codec.py`.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Literal

__all__ = ["PartialDate", "TimeOfDay"]

_set = object.__setattr__
_FORMS = "YYYY, YYYY-MM or YYYY-MM-DD"


class PartialDate:
    """A date MAL may know only to the year or month: air dates, list dates, birthdays.

    `str()` gives back exactly MAL's text. Ordering puts `2017` before `2017-01` before
    `2017-01-01`, so sorting a list by start date never fails on partial dates.
    """

    __slots__ = ("_parts",)

    _parts: tuple[int, int | None, int | None]

    def __init__(self, year: int, month: int | None = None, day: int | None = None) -> None:
        if day is not None and month is None:
            raise ValueError("a PartialDate with a day needs a month")
        # Validates the parts by building the earliest date they allow.
        date(year, 1 if month is None else month, 1 if day is None else day)
        _set(self, "_parts", (year, month, day))

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """`PartialDate.parse("2017-10")`; ValueError for anything but YYYY[-MM[-DD]]."""
        # Hand-written rather than a regex: a 10,000-entry list holds ~30,000 dates.
        size = len(text)
        parts: tuple[int, int | None, int | None] | None = None
        if text.isascii():
            try:
                if size == 10 and text[4] == "-" and text[7] == "-":
                    full = date.fromisoformat(text)
                    parts = (full.year, full.month, full.day)
                elif size == 7 and text[4] == "-":
                    first = date.fromisoformat(text + "-01")
                    parts = (first.year, first.month, None)
                elif size == 4 and text.isdigit():
                    parts = (date(int(text), 1, 1).year, None, None)
            except ValueError:
                raise ValueError(f"{text!r} is not a valid date ({_FORMS})") from None
        if parts is None:
            raise ValueError(f"expected a date as {_FORMS}, got {text!r}")
        self = object.__new__(cls)
        _set(self, "_parts", parts)
        return self

    @classmethod
    def from_date(cls, value: date) -> PartialDate:
        return cls(value.year, value.month, value.day)

    @property
    def year(self) -> int:
        return self._parts[0]

    @property
    def month(self) -> int | None:
        return self._parts[1]

    @property
    def day(self) -> int | None:
        return self._parts[2]

    @property
    def precision(self) -> Literal["year", "month", "day"]:
        if self.day is not None:
            return "day"
        return "year" if self.month is None else "month"

    @property
    def is_complete(self) -> bool:
        return self.day is not None

    def to_date(self) -> date | None:
        """The full date, or None when MAL knows only the year or the month."""
        year, month, day = self._parts
        if day is None or month is None:
            return None
        return date(year, month, day)

    def first_day(self) -> date:
        """The earliest day this could be (`2017-10` -> 2017-10-01): for ranges and plots."""
        year, month, day = self._parts
        return date(year, month or 1, day or 1)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("PartialDate is immutable")

    def _key(self) -> tuple[int, int, int]:
        year, month, day = self._parts
        return (year, month or 0, day or 0)

    def __str__(self) -> str:
        year, month, day = self._parts
        if month is None:
            return f"{year:04d}"
        if day is None:
            return f"{year:04d}-{month:02d}"
        return f"{year:04d}-{month:02d}-{day:02d}"

    def __repr__(self) -> str:
        year, month, day = self._parts
        parts = [str(year)] + [str(part) for part in (month, day) if part is not None]
        return f"PartialDate({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PartialDate):
            return self._parts == other._parts
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._parts)

    def __lt__(self, other: PartialDate) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self._key() < other._key()

    def __le__(self, other: PartialDate) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self._key() <= other._key()

    def __gt__(self, other: PartialDate) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self._key() > other._key()

    def __ge__(self, other: PartialDate) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self._key() >= other._key()

    def __reduce__(self) -> tuple[type[PartialDate], tuple[int, int | None, int | None]]:
        return (PartialDate, self._parts)


_CLOCK = re.compile(r"([0-9]{2}):([0-9]{2})")


class TimeOfDay(time):
    """A broadcast time, `HH:MM` in Japan time (SPEC 3.7, 5.1): a `datetime.time` whose `str()`
    gives MAL's text back (the standard `time` would add seconds)."""

    __slots__ = ()

    @classmethod
    def parse(cls, text: str) -> TimeOfDay:
        match = _CLOCK.fullmatch(text)
        if match is None:
            raise ValueError(f"expected a time as HH:MM, got {text!r}")
        try:
            return cls(int(match.group(1)), int(match.group(2)))
        except ValueError:
            raise ValueError(f"{text!r} is not a time of day") from None

    def __str__(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"
