"""The `fields` parameter (SPEC 3.5): parsing it, and rendering the anime/manga nodes it selects.

Pure functions over catalogue records; no HTTP here. Unknown names are ignored, never an error,
as on MAL; parsing is iterative and linear so hostile input (100 KB, 10,000-deep braces) is cheap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeAlias

Record = dict[str, Any]
# name -> sub-selection in braces (None when the name had no braces), in the order requested.
FieldSpec: TypeAlias = "dict[str, FieldSpec | None]"

# Braces nest at most this deep; anything deeper is skipped, not parsed (no recursion limits hit).
MAX_DEPTH = 4
# Parsed selections are cached by their text; very long texts are parsed every time instead.
_CACHEABLE = 4096

DEFAULT_FIELDS = ("id", "title", "main_picture")

# The fields MAL knows (SPEC 5.1, 5.2, plus the undocumented ones observed: themes, videos,
# num_favorites). Any other name is ignored, which also keeps hostile `fields` values cheap.
_SHARED = (
    "id title main_picture alternative_titles start_date end_date synopsis mean rank popularity "
    "num_list_users num_scoring_users nsfw genres created_at updated_at media_type status "
    "my_list_status pictures background related_anime related_manga recommendations "
    "num_favorites"
)
KNOWN_FIELDS = {
    "anime": frozenset(
        f"{_SHARED} num_episodes start_season broadcast source average_episode_duration rating "
        "studios statistics opening_themes ending_themes videos".split()
    ),
    "manga": frozenset(f"{_SHARED} num_volumes num_chapters authors serialization".split()),
}

# "You cannot contain this field in a list" (SPEC 3.5, 5.1, 5.2): silently dropped outside the
# details endpoints. The undocumented theme/video arrays are treated the same way [INF].
DETAILS_ONLY = frozenset(
    {
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
    }
)

# MAL's display text for relation types (SPEC 5.1 relation_type values).
RELATION_FORMATTED = {
    "sequel": "Sequel",
    "prequel": "Prequel",
    "alternative_setting": "Alternative setting",
    "alternative_version": "Alternative version",
    "side_story": "Side story",
    "parent_story": "Parent story",
    "summary": "Summary",
    "full_story": "Full story",
    "spin_off": "Spin-off",
    "character": "Character",
    "adaptation": "Adaptation",
    "other": "Other",
}

_TOKENS = re.compile(r"[{},]|[^{},]+")


def parse_fields(raw: str) -> FieldSpec:
    """`a,b{c, d},e` -> {"a": None, "b": {"c": None, "d": None}, "e": None}.

    Duplicates keep their first position; unbalanced braces are closed at the end; names are
    stripped of spaces (MAL tolerates `list_status{tags, comments}`, SPEC 3.5).
    """
    if len(raw) <= _CACHEABLE:
        return _parse_cached(raw)
    return _parse(raw)


@lru_cache(maxsize=1024)
def _parse_cached(raw: str) -> FieldSpec:
    return _parse(raw)


def _parse(raw: str) -> FieldSpec:
    root: FieldSpec = {}
    stack: list[FieldSpec] = [root]
    skipped = 0  # depth of braces opened beyond MAX_DEPTH (their contents are ignored)
    name = ""

    def commit() -> None:
        if name and not skipped and name not in stack[-1]:
            stack[-1][name] = None

    for match in _TOKENS.finditer(raw):
        piece = match.group()
        if piece == ",":
            commit()
            name = ""
        elif piece == "{":
            if skipped or len(stack) > MAX_DEPTH:
                skipped += 1
            else:
                current = stack[-1]
                sub = current.get(name) if name else None
                if sub is None:
                    sub = {}
                    if name:
                        current[name] = sub
                stack.append(sub)
            name = ""
        elif piece == "}":
            commit()
            name = ""
            if skipped:
                skipped -= 1
            elif len(stack) > 1:
                stack.pop()
        else:
            name = piece.strip()
    commit()
    return root


# --- compiled selections ----------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """What to render for one kind of node, with defaults, duplicates and misplaced names gone.

    `steps` are (field name, argument): a nested Selection for related/recommendation nodes, a
    frozenset of sub-field names for authors/serialization, or None.
    """

    kind: str
    steps: tuple[tuple[str, Selection | frozenset[str] | None], ...]
    # True when the rendering depends on who asks (my_list_status anywhere in it).
    personal: bool = False


_RELATED_KIND = {"related_anime": "anime", "related_manga": "manga"}


def select(raw: str | None, kind: str, details: bool) -> Selection:
    """The compiled selection for a `fields` value on a details (`details`) or list endpoint."""
    if raw is None or raw == "":
        return Selection(kind, ())
    if len(raw) <= _CACHEABLE:
        return _select_cached(raw, kind, details)
    return compile_spec(_parse(raw), kind, details)


@lru_cache(maxsize=1024)
def _select_cached(raw: str, kind: str, details: bool) -> Selection:
    return compile_spec(_parse_cached(raw), kind, details)


def compile_spec(spec: Mapping[str, FieldSpec | None], kind: str, details: bool) -> Selection:
    steps: list[tuple[str, Selection | frozenset[str] | None]] = []
    seen: set[str] = set(DEFAULT_FIELDS)
    known = KNOWN_FIELDS[kind]

    def add(name: str, sub: FieldSpec | None) -> None:
        if name in seen or name not in known or (not details and name in DETAILS_ONLY):
            return
        seen.add(name)
        if name in _RELATED_KIND or name == "recommendations":
            target = _RELATED_KIND.get(name, kind)
            # `related_anime{x}` selects fields of the related node; `{node{x}}` means the
            # same (SPEC 3.5, S-PROBE). Related nodes are list-context nodes.
            inner: Mapping[str, FieldSpec | None] = sub or {}
            node_sub = inner.get("node")
            if node_sub:
                inner = {**inner, **node_sub}
            steps.append((name, compile_spec(inner, target, details=False)))
        elif name in ("authors", "serialization"):
            steps.append((name, None if sub is None else frozenset(sub)))
        else:
            steps.append((name, None))
        if name == "my_list_status" and sub:
            # MAL takes no sub-selection here: the whole status comes back and the braced names
            # land on the node itself (`my_list_status{start_date}` adds the air date), as
            # S-PROBE observed (SPEC 3.5 Conflict).
            for inner_name, inner_sub in sub.items():
                add(inner_name, inner_sub)

    for name, sub in spec.items():
        add(name, sub)
    personal = any(
        name == "my_list_status" or (isinstance(arg, Selection) and arg.personal)
        for name, arg in steps
    )
    return Selection(kind, tuple(steps), personal)


# --- rendering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Whose `my_list_status` nodes show: the Bearer token's user, or nobody (client ID only)."""

    animelist: Mapping[int, Record] | None = None
    mangalist: Mapping[int, Record] | None = None


