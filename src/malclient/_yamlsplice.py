"""Rewrite only the changed keys of the Kometa `mal:` block, keeping every other byte as it was.

Why edits are spliced, not dumped: users keep one heavily commented `config.yml` for Kometa and
a load/dump cycle, even ruamel's round trip, reflows comments, quotes and indentation. We parse
with ruamel only to *locate* nodes (their character offsets), render just the changed values,
splice them into the original text, then parse the result again and refuse to save unless
everything outside the edited keys is unchanged (SPEC 10: Kometa itself rewrites the file with
ruamel round trip, so its own saves may still reformat; ours never do).

Also holds the node helpers reading shares with the splicer, so that `config.py` imports this
module and never the reverse. Must not touch the file system (`config.py` reads, locks, writes).
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from malclient._exceptions import ConfigFileError

# Kometa's order of keys (SPEC 10); new keys are placed according to it.
SETTING_KEYS: Final = ("client_id", "client_secret", "localhost_url", "authorization")
TOKEN_KEYS: Final = ("access_token", "token_type", "expires_in", "refresh_token")


# --- nodes ------------------------------------------------------------------------------------


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "mapping"
    if isinstance(node, SequenceNode):
        return "list"
    return "single value"


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and str(node.tag).endswith(":null")


def _is_bare(node: Node) -> bool:
    """A value left empty after its colon (`localhost_url:`), as in Kometa's template."""
    return isinstance(node, ScalarNode) and _is_null(node) and node.value == "" and not node.style


def _is_alias(key: Node, value: Node) -> bool:
    # An alias resolves to the node where its anchor stands, which precedes this key.
    return int(value.start_mark.index) < int(key.end_mark.index)


@dataclass(frozen=True)
class _Pair:
    key: ScalarNode
    value: Node


def _find(target: Path, mapping: MappingNode, name: str, where: str) -> _Pair | None:
    found: _Pair | None = None
    for key, value in mapping.value:
        if isinstance(key, ScalarNode) and key.value == name:
            if found is not None:
                raise ConfigFileError(
                    f"{target}: `{where}{name}` appears twice (lines {_line(found.key)} and "
                    f"{_line(key)}). Delete one of them.",
                    path=target,
                    line=_line(key),
                )
            found = _Pair(key, value)
    return found


# --- splicing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str


def _apply_edits(text: str, edits: list[_Edit]) -> str:
    out: list[str] = []
    position = 0
    # Stable sort: insertions at one point keep the order in which they were planned.
    for edit in sorted(edits, key=lambda e: e.start):
        assert edit.start >= position, "planned edits overlap"
        out.append(text[position : edit.start])
        out.append(edit.text)
        position = edit.end
    out.append(text[position:])
    return "".join(out)


# YAML 1.1 readers (PyYAML) take these plain words for booleans: quote them for everyone.
_YAML11_WORDS = frozenset({"y", "n", "yes", "no", "on", "off"})


