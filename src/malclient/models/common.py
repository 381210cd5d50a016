"""The base of every model, the small objects many responses share, and the page envelope.

Models are read-only views of MAL's answers: no I/O, no requests for more pages (the
resources' iterators follow `Page.next_url`).
"""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

__all__ = [
    "AlternativeTitles",
    "Genre",
    "Model",
    "Page",
    "Paging",
    "Picture",
]


class Model(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    omit_defaults=True,
    repr_omit_defaults=True,
    gc=False,
):
    """Base of every model.

    MAL sends a field only when asked for it (SPEC 3.5), so every field but the ids defaults
    to None, which means "not in the response", and a dump leaves it out again. Unknown keys
    are ignored: MAL adds fields without notice.

    Frozen, and untracked by the garbage collector (`gc=False`): a 10,000-entry list is
    ~200,000 objects, and collector passes over them doubled the parse time (203 -> 106 ms
    on bench/models.py's page set, before the date cache in `_codec.py`).
    Safe because frozen models cannot form reference cycles (unless their lists are mutated
    to contain themselves). Subclasses repeat `frozen=True` so type checkers see it too.
    """


class Picture(Model, frozen=True):
    medium: str | None = None
    # SPEC 5.1: `large` is optional.
    large: str | None = None


class AlternativeTitles(Model, frozen=True):
    synonyms: list[str] | None = None
    # `en` is often "" (SPEC 5.1).
    en: str | None = None
    ja: str | None = None


class Genre(Model, frozen=True):
    id: int
    name: str | None = None


class Paging(Model, frozen=True):
    """Absolute links to the neighbouring pages; `{}` on a last page (SPEC 3.3)."""

    previous: str | None = None
    next: str | None = None


T = TypeVar("T")


class Page(Model, Generic[T], frozen=True):
    """One page of a list endpoint: `data` plus the links to its neighbours (SPEC 3.3)."""

    data: list[T]
    # Real list responses always carry `paging`; None only for trimmed recordings.
    paging: Paging | None = None

    @property
    def next_url(self) -> str | None:
        return None if self.paging is None else self.paging.next

    @property
    def previous_url(self) -> str | None:
        return None if self.paging is None else self.paging.previous
