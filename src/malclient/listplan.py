"""Moving a list between accounts and tools: read an export (ours or MAL's XML, plain or gzipped),
plan the changes against a current list with the merge rules of issue 5, and keep the import
journal. Pure, except reading files and appending the journal; sends nothing (the CLI applies the
plan through the client).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, cast

__all__ = [
    "FIELDS",
    "Change",
    "Journal",
    "Kind",
    "Source",
    "apply_target",
    "merge",
    "normalize",
    "plan",
    "read_json_export",
    "read_source",
    "read_xml_export",
    "restore_form",
]

Kind = Literal["anime", "manga"]
Entry = dict[str, Any]

# The entry fields an import carries, by the names the client's `update` takes (SPEC 5.3, 5.4).
FIELDS: dict[str, tuple[str, ...]] = {
    "anime": (
        "status",
        "score",
        "num_episodes_watched",
        "is_rewatching",
        "num_times_rewatched",
        "rewatch_value",
        "priority",
        "tags",
        "comments",
        "start_date",
        "finish_date",
    ),
    "manga": (
        "status",
        "score",
        "num_chapters_read",
        "num_volumes_read",
        "is_rereading",
        "num_times_reread",
        "reread_value",
        "priority",
        "tags",
        "comments",
        "start_date",
        "finish_date",
    ),
}
# Counters that only grow: the higher one wins, whichever side has it.
_HIGHER_WINS = frozenset(
    {
        "num_episodes_watched",
        "num_chapters_read",
        "num_volumes_read",
        "num_times_rewatched",
        "num_times_reread",
    }
)
# What the user wrote on the entry: filled in when the list has nothing, replaced only with
# `overwrite` (issue 5: "don't overwrite scores unless --overwrite"; the rest alike).
_EMPTY: dict[str, Any] = {
    **dict.fromkeys(_HIGHER_WINS, 0),
    "score": 0,
    "priority": 0,
    "rewatch_value": 0,
    "reread_value": 0,
    "tags": [],
    "comments": "",
    "start_date": None,
    "finish_date": None,
    "is_rewatching": False,
    "is_rereading": False,
}


def _empty(name: str, value: Any) -> bool:
    return value is None or value == _EMPTY.get(name)


# Progress counter -> the title's total it cannot pass.
_TOTAL_OF = {
    "num_episodes_watched": "num_episodes",
    "num_chapters_read": "num_chapters",
    "num_volumes_read": "num_volumes",
}


def normalize(
    kind: Kind, status: Mapping[str, Any], totals: Mapping[str, Any] | None = None
) -> Entry:
    """An entry as plain comparable values: dates as MAL's text, tags as a list, unset -> None.

    With the title's `totals` (`num_episodes`, ...), progress is cut to them as MAL cuts it
    on writing (SPEC 5.3); otherwise an import would resend such an entry on every run.
    """
    out: Entry = {}
    for name in FIELDS[kind]:
        value = status.get(name)
        if name in ("start_date", "finish_date"):
            value = str(value) if value not in (None, "") else None
        elif name == "tags" and value is not None:
            value = [str(tag) for tag in value]
        elif name in _TOTAL_OF and totals and isinstance(value, int):
            total = totals.get(_TOTAL_OF[name])
            if isinstance(total, int) and total > 0:
                value = min(value, total)
        out[name] = value
    return out


# --- reading exports ----------------------------------------------------------------------------


Row = tuple[int, Entry, str | None]  # id, the entry, the title when the file has one


def read_json_export(stream: IO[bytes] | IO[str], kind: Kind) -> Iterator[Row]:
    """`mal list export --format json`: an array of `{"node", "list_status"}`."""
    rows = json.load(stream)
    if not isinstance(rows, list):
        raise ValueError("expected a JSON array of {node, list_status} entries")
    for row in rows:
        try:
            node = row["node"]
            entry = normalize(kind, row.get("list_status") or {}, node)
            title = node.get("title")
            yield int(node["id"]), entry, str(title) if title is not None else None
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ValueError(f"not an entry of a list export: {str(row)[:80]}") from None


# MAL's words in its XML export (docs/cli.md names the files they were checked against) <->
# the API's values (SPEC 5.3).
XML_STATUS: dict[Kind, dict[str, str]] = {
    "anime": {
        "watching": "Watching",
        "completed": "Completed",
        "on_hold": "On-Hold",
        "dropped": "Dropped",
        "plan_to_watch": "Plan to Watch",
    },
    "manga": {
        "reading": "Reading",
        "completed": "Completed",
        "on_hold": "On-Hold",
        "dropped": "Dropped",
        "plan_to_read": "Plan to Read",
    },
}
# Priority 0-2: MAL writes it in capitals in anime exports, capitalized in manga exports.
XML_PRIORITY = ("LOW", "MEDIUM", "HIGH")
XML_MANGA_PRIORITY = ("Low", "Medium", "High")
# Re-watch / re-read value 1-5 (0, unset, is written empty).
XML_REPLAY = ("", "Very Low", "Low", "Medium", "High", "Very High")
# The numeric status codes of MAL's older list XML (1-4, 6), read as the words.
_XML_STATUS_CODES = {"1": 0, "2": 1, "3": 2, "4": 3, "6": 4}


def xml_date(value: Any) -> str:
    """A list date as MAL's export writes it: `0000-00-00` when unset, zeros for unknown parts."""
    if value is None:
        return "0000-00-00"
    year, _, rest = str(value).partition("-")
    month, _, day = rest.partition("-")
    return f"{int(year):04d}-{int(month or 0):02d}-{int(day or 0):02d}"