def _render_scalar(value: str | int | None, old_style: str | None = None) -> str:
    """One value as YAML on one line: plain when safe, else quoted (in the old style if any)."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if old_style is None and value.lower() in _YAML11_WORDS:
        old_style = "'"
    return _dump_scalar(value, old_style)


def _dump_scalar(value: str, style: str | None) -> str:
    # The emitter decides what needs quoting (`: `, ` #`, leading `@`/`*`, numbers, ...).
    yaml = YAML(typ="safe", pure=True)
    yaml.width = 2**30
    yaml.default_flow_style = False
    buffer = io.StringIO()
    yaml.dump({"k": value}, buffer, transform=None)
    rendered = buffer.getvalue().removeprefix("k:").strip(" \n")
    if "\n" in rendered or not rendered or (style == '"' and not rendered.startswith('"')):
        return json.dumps(value)  # a JSON string is a valid YAML double-quoted scalar
    if style == "'" and not rendered.startswith(("'", '"')):
        return "'" + value.replace("'", "''") + "'"
    return rendered


def _eol(text: str, index: int) -> int:
    """Where the line holding `index` ends (before its CR/LF)."""
    found = text.find("\n", index)
    if found == -1:
        return len(text)
    return found - 1 if found > 0 and text[found - 1] == "\r" else found


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _newline(text: str) -> str:
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"


@dataclass(frozen=True)
class _Verbatim:
    """A value copied as written from a flow mapping we turn into a block."""

    source: str


_Wanted = dict[str, Any]  # key -> str | int | None; "authorization" -> dict of TOKEN_KEYS
_MARK: Final = ("mal", "edited")


def _leaves(wanted: Mapping[str, Any]) -> Iterator[Any]:
    for value in wanted.values():
        if isinstance(value, dict):
            yield from _leaves(value)
        else:
            yield value


class _Splicer:
    """Plans text edits of the `mal:` block, applies them, and checks the result."""

    def __init__(self, target: Path, text: str, root: MappingNode | None) -> None:
        self.target = target
        self.text = text
        self.root = root
        self.nl = _newline(text)
        self.step = self._indent_step()
        self.edits: list[_Edit] = []

    def apply(
        self, wanted: _Wanted, holds: Callable[[MappingNode], bool]
    ) -> tuple[str, MappingNode | None]:
        """The new text and its tree; `holds` says whether the tree reads back as `wanted`."""
        self._plan(wanted)
        if not self.edits:
            return self.text, self.root
        new_text = _apply_edits(self.text, self.edits)
        try:
            new_root = YAML(typ="rt").compose(new_text)
        except YAMLError:
            new_root = None
        if not (
            isinstance(new_root, MappingNode) and self._same_outside(new_root) and holds(new_root)
        ):
            raise ConfigFileError(
                f"Cannot update the `mal:` block of {self.target} without changing other parts "
                "of the file (its layout there is unusual: an alias, a tag, a multi-line value). "
                "Write the block as in Kometa's config template, then try again. The file was "
                "not changed.",
                path=self.target,
            )
        return new_text, new_root

    # Planning ---------------------------------------------------------------------------

    def _plan(self, wanted: _Wanted) -> None:
        if self.root is not None and self.root.flow_style:
            raise ConfigFileError(
                f"{self.target} is written in flow style (`{{...}}`) at the top level; "
                "malclient edits block-style files like Kometa's. Rewrite it in block style, "
                "then try again. The file was not changed.",
                path=self.target,
            )
        mal = _find(self.target, self.root, "mal", "") if self.root is not None else None
        if mal is not None:
            self._edit_mapping(mal, wanted, "mal.", SETTING_KEYS)
        elif any(value is not None for value in _leaves(wanted)):
            self._append_block(wanted)

    def _edit_mapping(
        self, pair: _Pair, wanted: _Wanted, where: str, order: tuple[str, ...]
    ) -> None:
        if _is_alias(pair.key, pair.value):
            raise self._cannot(pair, where[:-1], "is an alias (`*name`) of another value")
        value = pair.value
        if _is_null(value):
            if any(new is not None for new in _leaves(wanted)):
                self._value_to_block(pair, self._template(order) | wanted)
        elif isinstance(value, MappingNode) and value.flow_style:
            items: _Wanted = {}
            for child_key, child_value in value.value:
                if not isinstance(child_key, ScalarNode) or _is_alias(child_key, child_value):
                    raise self._cannot(pair, where[:-1], "holds an alias or a complex key")
                name = str(child_key.value)
                items[name] = (
                    wanted[name] if name in wanted else _Verbatim(self._one_line(child_value))
                )
            self._value_to_block(pair, items | {n: v for n, v in wanted.items() if n not in items})
        elif isinstance(value, MappingNode):
            column = int(value.value[0][0].start_mark.column)
            for name in order:
                if name not in wanted:
                    continue
                new = wanted[name]
                child = _find(self.target, value, name, where)
                if isinstance(new, dict):
                    if child is not None:
                        self._edit_mapping(child, new, f"{where}{name}.", TOKEN_KEYS)
                    elif any(v is not None for v in new.values()):
                        self._insert(value, name, order, self._lines({name: new}, column), where)
                elif child is not None:
                    self._set_scalar(child, new, where)
                elif new is not None:
                    self._insert(value, name, order, self._lines({name: new}, column), where)
        else:
            raise self._cannot(pair, where[:-1], f"is a {_kind(value)}, not a mapping of keys")

    def _template(self, order: tuple[str, ...]) -> _Wanted:
        # A new `mal:` block gets every key of Kometa's template, so users see where things go.
        return dict.fromkeys(order) if order == SETTING_KEYS else {}

    def _set_scalar(self, pair: _Pair, new: str | int | None, where: str) -> None:
        key, value = pair.key, pair.value
        if _is_alias(key, value):
            raise self._cannot(pair, where + key.value, "is an alias (`*name`) of another value")
        if not isinstance(value, ScalarNode):
            raise self._cannot(pair, where + key.value, f"is a {_kind(value)}, not one value")
        colon = self._colon_after(key)
        start, end = int(value.start_mark.index), self._node_end(value)
        if _is_bare(value):
            if new is not None:
                self.edits.append(_Edit(colon + 1, colon + 1, " " + _render_scalar(new)))
        elif new is None:
            self.edits.append(_Edit(colon + 1, end, ""))
        else:
            # Keep the user's quoting style and anchor; the comment after the value stays.
            style = value.style if value.style in ("'", '"') else None
            anchor = f"&{value.anchor} " if value.anchor is not None else ""
            self.edits.append(_Edit(start, end, anchor + _render_scalar(new, style)))

    def _value_to_block(self, pair: _Pair, items: _Wanted) -> None:
        """`key:`, `key: ~` or `key: {a: 1}` becomes `key:` followed by an indented block."""
        colon = self._colon_after(pair.key)
        value = pair.value
        end = colon + 1
        if not _is_bare(value):
            end = int(value.end_mark.index)
            anchor = f" &{value.anchor}" if value.anchor is not None else ""
            self.edits.append(_Edit(colon + 1, end, anchor))
        point = _eol(self.text, end)
        column = int(pair.key.start_mark.column) + self.step
        self.edits.append(_Edit(point, point, self.nl + self._lines(items, column)))

    def _insert(
        self, mapping: MappingNode, name: str, order: tuple[str, ...], lines: str, where: str
    ) -> None:
        """Add a key where Kometa has it: after its predecessors, else before its successors."""
        pairs = [_Pair(k, v) for k, v in mapping.value]
        rank = order.index(name)
        before = [p for p in pairs if p.key.value in order[:rank]]
        after = [p for p in pairs if p.key.value in order[rank + 1 :]]
        if after and not before:
            first = min(after, key=lambda p: int(p.key.start_mark.index))
            point = _line_start(self.text, int(first.key.start_mark.index))
            if self.text[point : int(first.key.start_mark.index)].strip():
                raise self._cannot(first, where + first.key.value, "does not start its own line")
            self.edits.append(_Edit(point, point, lines + self.nl))
            return
        last = max(before, key=lambda p: int(p.key.start_mark.index)) if before else pairs[-1]
        point = _eol(self.text, self._pair_end(last))
        self.edits.append(_Edit(point, point, self.nl + lines))

    def _append_block(self, wanted: _Wanted) -> None:
        column = int(self.root.value[0][0].start_mark.column) if self.root else 0
        lead = ""
        if self.text and not self.text.endswith("\n"):
            lead = self.nl
        if self.text.strip() and not (self.text + lead).endswith(self.nl * 2):
            lead += self.nl  # a blank line between the user's last section and ours
        lines = self._lines({"mal": self._template(SETTING_KEYS) | wanted}, column)
        self.edits.append(_Edit(len(self.text), len(self.text), lead + lines + self.nl))

    def _lines(self, items: _Wanted, column: int) -> str:
        lines: list[str] = []
        for name, value in items.items():
            lead = " " * column + name + ":"
            if isinstance(value, dict):
                lines.append(lead)
                if value:
                    lines.append(self._lines(value, column + self.step))
            else:
                text = value.source if isinstance(value, _Verbatim) else _render_scalar(value)
                lines.append(f"{lead} {text}" if text else lead)
        return self.nl.join(lines)

    # Positions --------------------------------------------------------------------------

    def _pair_end(self, pair: _Pair) -> int:
        """Index just past the last character of a pair's value (comments after it excluded)."""
        key, node = pair.key, pair.value
        if _is_alias(key, node):
            match = re.compile(r"[ \t]*\*[^\s,\]}]+").match(self.text, self._colon_after(key) + 1)
            return match.end() if match else self._colon_after(key) + 1
        if _is_bare(node):
            return self._colon_after(key) + 1
        return self._node_end(node)

    def _node_end(self, node: Node) -> int:
        if isinstance(node, MappingNode) and not node.flow_style and node.value:
            last_key, last_value = node.value[-1]
            return self._pair_end(_Pair(last_key, last_value))
        if isinstance(node, SequenceNode) and not node.flow_style and node.value:
            return self._node_end(node.value[-1])
        start, end = int(node.start_mark.index), int(node.end_mark.index)
        while end > start and self.text[end - 1] in " \t\r\n":
            end -= 1  # block scalars' marks include their trailing line breaks
        return end

    def _colon_after(self, key: Node) -> int:
        match = re.compile(r"[ \t]*:").match(self.text, int(key.end_mark.index))
        if match is None:
            raise ConfigFileError(
                f"{self.target}: unusual layout at line {_line(key)} (the key is not followed "
                "by `:` on its line). Write the `mal:` block as in Kometa's config template, "
                "then try again. The file was not changed.",
                path=self.target,
                line=_line(key),
            )
        return match.end() - 1

    def _one_line(self, node: Node) -> str:
        if _is_bare(node):
            return ""
        source = self.text[int(node.start_mark.index) : int(node.end_mark.index)]
        if "\n" in source:
            raise ConfigFileError(
                f"{self.target}: a value of the flow-style mapping at line {_line(node)} spans "
                "several lines; write the `mal:` block in block style (one key per line), then "
                "try again. The file was not changed.",
                path=self.target,
                line=_line(node),
            )
        return source

    def _indent_step(self) -> int:
        """The file's indentation step; ruamel's own guess misreads Kometa files (STYLE.md)."""
        steps: Counter[int] = Counter()
        seen: set[int] = set()

        def walk(node: Node, column: int | None, weight: int) -> None:
            if id(node) in seen:
                return
            seen.add(id(node))
            if isinstance(node, MappingNode):
                if node.value and not node.flow_style and column is not None:
                    step = int(node.value[0][0].start_mark.column) - column
                    if step > 0:
                        steps[step] += weight
                for key, value in node.value:
                    # The `mal:` block's own indentation outweighs the rest of the file.
                    mal = column is None and isinstance(key, ScalarNode) and key.value == "mal"
                    walk(value, int(key.start_mark.column), 1000 if mal else weight)
            elif isinstance(node, SequenceNode):
                for item in node.value:
                    walk(item, None, weight)

        if self.root is not None:
            walk(self.root, None, 1)
        if not steps:
            return 2
        best = max(steps.values())
        return min(step for step, count in steps.items() if count == best)

    def _cannot(self, pair: _Pair, name: str, why: str) -> ConfigFileError:
        return ConfigFileError(
            f"Cannot update {self.target}: `{name}` (line {_line(pair.key)}) "
            f"{why}. Write it as in Kometa's config template, then try again. The file was not "
            "changed.",
            path=self.target,
            line=_line(pair.key),
        )

    # Checking ---------------------------------------------------------------------------

    def _same_outside(self, new_root: MappingNode) -> bool:
        """Everything but the edited keys parses exactly as before, in the same order."""
        old_items = _canonical_items(self.root, {"mal"})
        if _MARK not in [value for _, value in old_items]:
            old_items.append((_MARK, _MARK))
        if old_items != _canonical_items(new_root, {"mal"}):
            return False
        old_mal, new_mal = _child(self.root, "mal"), _child(new_root, "mal")
        if _canonical_items(old_mal, set(SETTING_KEYS)) != _canonical_items(
            new_mal, set(SETTING_KEYS)
        ):
            return False
        return _canonical_items(_child(old_mal, "authorization"), set(TOKEN_KEYS)) == (
            _canonical_items(_child(new_mal, "authorization"), set(TOKEN_KEYS))
        )


