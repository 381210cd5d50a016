"""MAL's `fields` parameter (SPEC 3.5): a small immutable builder with nested braces, the field
names MAL knows per kind, which of them list endpoints ignore, and presets.

Pure: builds text, sends nothing. MAL itself ignores unknown names silently; we reject them
here, with near matches, because a typo would otherwise just return less data.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Literal, TypeAlias

__all__ = [
    "ANIME_ALL",
    "ANIME_FIELDS",
    "ANIME_LIST_EXPORT",
    "ANIME_LIST_STATUS_FIELDS",
    "DEFAULT_FIELDS",
    "DETAILS_ONLY",
    "MANGA_ALL",
    "MANGA_FIELDS",
    "MANGA_LIST_EXPORT",
    "MANGA_LIST_STATUS_FIELDS",
    "USER_ALL",
    "USER_FIELDS",
    "Endpoint",
    "Fields",
    "Kind",
]

Kind: TypeAlias = Literal["anime", "manga", "user"]
# Where a selection is sent: a details endpoint (`/anime/{id}`), a list of nodes (search,
# ranking, seasonal, suggestions) or a user's list (`/users/{name}/animelist`).
Endpoint: TypeAlias = Literal["details", "list", "user_list"]

# Sent whether asked for or not (SPEC 3.5).
DEFAULT_FIELDS = frozenset({"id", "title", "main_picture"})

# The names MAL knows (SPEC 5.1, 5.2, 4.10, 5.3, 5.4).
_SHARED = [
    "id",
    "title",
    "main_picture",
    "alternative_titles",
    "start_date",
    "end_date",
    "synopsis",
    "mean",
    "rank",
    "popularity",
    "num_list_users",
    "num_scoring_users",
    "nsfw",
    "genres",
    "created_at",
    "updated_at",
    "media_type",
    "status",
    "my_list_status",
    "pictures",
    "background",
    "related_anime",
    "related_manga",
    "recommendations",
    # Undocumented but answered (SPEC 4.2: S-MAL4J, MAL-API-Client-Upgraded).
    "num_favorites",
]
ANIME_FIELDS = frozenset(
    [
        *_SHARED,
        "num_episodes",
        "start_season",
        "broadcast",
        "source",
        "average_episode_duration",
        "rating",
        "studios",
        "statistics",
        # Undocumented (SPEC 4.2).
        "opening_themes",
        "ending_themes",
        "videos",
    ]
)
MANGA_FIELDS = frozenset([*_SHARED, "num_volumes", "num_chapters", "authors", "serialization"])
USER_FIELDS = frozenset(
    [
        "id",
        "name",
        "picture",
        "gender",
        "birthday",
        "location",
        "joined_at",
        "anime_statistics",
        "time_zone",
        "is_supporter",
    ]
)
ANIME_LIST_STATUS_FIELDS = frozenset(
    [
        "status",
        "score",
        "num_episodes_watched",
        "is_rewatching",
        "start_date",
        "finish_date",
        "priority",
        "num_times_rewatched",
        "rewatch_value",
        "tags",
        "comments",
        "updated_at",
    ]
)
MANGA_LIST_STATUS_FIELDS = frozenset(
    [
        "status",
        "is_rereading",
        "num_volumes_read",
        "num_chapters_read",
        "score",
        "start_date",
        "finish_date",
        "priority",
        "num_times_reread",
        "reread_value",
        "tags",
        "comments",
        "updated_at",
    ]
)
# "You cannot contain this field in a list" (SPEC 3.5, 5.1, 5.2): list endpoints silently
# leave these out. The undocumented theme and video arrays behave the same [INF].
DETAILS_ONLY = frozenset(
    [
        "pictures",
        "background",
        "related_anime",
        "related_manga",
        "recommendations",
        "statistics",
        "serialization",
        "opening_themes",
        "ending_themes",
        "videos",
    ]
)

# Vocabularies: for each scope, the names it knows and the scope of each name's braces
# (None: the name takes no braces). "any" is for selections not bound to a kind yet.
_Vocabulary: TypeAlias = Mapping[str, "str | None"]


def _plain(names: Iterable[str]) -> dict[str, str | None]:
    return dict.fromkeys(names)


_VOCABULARIES: dict[str, _Vocabulary] = {
    "anime": _plain(ANIME_FIELDS)
    | {
        "my_list_status": "anime_list_status",
        # A user list's per-entry status, a sibling of `node` (SPEC 3.5).
        "list_status": "anime_list_status",
        # Braces after related titles select fields of the related *node* (SPEC 3.5).
        "related_anime": "anime",
        "related_manga": "manga",
        "recommendations": "anime",
    },
    "manga": _plain(MANGA_FIELDS)
    | {
        "my_list_status": "manga_list_status",
        "list_status": "manga_list_status",
        "related_anime": "anime",
        "related_manga": "manga",
        "recommendations": "manga",
        "authors": "person",
        "serialization": "magazine",
    },
    "user": _plain(USER_FIELDS),
    "anime_list_status": _plain(ANIME_LIST_STATUS_FIELDS),
    "manga_list_status": _plain(MANGA_LIST_STATUS_FIELDS),
    "list_status": _plain(ANIME_LIST_STATUS_FIELDS | MANGA_LIST_STATUS_FIELDS),
    "person": _plain(["first_name", "last_name"]),
    "magazine": _plain(["name"]),
    "work": _plain(ANIME_FIELDS | MANGA_FIELDS)
    | {
        "my_list_status": "list_status",
        "list_status": "list_status",
        "related_anime": "anime",
        "related_manga": "manga",
        "recommendations": "work",
        "authors": "person",
        "serialization": "magazine",
    },
}
_VOCABULARIES["any"] = {**_VOCABULARIES["user"], **_VOCABULARIES["work"]}

# Scopes whose fields are rendered as list nodes, where details-only names are dropped.
_NODE_SCOPES = frozenset({"anime", "manga", "work"})

_Sub: TypeAlias = "Fields | Iterable[str] | str"
_Item: TypeAlias = "tuple[str, Fields | None]"


class Fields:
    """A `fields` selection: `Fields("mean", "genres", my_list_status=["priority"])`.

    `str()` gives MAL's text, `mean,genres,my_list_status{priority}`. Names are checked when
    built, against `kind` when given (`Fields.anime(...)`), else against every kind. Selections
    are immutable and combine with `|`.
    """

    __slots__ = ("_items", "_kind")

    _items: tuple[_Item, ...]
    _kind: Kind | None

    def __init__(self, *names: str, kind: Kind | None = None, **nested: _Sub) -> None:
        for name in names:
            if not isinstance(name, str) or _SYNTAX.search(name):
                raise ValueError(f"{name!r} is not one field name: use Fields.parse for MAL's text")
        items: list[_Item] = [(name, None) for name in names]
        for name, sub in nested.items():
            items.append((name, _as_sub(name, sub)))
        self._set(_merge(items), kind)
        _check(self._items, kind or "any", "")

    @classmethod
    def _build(cls, items: Iterable[_Item], kind: Kind | None) -> Fields:
        fields = object.__new__(cls)
        fields._set(_merge(items), kind)
        return fields

    def _set(self, items: tuple[_Item, ...], kind: Kind | None) -> None:
        object.__setattr__(self, "_items", items)
        object.__setattr__(self, "_kind", kind)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Fields is immutable; combine selections with |")

    # --- constructors ---------------------------------------------------------------------------

    @classmethod
    def anime(cls, *names: str, **nested: _Sub) -> Fields:
        """A selection for anime nodes, checked against SPEC 5.1's names."""
        return cls(*names, kind="anime", **nested)

    @classmethod
    def manga(cls, *names: str, **nested: _Sub) -> Fields:
        return cls(*names, kind="manga", **nested)

    @classmethod
    def user(cls, *names: str) -> Fields:
        return cls(*names, kind="user")

    @classmethod
    def parse(cls, text: str, *, kind: Kind | None = None) -> Fields:
        """`Fields.parse("synopsis,my_list_status{priority, comments}")`; spaces are allowed."""
        items = _parse(text)
        _check(items, kind or "any", "")
        return cls._build(items, kind)

    @classmethod
    def of(cls, value: Fields | str | Iterable[str], *, kind: Kind | None = None) -> Fields:
        """What resources accept: a Fields, MAL's text, or an iterable of plain names."""
        if isinstance(value, Fields):
            if kind is not None and value._kind is None:
                _check(value._items, kind, "")
                return cls._build(value._items, kind)
            if kind is not None and value._kind != kind:
                raise ValueError(f"these fields are for {value._kind}, not {kind}")
            return value
        if isinstance(value, str):
            return cls.parse(value, kind=kind)
        return cls(*value, kind=kind)

    # --- reading --------------------------------------------------------------------------------

    @property
    def kind(self) -> Kind | None:
        return self._kind

    @property
    def names(self) -> tuple[str, ...]:
        """The top-level names, in order."""
        return tuple(name for name, _ in self._items)

    def sub(self, name: str) -> Fields | None:
        """What is selected inside `name`'s braces (None: no braces)."""
        for item, sub in self._items:
            if item == name:
                return sub
        return None

    def __contains__(self, name: object) -> bool:
        return any(item == name for item, _ in self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self._items)

    def __str__(self) -> str:
        return ",".join(name if sub is None else f"{name}{{{sub}}}" for name, sub in self._items)

    def __repr__(self) -> str:
        kind = "" if self._kind is None else f", kind={self._kind!r}"
        return f"Fields.parse({str(self)!r}{kind})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fields):
            return NotImplemented
        return self._items == other._items and self._kind == other._kind

    def __hash__(self) -> int:
        return hash((self._items, self._kind))

    # --- combining ------------------------------------------------------------------------------

    def __or__(self, other: Fields | str | Iterable[str]) -> Fields:
        if not isinstance(other, Fields):
            other = Fields.of(other, kind=self._kind)
        if self._kind is not None and other._kind is not None and self._kind != other._kind:
            raise ValueError(f"cannot combine {self._kind} fields with {other._kind} fields")
        kind = self._kind or other._kind
        items = self._items + other._items
        if kind is not None:
            _check(items, kind, "")
        return Fields._build(items, kind)

    def without(self, *names: str) -> Fields:
        """The selection minus top-level `names`."""
        return Fields._build([item for item in self._items if item[0] not in names], self._kind)

    # --- endpoints ------------------------------------------------------------------------------

    def for_endpoint(self, kind: Kind, endpoint: Endpoint) -> tuple[Fields, tuple[str, ...]]:
        """(what MAL will answer, what it would silently ignore) for `kind` at `endpoint`.

        Raises ValueError for names `kind` does not have. List endpoints ignore details-only
        fields (SPEC 3.5), also inside related/recommended nodes; `list_status` exists only
        on user lists, where it is always added: without it MAL leaves out each entry's status.
        Resources send the first and warn about or drop the second.
        """
        if self._kind is not None and self._kind != kind:
            raise ValueError(f"these fields are for {self._kind}, not {kind}")
        _check(self._items, kind, "")
        kept, dropped = _split(self._items, kind, endpoint, "")
        if endpoint == "user_list" and kind != "user":
            kept.append(("list_status", None))
        return Fields._build(kept, kind), tuple(dropped)