def _from_xml_date(text: str) -> str | None:
    year, _, rest = text.strip().partition("-")
    month, _, day = rest.partition("-")
    if not year or int(year) == 0:
        return None
    if not month or int(month) == 0:
        return f"{int(year):04d}"
    if not day or int(day) == 0:
        return f"{int(year):04d}-{int(month):02d}"
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


def _int(text: str | None) -> int:
    try:
        return int(float(text or 0))
    except ValueError:
        return 0


def _flag(text: str) -> bool:
    # Anime exports write 1/0, manga exports YES/NO.
    return text.lower() in ("1", "yes", "true")


def _replay(text: str) -> int:
    words = [word.lower() for word in XML_REPLAY]
    return words.index(text.lower()) if text.lower() in words else _int(text)


def _xml_entry(kind: Kind, item: ET.Element) -> Row:
    def text(name: str) -> str:
        return (item.findtext(name) or "").strip()

    words = {word.lower(): api for api, word in XML_STATUS[kind].items()}
    by_code = list(XML_STATUS[kind])
    written = text("my_status")
    if written in _XML_STATUS_CODES:
        status: str | None = by_code[_XML_STATUS_CODES[written]]
    else:
        status = words.get(written.lower())
    if status is None:
        raise ValueError(f"unknown my_status {written!r}")
    priority = text("my_priority").upper()
    common: Entry = {
        "status": status,
        "score": _int(text("my_score")),
        "priority": XML_PRIORITY.index(priority) if priority in XML_PRIORITY else _int(priority),
        "tags": [tag.strip() for tag in text("my_tags").split(",") if tag.strip()],
        "comments": text("my_comments"),
        "start_date": _from_xml_date(text("my_start_date")),
        "finish_date": _from_xml_date(text("my_finish_date")),
    }
    if kind == "anime":
        ident = _int(text("series_animedb_id"))
        title = text("series_title")
        common |= {
            "num_episodes_watched": _int(text("my_watched_episodes")),
            "is_rewatching": _flag(text("my_rewatching")),
            "num_times_rewatched": _int(text("my_times_watched")),
            "rewatch_value": _replay(text("my_rewatch_value")),
        }
    else:
        ident = _int(text("manga_mangadb_id"))
        title = text("manga_title")
        common |= {
            "num_chapters_read": _int(text("my_read_chapters")),
            "num_volumes_read": _int(text("my_read_volumes")),
            "is_rereading": _flag(text("my_rereading")),
            "num_times_reread": _int(text("my_times_read")),
            "reread_value": _replay(text("my_reread_value")),
        }
    if ident <= 0:
        raise ValueError("an entry without its MAL id")
    if kind == "anime":
        totals = {"num_episodes": _int(text("series_episodes"))}
    else:
        totals = {
            "num_chapters": _int(text("manga_chapters")),
            "num_volumes": _int(text("manga_volumes")),
        }
    return ident, normalize(kind, common, totals), title or None


