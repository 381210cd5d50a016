"""The catalogue's calendar: its fixed "today" and MAL's date and time formats (SPEC 3.7).

The catalogue never reads the clock, so a seed always yields the same data; the sandbox clock
(wall time) is independent of `REFERENCE_DATE`.
"""

from __future__ import annotations

import random
from datetime import date

# The catalogue's "today": airing status, ages and list dates are computed against it.
REFERENCE_DATE = date(2026, 11, 15)
REF = REFERENCE_DATE.toordinal()
EPOCH = date(1970, 1, 1).toordinal()

_ISO: dict[int, str] = {}


def iso(day: int) -> str:
    """A date ordinal as MAL writes dates: YYYY-MM-DD."""
    text = _ISO.get(day)
    if text is None:
        text = _ISO[day] = date.fromordinal(day).isoformat()
    return text


def stamp(seconds: int) -> str:
    """Unix seconds as MAL writes times: 2015-03-02T06:03:11+00:00."""
    day, rest = divmod(seconds, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    return f"{iso(day + EPOCH)}T{h:02d}:{m:02d}:{s:02d}+00:00"


def seconds(day: int, rng: random.Random) -> int:
    """A random moment of a day (date ordinal), in unix seconds."""
    return (day - EPOCH) * 86400 + int(rng.random() * 86400)