# --- helpers ------------------------------------------------------------------------------------


def _as_sub(name: str, sub: _Sub) -> Fields:
    if isinstance(sub, Fields):
        return sub
    names = [sub] if isinstance(sub, str) else list(sub)
    for inner in names:
        if not isinstance(inner, str):
            raise TypeError(f"{name}= takes field names, not {inner!r}")
    return Fields._build(_parse(",".join(names)), None)


def _merge(items: Iterable[_Item]) -> tuple[_Item, ...]:
    """Duplicates keep their first position; braces win over none and merge with braces."""
    merged: dict[str, Fields | None] = {}
    for name, sub in items:
        if name in merged:
            old = merged[name]
            if old is None:
                merged[name] = sub
            elif sub is not None:
                merged[name] = Fields._build(old._items + sub._items, None)
        else:
            merged[name] = sub
    return tuple(merged.items())


def _check(items: Iterable[_Item], scope: str, where: str) -> None:
    vocabulary = _VOCABULARIES[scope]
    for name, sub in items:
        if name not in vocabulary:
            raise ValueError(_unknown(name, scope, where, vocabulary))
        inner = vocabulary[name]
        if sub is not None:
            if inner is None:
                raise ValueError(f"{where}{name} takes no {{...}} sub-fields")
            _check(sub._items, inner, f"{where}{name}{{...}}: ")