def _child(mapping: Node | None, name: str) -> Node | None:
    if not isinstance(mapping, MappingNode):
        return None
    for key, value in mapping.value:
        if isinstance(key, ScalarNode) and key.value == name:
            return value  # type: ignore[no-any-return]
    return None


def _canonical_items(mapping: Node | None, managed: set[str]) -> list[tuple[Any, Any]]:
    """A mapping's pairs as comparable values; managed keys left out (`mal` kept as a marker)."""
    if not isinstance(mapping, MappingNode):
        return []
    memo: dict[int, Any] = {}
    items: list[tuple[Any, Any]] = []
    for key, value in mapping.value:
        if isinstance(key, ScalarNode) and key.value in managed:
            if key.value == "mal":
                items.append((_MARK, _MARK))
            continue
        items.append((_canonical(key, memo), _canonical(value, memo)))
    return items


def _canonical(node: Node, memo: dict[int, Any]) -> Any:
    # Tag and text of every scalar, shape of every collection; styles and comments ignored.
    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, ScalarNode):
        result: Any = ("scalar", str(node.tag), node.value)
    else:
        memo[id(node)] = ("recursive", str(node.tag))
        if isinstance(node, MappingNode):
            result = (
                "map",
                tuple((_canonical(k, memo), _canonical(v, memo)) for k, v in node.value),
            )
        else:
            result = ("seq", tuple(_canonical(item, memo) for item in node.value))
    memo[id(node)] = result
    return result