NOBODY = Viewer()


class Renderer:
    """Renders catalogue records as MAL nodes; shares values with the catalogue, copies nothing."""

    def __init__(self, anime: Mapping[int, Record], manga: Mapping[int, Record]) -> None:
        self._records = {"anime": anime, "manga": manga}

    def node(self, record: Record, selection: Selection, viewer: Viewer) -> Record:
        node: Record = {"id": record["id"], "title": record["title"]}
        picture = record.get("main_picture")
        if picture is not None:
            node["main_picture"] = picture
        for name, arg in selection.steps:
            if name == "my_list_status":
                own = viewer.animelist if selection.kind == "anime" else viewer.mangalist
                status = None if own is None else own.get(record["id"])
                if status is not None:
                    node[name] = status
            elif isinstance(arg, Selection):
                edges = record.get(name)
                if edges is not None:
                    node[name] = self._edges(name, edges, arg, viewer)
            elif arg is not None:
                people = record.get(name)
                if people is not None:
                    node[name] = [_sub_node(edge, arg) for edge in people]
            else:
                value = record.get(name, _ABSENT)
                if value is not _ABSENT:
                    node[name] = value
        return node

    def _edges(
        self, name: str, edges: list[tuple[int, Any]], selection: Selection, viewer: Viewer
    ) -> list[Record]:
        records = self._records[selection.kind]
        out: list[Record] = []
        for other_id, extra in edges:
            other = records.get(other_id)
            if other is None:
                continue
            node = self.node(other, selection, viewer)
            if name == "recommendations":
                out.append({"node": node, "num_recommendations": extra})
            else:
                formatted = RELATION_FORMATTED.get(extra, str(extra).replace("_", " ").capitalize())
                out.append(
                    {"node": node, "relation_type": extra, "relation_type_formatted": formatted}
                )
        return out


_ABSENT = object()


def _sub_node(edge: Record, names: frozenset[str]) -> Record:
    """`authors{first_name}`: the person's id plus the named keys, in MAL's stored order."""
    person = edge.get("node")
    if not isinstance(person, dict):
        return edge
    picked = {k: v for k, v in person.items() if k == "id" or k in names}
    return {k: (picked if k == "node" else v) for k, v in edge.items()}