_SCOPE_NAMES = {
    "any": "MAL",
    "work": "anime or manga",
    "anime_list_status": "an anime list status",
    "manga_list_status": "a manga list status",
    "list_status": "a list status",
    "person": "authors{...}",
    "magazine": "serialization{...}",
}


def _unknown(name: str, scope: str, where: str, vocabulary: _Vocabulary) -> str:
    close = difflib.get_close_matches(name, list(vocabulary), n=3, cutoff=0.6)
    if close:
        hint = f"Did you mean {' or '.join(close)}?"
    else:
        hint = f"Known: {', '.join(sorted(vocabulary))}."
    what = _SCOPE_NAMES.get(scope, scope)
    return f"{where}{name!r} is not a field {what} knows. {hint}"


def _split(
    items: Iterable[_Item], scope: str, endpoint: Endpoint, where: str
) -> tuple[list[_Item], list[str]]:
    kept: list[_Item] = []
    dropped: list[str] = []
    for name, sub in items:
        if scope in _NODE_SCOPES and (
            (endpoint != "details" and name in DETAILS_ONLY)
            or (endpoint != "user_list" and name == "list_status")
        ):
            dropped.append(f"{where}{name}")
            continue
        inner = _VOCABULARIES[scope][name]
        if sub is not None and inner in _NODE_SCOPES:
            # Related and recommended titles are rendered as list nodes (SPEC 3.5).
            sub_kept, sub_dropped = _split(sub._items, inner, "list", f"{where}{name}.")
            dropped.extend(sub_dropped)
            sub = Fields._build(sub_kept, None) if sub_kept else None
        kept.append((name, sub))
    return kept, dropped