def read_xml_export(stream: IO[bytes], kind: Kind) -> Iterator[Row]:
    """MAL's XML list export (ours or MAL's own), element by element."""
    element = "anime" if kind == "anime" else "manga"
    # The user's own file; ElementTree resolves no external entities and expat (>= 2.4)
    # stops entity-expansion bombs, which is all defusedxml would add here.
    for _, item in ET.iterparse(stream, events=("end",)):  # noqa: S314
        if item.tag == element:
            yield _xml_entry(kind, item)
            item.clear()
        elif item.tag == "user_export_type":
            found: Kind = "manga" if (item.text or "").strip() == "2" else "anime"
            if found != kind:
                raise ValueError(
                    f"this is a {found} list export: "
                    + ("add --manga" if found == "manga" else "leave out --manga")
                )


@dataclass(frozen=True)
class Source:
    """An export as read: entries by id in the file's order, their titles where the file has
    them, and a digest of the file's bytes, which the journal keeps so that a resumed import
    can tell it was given the same file."""

    entries: dict[int, Entry]
    titles: dict[int, str]
    digest: str


def read_source(path: Path, kind: Kind) -> Source:
    """An export file: JSON or XML, told apart by the first character; gzipped or not (MAL's
    website hands its export out as `.xml.gz`), told apart by gzip's magic bytes."""
    with path.open("rb") as raw:
        digest = "sha256:" + hashlib.file_digest(raw, "sha256").hexdigest()
        raw.seek(0)
        zipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream = cast("IO[bytes]", gzip.GzipFile(fileobj=raw, mode="rb")) if zipped else raw
        head = stream.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        stream.seek(0)
        reader = read_xml_export if head.startswith(b"<") else read_json_export
        entries: dict[int, Entry] = {}
        titles: dict[int, str] = {}
        for ident, entry, title in reader(stream, kind):
            entries[ident] = entry
            if title:
                titles[ident] = title
        return Source(entries, titles, digest)


# --- merge rules --------------------------------------------------------------------------------


def merge(kind: Kind, incoming: Entry, current: Entry | None, *, overwrite: bool = False) -> Entry:
    """The fields to send so `current` takes in `incoming` (empty: nothing to do).

    Rules (issue 5): a completed entry is never moved back to another status; progress and
    re-watch counts keep the higher value; scores and the rest of what the user wrote are
    filled in where the list has nothing and replaced only with `overwrite`.
    """
    if current is None:
        return {name: value for name, value in incoming.items() if not _empty(name, value)} or {
            "status": incoming.get("status")
        }
    send: Entry = {}
    for name in FIELDS[kind]:
        new, old = incoming.get(name), current.get(name)
        if new is None or new == old:
            continue
        if name == "status":
            if old == "completed":
                continue
            send[name] = new
        elif name in _HIGHER_WINS:
            if new > (old or 0):
                send[name] = new
        elif _empty(name, old) or overwrite:
            send[name] = new
    return send


@dataclass(frozen=True)
class Change:
    """One planned write: the fields to send and the entry as it was (None: not on the list)."""

    id: int
    send: Entry
    before: Entry | None

    @property
    def creates(self) -> bool:
        return self.before is None


def plan(
    kind: Kind,
    incoming: Mapping[int, Entry],
    current: Mapping[int, Entry],
    *,
    overwrite: bool = False,
) -> list[Change]:
    """Every change the import makes, in the file's order; unchanged entries are left out."""
    changes = []
    for ident, entry in incoming.items():
        before = current.get(ident)
        send = merge(kind, entry, before, overwrite=overwrite)
        if send:
            changes.append(Change(ident, send, before))
    return changes


def apply_target(send: Mapping[str, Any], current: Entry | None) -> bool:
    """True when `current` already holds every field of `send` (a write made before a crash)."""
    if current is None:
        return False
    return all(current.get(name) == value for name, value in send.items())


def restore_form(kind: Kind, before: Entry, changed: Iterable[str]) -> Entry:
    """The fields that put `changed` back as they were in `before` ("" clears a date)."""
    form: Entry = {}
    for name in changed:
        value = before.get(name)
        if name in ("start_date", "finish_date"):
            form[name] = value or ""
        elif value is None:
            form[name] = _EMPTY.get(name, 0)
        else:
            form[name] = value
    return form


# --- the journal --------------------------------------------------------------------------------

JOURNAL_FORMAT = "malclient-list-import"