_TOKENS = re.compile(r"[{},]|[^{},]+")
_SYNTAX = re.compile(r"[{},\s]")


def _parse(text: str) -> list[_Item]:
    """`a,b{c, d}` -> [("a", None), ("b", Fields(c, d))]; unbalanced braces are an error."""
    stack: list[tuple[str, list[_Item]]] = [("", [])]
    name = ""
    closed: Fields | None = None

    def commit() -> None:
        nonlocal name, closed
        if closed is not None:
            stack[-1][1].append((name, closed))
        elif name:
            stack[-1][1].append((name, None))
        elif text.strip():
            raise ValueError(f"empty field name in {text!r}")
        name, closed = "", None

    for match in _TOKENS.finditer(text):
        piece = match.group()
        if piece == ",":
            commit()
        elif piece == "{":
            if not name or closed is not None:
                raise ValueError(f"'{{' must follow a field name in {text!r}")
            stack.append((name, []))
            name = ""
        elif piece == "}":
            if len(stack) == 1:
                raise ValueError(f"unbalanced '}}' in {text!r}")
            if name or closed is not None:
                commit()
            parent_name, items = stack.pop()
            if not items:
                raise ValueError(f"empty braces after {parent_name!r} in {text!r}")
            name, closed = parent_name, Fields._build(items, None)
        else:
            stripped = piece.strip()
            if stripped:
                if name or closed is not None:
                    raise ValueError(f"missing ',' before {stripped!r} in {text!r}")
                name = stripped
    if len(stack) > 1:
        raise ValueError(f"unbalanced '{{' in {text!r}")
    if name or closed is not None:
        commit()
    return stack[0][1]


# --- presets ------------------------------------------------------------------------------------

# Every field of the official "all fields" example (SPEC 4.2) plus the undocumented ones; the
# defaults (id, title, main_picture) come anyway.
ANIME_ALL = Fields.anime(
    "alternative_titles",
    "start_date",
    "end_date",
    "synopsis",
    "mean",
    "rank",
    "popularity",
    "num_list_users",
    "num_scoring_users",
    "nsfw",
    "created_at",
    "updated_at",
    "media_type",
    "status",
    "genres",
    "my_list_status",
    "num_episodes",
    "start_season",
    "broadcast",
    "source",
    "average_episode_duration",
    "rating",
    "pictures",
    "background",
    "related_anime",
    "related_manga",
    "recommendations",
    "studios",
    "statistics",
    "opening_themes",
    "ending_themes",
    "videos",
    "num_favorites",
)

# SPEC 4.9's official example, with authors' and magazines' names spelled out.
MANGA_ALL = Fields.manga(
    "alternative_titles",
    "start_date",
    "end_date",
    "synopsis",
    "mean",
    "rank",
    "popularity",
    "num_list_users",
    "num_scoring_users",
    "nsfw",
    "created_at",
    "updated_at",
    "media_type",
    "status",
    "genres",
    "my_list_status",
    "num_volumes",
    "num_chapters",
    "pictures",
    "background",
    "related_anime",
    "related_manga",
    "recommendations",
    "num_favorites",
    authors=["first_name", "last_name"],
    serialization=["name"],
)

# "Everything a list export needs" on /users/{name}/animelist: what identifies and describes
# each title (no details-only fields, which the list endpoint ignores; no synopsis, which
# would multiply the size of a 10,000-entry export), and every key of the user's entry — the
# ones MAL leaves out unless asked (SPEC 4.8).
_EXPORT_NODE = (
    "alternative_titles",
    "media_type",
    "status",
    "genres",
    "start_date",
    "end_date",
    "mean",
    "rank",
    "popularity",
    "num_list_users",
    "nsfw",
)
ANIME_LIST_EXPORT = Fields.anime(
    *_EXPORT_NODE,
    "num_episodes",
    "start_season",
    "source",
    "average_episode_duration",
    "rating",
    "studios",
    list_status=[
        "start_date",
        "finish_date",
        "priority",
        "num_times_rewatched",
        "rewatch_value",
        "tags",
        "comments",
    ],
)
MANGA_LIST_EXPORT = Fields.manga(
    *_EXPORT_NODE,
    "num_volumes",
    "num_chapters",
    authors=["first_name", "last_name"],
    list_status=[
        "start_date",
        "finish_date",
        "priority",
        "num_times_reread",
        "reread_value",
        "tags",
        "comments",
    ],
)
# Every optional profile field of SPEC 4.10.
USER_ALL = Fields.user(
    "gender", "birthday", "location", "joined_at", "anime_statistics", "time_zone", "is_supporter"
)