@dataclass
class Journal:
    """The import's record, one JSON object a line, appended and flushed as things happen.

    Lines: `{"session": N, "kind", "source", "digest", "user": {"id", "name"}}` opens an import
    (the file's name and the digest of its bytes, the account it writes to);
    `{"plan": ID, "send", "before"}` records a planned change; `{"done": ID}` a change MAL
    accepted; `{"refused": ID, "reason"}` one MAL refused; `{"undone": ID}` an entry put back
    by `--undo`. A change is applied only when its `plan` line has no `done` (or `refused`)
    after it, so a resumed import never writes twice; `before` is what `--undo` restores.
    """

    path: Path
    kind: Kind | None = None
    sessions: int = 0
    # The latest import's file name and digest; every account the journal's imports wrote to.
    source: str | None = None
    digest: str | None = None
    accounts: dict[int, str] = field(default_factory=dict)
    planned: dict[int, Change] = field(default_factory=dict)
    pending: dict[int, Change] = field(default_factory=dict)
    done: dict[int, list[Change]] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)
    undone: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path) -> Journal:
        journal = cls(path)
        if not path.exists():
            return journal
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    if line.endswith("\n"):
                        raise ValueError(f"{path}, line {number}: not a journal line") from None
                    break  # the last line, cut short by a crash: it never happened
                journal._take(record)
        return journal

    def _take(self, record: dict[str, Any]) -> None:
        if "session" in record:
            if record.get("format") != JOURNAL_FORMAT:
                raise ValueError(f"{self.path} is not a malclient import journal")
            self.kind = record["kind"]
            self.sessions = int(record["session"])
            self.source = record.get("source")
            self.digest = record.get("digest")
            user = record.get("user")
            if isinstance(user, dict) and "id" in user:
                self.accounts[int(user["id"])] = str(user.get("name", ""))
            self.pending = {}
        elif "plan" in record:
            change = Change(int(record["plan"]), record["send"], record["before"])
            self.pending[change.id] = change
            self.planned[change.id] = change
        elif "done" in record:
            change = self.pending.pop(int(record["done"]))
            self.done.setdefault(change.id, []).append(change)
            self.undone.discard(change.id)
            self.refused.pop(change.id, None)
        elif "refused" in record:
            self.pending.pop(int(record["refused"]), None)
            self.refused[int(record["refused"])] = str(record.get("reason", ""))
        elif "undone" in record:
            self.undone.add(int(record["undone"]))

    def _append(self, records: Iterable[dict[str, Any]], *, sync: bool = False) -> None:
        # One write() per call: a killed process loses nothing the kernel has. Only the plan
        # is fsynced; a `done` line lost to a power cut is recovered on resume, which finds
        # the entry already as planned and does not send it again.
        text = "".join(
            json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
            for record in records
        )
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        descriptor = os.open(self.path, flags, 0o600)
        try:
            os.write(descriptor, text.encode("utf-8"))
            if sync:
                os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def begin(
        self,
        kind: Kind,
        source: str,
        changes: list[Change],
        *,
        digest: str | None = None,
        user: tuple[int, str] | None = None,
    ) -> None:
        """Open a new import with its whole plan, written before the first change is sent."""
        self.kind = kind
        self.sessions += 1
        self.source, self.digest = source, digest
        header: dict[str, Any] = {"session": self.sessions, "format": JOURNAL_FORMAT, "kind": kind}
        header["source"] = source
        if digest is not None:
            header["digest"] = digest
        if user is not None:
            header["user"] = {"id": user[0], "name": user[1]}
            self.accounts[user[0]] = user[1]
        records = [header]
        records += [{"plan": c.id, "send": c.send, "before": c.before} for c in changes]
        self._append(records, sync=True)
        self.pending = {change.id: change for change in changes}
        self.planned.update(self.pending)

    def mark_done(self, change: Change) -> None:
        self._append([{"done": change.id}])
        self.pending.pop(change.id, None)
        self.done.setdefault(change.id, []).append(change)
        self.undone.discard(change.id)
        self.refused.pop(change.id, None)

    def mark_refused(self, change: Change, reason: str) -> None:
        self._append([{"refused": change.id, "reason": reason}])
        self.pending.pop(change.id, None)
        self.refused[change.id] = reason

    def mark_undone(self, ident: int) -> None:
        self._append([{"undone": ident}])
        self.undone.add(ident)

    def to_undo(self) -> list[tuple[int, Entry | None, set[str]]]:
        """Each applied entry not yet undone: its state before the first import that touched
        it, and every field the imports changed."""
        out = []
        for ident, changes in self.done.items():
            if ident in self.undone:
                continue
            changed: set[str] = set()
            for change in changes:
                changed |= set(change.send)
            out.append((ident, changes[0].before, changed))
        return out
