"""A local SQLite mirror of one user's anime or manga list, kept current by asking MAL only for
what changed (docs/mirror.md). Owns the file's schema and every sync decision (pure, in
`_sync_steps`); sends only through a `Client`/`AsyncClient`, and never writes to MAL.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Generic,
    Literal,
    Self,
    TypeAlias,
    TypeVar,
    get_args,
    overload,
)

import anyio.to_thread
import msgspec

from malclient._exceptions import MALError
from malclient.fields import ANIME_LIST_EXPORT, MANGA_LIST_EXPORT
from malclient.models import (
    Anime,
    AnimeListEntry,
    AnimeListStatus,
    Manga,
    MangaListEntry,
    MangaListStatus,
    PartialDate,
    TimeOfDay,
    decode,
)
from malclient.models.literals import AnimeListSort, MangaListSort, ReadStatus, WatchStatus

if TYPE_CHECKING:
    from malclient.client import AsyncClient, Client

__all__ = [
    "FIRST_PAGE",
    "AsyncListMirror",
    "ListChangedDuringSync",
    "ListMirror",
    "MirrorState",
    "SyncResult",
    "signed_in_account",
    "signed_in_name",
]

Kind: TypeAlias = Literal["anime", "manga"]
E = TypeVar("E", AnimeListEntry, MangaListEntry)

# An unchanged list costs exactly one request whatever the page size; 100 entries are ~100 KB
# with the export fields against ~1 MB for MAL's maximum of 1,000 (SPEC 4.8), so the first page
# of an incremental sync is small and the rest, if any, are full (docs/mirror.md measures this).
FIRST_PAGE: Final = 100
_MAX_PAGE: Final = 1000
# Passes restarted because the list moved under us before the sync gives up.
_ATTEMPTS: Final = 3


class ListChangedDuringSync(MALError):
    """The list kept changing while it was being read (entries deleted or moved between two
    pages), so a consistent copy could not be taken. The mirror is unchanged: sync again."""


@dataclass(frozen=True, slots=True)
class MirrorState:
    """Where a mirror stands. Times are seconds since the epoch; `newest_updated_at` is MAL's
    clock (the newest entry seen), the others this machine's."""

    last_sync: float
    last_full_sync: float | None
    newest_updated_at: float | None
    # Entries sharing `newest_updated_at`: the next sync's first page must reach past them.
    ties: int


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one sync did. `changed` counts entries whose list status differs from the mirror's;
    node details (mean, rank, ...) are refreshed silently."""

    full: bool
    requests: int
    added: int
    changed: int
    removed: int
    entries: int


# --- deciding (pure) ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Fetch:
    """Ask for `limit` entries from `offset` of the list sorted by `list_updated_at`."""

    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    title: str
    status: str | None
    score: int | None
    updated_at: float | None
    start_date: str | None
    node: bytes
    list_status: bytes


@dataclass(slots=True)
class _Plan:
    full: bool
    requests: int
    rows: dict[int, _Row] = field(default_factory=dict)


def _encode_custom(value: Any) -> Any:
    if isinstance(value, PartialDate | TimeOfDay):
        return str(value)
    raise NotImplementedError(f"cannot encode {type(value).__name__}")


_encoder = msgspec.json.Encoder(enc_hook=_encode_custom)


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _row(entry: AnimeListEntry | MangaListEntry) -> _Row:
    node, status = entry.node, entry.list_status
    return _Row(
        id=node.id,
        title=node.title,
        status=None if status is None else status.status,
        score=None if status is None else status.score,
        updated_at=None if status is None else _epoch(status.updated_at),
        start_date=None if node.start_date is None else str(node.start_date),
        node=_encoder.encode(node),
        list_status=b"{}" if status is None else _encoder.encode(status),
    )


# What a driver answers a `_Fetch` with: the page's entries, and whether MAL has more.
_Reply: TypeAlias = tuple[Sequence[AnimeListEntry | MangaListEntry], bool]
_Steps: TypeAlias = Generator[_Fetch, _Reply, _Plan]


def _sync_steps(newest: float | None, ties: int, full: bool) -> _Steps:
    """The requests of one sync, and what to store. Pure: drivers fetch and store.

    Pages come newest first (`sort=list_updated_at`, SPEC 4.8). An incremental sync stops at
    the first entry strictly older than `newest`, the newest `updated_at` of the last sync:
    MAL's times have one-second resolution, so entries stamped in that same second (before or
    after the last sync read them) are read again rather than missed. A full pass reads
    everything. Consecutive pages overlap by one entry: if the overlap is not the entry the last
    page ended with, the list moved under us (an entry deleted, or updated and moved to the
    front), entries may have been skipped, and the pass starts over.
    """
    # The first page must reach past the entries stamped in the last sync's newest second,
    # or an unchanged list would cost more than one request.
    first = _MAX_PAGE if full or newest is None else min(_MAX_PAGE, max(FIRST_PAGE, ties + 1))
    requests = 0
    for _attempt in range(_ATTEMPTS):
        plan = _Plan(full=full, requests=requests)
        offset, limit, previous_last = 0, first, None
        while True:
            entries, more = yield _Fetch(offset, limit)
            plan.requests += 1
            fresh: Sequence[AnimeListEntry | MangaListEntry] = entries
            if previous_last is not None:
                if not entries or entries[0].node.id != previous_last:
                    break  # the list moved: start over
                fresh = entries[1:]
            for entry in fresh:
                row = _row(entry)
                if not full and newest is not None and (row.updated_at or 0.0) < newest:
                    return plan
                plan.rows[row.id] = row
            if not more or not entries:
                return plan
            previous_last = entries[-1].node.id
            offset, limit = offset + len(entries) - 1, _MAX_PAGE
        requests = plan.requests
    raise ListChangedDuringSync(
        f"The list changed during each of {_ATTEMPTS} attempts to read it; the mirror is "
        "unchanged. Sync again when it is not being edited."
    )


# --- the file -----------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lists (
    list_id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    user_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    last_sync REAL,
    last_full_sync REAL,
    newest_updated_at REAL,
    ties INTEGER NOT NULL DEFAULT 0,
    UNIQUE (origin, user_name, kind)
);
CREATE TABLE IF NOT EXISTS entries (
    list_id INTEGER NOT NULL REFERENCES lists (list_id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    title TEXT NOT NULL,
    status TEXT,
    score INTEGER,
    updated_at REAL,
    start_date TEXT,
    node BLOB NOT NULL,
    list_status BLOB NOT NULL,
    PRIMARY KEY (list_id, id)
);
CREATE INDEX IF NOT EXISTS entries_by_title ON entries (list_id, title COLLATE NOCASE, id);
CREATE INDEX IF NOT EXISTS entries_by_update ON entries (list_id, updated_at);
CREATE TABLE IF NOT EXISTS accounts (
    origin TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    user_name TEXT NOT NULL,
    PRIMARY KEY (origin, user_id)
);
"""
_VERSION: Final = 1

_UPSERT = """
INSERT INTO entries (list_id, id, title, status, score, updated_at, start_date, node, list_status)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (list_id, id) DO UPDATE SET
    title = excluded.title, status = excluded.status, score = excluded.score,
    updated_at = excluded.updated_at, start_date = excluded.start_date,
    node = excluded.node, list_status = excluded.list_status
"""

# MAL's user-list sorts (SPEC 4.8), ties broken as MAL's unsorted order: by title.
_BY_TITLE = "title COLLATE NOCASE, id"
_ORDERS: Final = {
    None: _BY_TITLE,
    "list_score": f"score DESC, {_BY_TITLE}",
    "list_updated_at": f"updated_at DESC, {_BY_TITLE}",
    "title": _BY_TITLE,
    "start_date": f"start_date DESC, {_BY_TITLE}",
    "id": "id",
}
_STATUSES: Final = {
    "anime": frozenset(get_args(WatchStatus)),
    "manga": frozenset(get_args(ReadStatus)),
}
_CHUNK: Final = 500


def _order(kind: Kind, sort: str | None) -> str:
    key = sort
    if sort is not None and sort.startswith(f"{kind}_"):
        key = sort.removeprefix(f"{kind}_")  # anime_title -> title
    elif sort not in (None, "list_score", "list_updated_at"):
        key = "?"
    order = _ORDERS.get(key)
    if order is None:
        names = [name if name.startswith("list_") else f"{kind}_{name}" for name in _ORDERS if name]
        raise ValueError(f"sort={sort!r} is not a {kind} list order: use one of {', '.join(names)}")
    return order


class _Store:
    """The SQLite file: one connection, WAL, every write one transaction. Thread-safe."""

    def __init__(self, path: str | Path) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, _VERSION):
                raise ValueError(f"{path} is a list mirror of a newer malclient (format {version})")
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version={_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def list_id(self, origin: str, user_name: str, kind: Kind) -> int:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO lists (origin, user_name, kind) VALUES (?, ?, ?)",
                (origin, user_name, kind),
            )
            found = self._db.execute(
                "SELECT list_id FROM lists WHERE origin = ? AND user_name = ? AND kind = ?",
                (origin, user_name, kind),
            ).fetchone()
        list_id: int = found[0]
        return list_id

    def account_name(self, origin: str, user_id: int) -> str | None:
        with self._lock:
            found = self._db.execute(
                "SELECT user_name FROM accounts WHERE origin = ? AND user_id = ?",
                (origin, user_id),
            ).fetchone()
        return None if found is None else str(found[0])

    def remember_account(self, origin: str, user_id: int, user_name: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO accounts (origin, user_id, user_name) VALUES (?, ?, ?)",
                (origin, user_id, user_name),
            )

    def state(self, list_id: int) -> MirrorState | None:
        with self._lock:
            found = self._db.execute(
                "SELECT last_sync, last_full_sync, newest_updated_at, ties FROM lists "
                "WHERE list_id = ?",
                (list_id,),
            ).fetchone()
        if found is None or found[0] is None:
            return None
        return MirrorState(*found)

    def apply(self, list_id: int, plan: _Plan) -> SyncResult:
        """Store a finished sync in one transaction: all of it, or (on any error) none."""
        rows = plan.rows
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                old = self._statuses(list_id, None if plan.full else list(rows))
                added = sum(1 for key in rows if key not in old)
                changed = sum(
                    1 for key, row in rows.items() if key in old and old[key] != row.list_status
                )
                removed = [key for key in old if key not in rows] if plan.full else []
                db.execute(
                    "DELETE FROM entries WHERE list_id = ? "
                    "AND id IN (SELECT value FROM json_each(?))",
                    (list_id, json.dumps(removed)),
                )
                db.executemany(
                    _UPSERT,
                    (
                        (
                            list_id,
                            r.id,
                            r.title,
                            r.status,
                            r.score,
                            r.updated_at,
                            r.start_date,
                            r.node,
                            r.list_status,
                        )
                        for r in rows.values()
                    ),
                )
                newest, ties = db.execute(
                    "SELECT updated_at, COUNT(*) FROM entries WHERE list_id = ? AND updated_at "
                    "= (SELECT MAX(updated_at) FROM entries WHERE list_id = ?)",
                    (list_id, list_id),
                ).fetchone()
                now = time.time()
                db.execute(
                    "UPDATE lists SET last_sync = ?, newest_updated_at = ?, ties = ?, "
                    "last_full_sync = CASE WHEN ? THEN ? ELSE last_full_sync END "
                    "WHERE list_id = ?",
                    (now, newest, ties, plan.full, now, list_id),
                )
                total = db.execute(
                    "SELECT COUNT(*) FROM entries WHERE list_id = ?", (list_id,)
                ).fetchone()[0]
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return SyncResult(
            full=plan.full,
            requests=plan.requests,
            added=added,
            changed=changed,
            removed=len(removed),
            entries=total,
        )

    def _statuses(self, list_id: int, ids: list[int] | None) -> dict[int, bytes]:
        if ids is None:
            found = self._db.execute(
                "SELECT id, list_status FROM entries WHERE list_id = ?", (list_id,)
            )
            return dict(found.fetchall())
        found = self._db.execute(
            "SELECT id, list_status FROM entries WHERE list_id = ? "
            "AND id IN (SELECT value FROM json_each(?))",
            (list_id, json.dumps(ids)),
        )
        return dict(found.fetchall())

    def put(self, list_id: int, row: _Row) -> None:
        # One entry written through from a list write; the sync state is left alone, so the
        # next sync still reads the entry back from MAL (it is newer than `newest_updated_at`).
        with self._lock:
            self._db.execute(
                _UPSERT,
                (
                    list_id,
                    row.id,
                    row.title,
                    row.status,
                    row.score,
                    row.updated_at,
                    row.start_date,
                    row.node,
                    row.list_status,
                ),
            )

    def node(self, list_id: int, item_id: int) -> bytes | None:
        with self._lock:
            found = self._db.execute(
                "SELECT node FROM entries WHERE list_id = ? AND id = ?", (list_id, item_id)
            ).fetchone()
        return None if found is None else bytes(found[0])

    def delete(self, list_id: int, item_id: int) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM entries WHERE list_id = ? AND id = ?", (list_id, item_id)
            )
        return cursor.rowcount > 0

    def select(self, sql: str, parameters: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """Rows of a query, read a chunk at a time so no lock is held while the caller works."""
        with self._lock:
            cursor = self._db.execute(sql, parameters)
            chunk = cursor.fetchmany(_CHUNK)
        while chunk:
            yield from chunk
            with self._lock:
                chunk = cursor.fetchmany(_CHUNK)

    def one(self, sql: str, parameters: Sequence[Any]) -> tuple[Any, ...] | None:
        with self._lock:
            found: tuple[Any, ...] | None = self._db.execute(sql, parameters).fetchone()
        return found


# --- the mirrors --------------------------------------------------------------------------------


def signed_in_name(path: str | Path, client: Client) -> str:
    """The signed-in user's name, by which their mirror is kept, at no request after the first.

    The access token names its user's id (`sub`); the name for that id is asked of MAL
    (`users/@me`) once and remembered in the mirror's file. A token that names no user costs
    the request every time.
    """
    return signed_in_account(path, client)[1]


def signed_in_account(path: str | Path, client: Client) -> tuple[int, str]:
    """The signed-in user's (id, name), remembered as `signed_in_name` explains."""
    manager = client.session.manager
    if manager is None:
        raise ValueError("signed_in_account needs a client with a signed-in user")
    claims = manager.token().claims
    user_id = None if claims is None else claims.user_id
    origin = client.api_url.rstrip("/")
    store = _Store(path)
    try:
        known = None if user_id is None else store.account_name(origin, user_id)
        if user_id is not None and known is not None:
            return user_id, known
        me = client.users.me(fields="name")
        if user_id is not None and me.id == user_id:
            store.remember_account(origin, user_id, me.name)
        return me.id, me.name
    finally:
        store.close()


def _user_key(user_name: str) -> str:
    name = user_name.strip()
    if not name:
        raise ValueError("a list mirror needs a user name")
    if name == "@me":
        # "@me" is whoever the token belongs to: keying a file by it could mix two users.
        raise ValueError(
            "a list mirror needs the user's name, not '@me': use client.users.me().name"
        )
    return name.casefold()  # MAL's user names are case-insensitive


class _Mirror(Generic[E]):
    """What both mirrors share: the file, reads, and writing through single entries."""

    _entry: type[E]

    def __init__(self, path: str | Path, api_url: str, user_name: str, kind: Kind) -> None:
        if kind not in ("anime", "manga"):
            raise ValueError(f"kind must be 'anime' or 'manga', not {kind!r}")
        key = _user_key(user_name)
        self.user_name = user_name.strip()
        self.kind: Kind = kind
        self._entry = AnimeListEntry if kind == "anime" else MangaListEntry  # type: ignore[assignment]
        self._store = _Store(path)
        self._list_id = self._store.list_id(api_url.rstrip("/"), key, kind)

    def _steps(self, full: bool) -> _Steps:
        state = self._store.state(self._list_id)
        if state is None:
            full = True  # the first sync reads everything
        return _sync_steps(
            None if state is None else state.newest_updated_at,
            0 if state is None else state.ties,
            full,
        )

    def _list_arguments(self, fetch: _Fetch) -> dict[str, Any]:
        return {
            "sort": "list_updated_at",
            "limit": fetch.limit,
            "offset": fetch.offset,
            "fields": ANIME_LIST_EXPORT if self.kind == "anime" else MANGA_LIST_EXPORT,
            # A mirror is the whole list whatever the client's default (SPEC 3.6).
            "nsfw": True,
        }

    # --- reading --------------------------------------------------------------------------------

    @property
    def state(self) -> MirrorState | None:
        """Where the mirror stands; None before its first sync."""
        return self._store.state(self._list_id)

    def entries(
        self,
        *,
        status: WatchStatus | ReadStatus | None = None,
        sort: AnimeListSort | MangaListSort | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Iterator[E]:
        """The mirrored entries, as `client.animelist.list()` would give them: `status` keeps
        one status, `sort` takes MAL's user-list orders (default: by title). No request."""
        if status is not None and status not in _STATUSES[self.kind]:
            raise ValueError(f"{status!r} is not a {self.kind} list status")
        # The order comes from a fixed table of MAL's sorts, never from the caller's text.
        sql = (
            "SELECT node, list_status FROM entries WHERE list_id = ?1 "  # noqa: S608
            "AND (?2 IS NULL OR status = ?2) "
            f"ORDER BY {_order(self.kind, sort)} LIMIT ?3 OFFSET ?4"
        )
        rows = self._store.select(
            sql, (self._list_id, status, -1 if limit is None else limit, offset)
        )
        return (self._decode(node, list_status) for node, list_status in rows)

    def __iter__(self) -> Iterator[E]:
        return self.entries()

    def get(self, item_id: int) -> E | None:
        """The entry for one title, or None when it is not on the mirrored list."""
        found = self._store.one(
            "SELECT node, list_status FROM entries WHERE list_id = ? AND id = ?",
            (self._list_id, item_id),
        )
        return None if found is None else self._decode(*found)

    def __contains__(self, item_id: object) -> bool:
        return (
            isinstance(item_id, int)
            and self._store.one(
                "SELECT 1 FROM entries WHERE list_id = ? AND id = ?", (self._list_id, item_id)
            )
            is not None
        )

    def counts(self) -> dict[str, int]:
        """Entries per list status, every status present (0 when none)."""
        counts = dict.fromkeys(sorted(_STATUSES[self.kind]), 0)
        for status, count in self._store.select(
            "SELECT status, COUNT(*) FROM entries WHERE list_id = ? GROUP BY status",
            (self._list_id,),
        ):
            counts[status or ""] = count
        return counts

    def __len__(self) -> int:
        found = self._store.one("SELECT COUNT(*) FROM entries WHERE list_id = ?", (self._list_id,))
        return 0 if found is None else int(found[0])

    def _decode(self, node: bytes, list_status: bytes) -> E:
        return decode(b'{"node":' + node + b',"list_status":' + list_status + b"}", self._entry)

    # --- writing through ------------------------------------------------------------------------

    def apply(
        self,
        item_id: int,
        list_status: AnimeListStatus | MangaListStatus,
        *,
        node: Anime | Manga | None = None,
    ) -> None:
        """Record what a list write answered (`client.animelist.update(...)` and its helpers)
        so reads show it at once. MAL stays the source of truth: the next sync reads the entry
        back. `node` describes a title new to the list (else only its id is known until then).
        Only for a mirror of the signed-in user's own list."""
        expected = AnimeListStatus if self.kind == "anime" else MangaListStatus
        if not isinstance(list_status, expected):
            raise TypeError(f"an {self.kind} list mirror takes a {expected.__name__}")
        if node is not None:
            node_json = _encoder.encode(node)
        else:
            node_json = self._store.node(self._list_id, item_id) or _encoder.encode({"id": item_id})
        entry = self._decode(node_json, _encoder.encode(list_status))
        self._store.put(self._list_id, _row(entry))

    def forget(self, item_id: int) -> bool:
        """Drop an entry after `client.animelist.delete(...)`; True if the mirror had it."""
        return self._store.delete(self._list_id, item_id)

    def close(self) -> None:
        self._store.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.user_name!r}, kind={self.kind!r})"


class ListMirror(_Mirror[E]):
    """One user's list in a local SQLite file, synced through a `Client`.

    `sync()` asks only for what changed since the last sync (an unchanged list costs one
    request); `sync(full=True)` reads everything and finds deleted entries. Reads
    (`entries`, `get`, `counts`) never send a request. One file holds any number of lists,
    keyed by API address, user name and kind.
    """

    @overload
    def __init__(
        self: ListMirror[AnimeListEntry],
        path: str | Path,
        client: Client,
        user_name: str,
        kind: Literal["anime"] = "anime",
    ) -> None: ...
    @overload
    def __init__(
        self: ListMirror[MangaListEntry],
        path: str | Path,
        client: Client,
        user_name: str,
        kind: Literal["manga"],
    ) -> None: ...
    def __init__(
        self, path: str | Path, client: Client, user_name: str, kind: Kind = "anime"
    ) -> None:
        super().__init__(path, client.api_url, user_name, kind)
        resource = client.animelist if kind == "anime" else client.mangalist
        self._list: Callable[..., Any] = resource.list

    def sync(self, *, full: bool = False) -> SyncResult:
        """Bring the mirror up to date: what changed since the last sync, or everything with
        `full=True` (which also removes entries no longer on MAL; the first sync is full).
        Atomic: if a request fails, the mirror is left as it was."""
        steps = self._steps(full)
        reply: Any = None
        while True:
            try:
                fetch = steps.send(reply)
            except StopIteration as done:
                return self._store.apply(self._list_id, done.value)
            page = self._list(self.user_name, **self._list_arguments(fetch))
            reply = (page.data, page.has_next_page())

    def full_sync(self) -> SyncResult:
        """`sync(full=True)`."""
        return self.sync(full=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncListMirror(_Mirror[E]):
    """`ListMirror` over an `AsyncClient`: `await mirror.sync()`. Reads are the same local,
    synchronous calls (no request; SQLite answers in microseconds)."""

    @overload
    def __init__(
        self: AsyncListMirror[AnimeListEntry],
        path: str | Path,
        client: AsyncClient,
        user_name: str,
        kind: Literal["anime"] = "anime",
    ) -> None: ...
    @overload
    def __init__(
        self: AsyncListMirror[MangaListEntry],
        path: str | Path,
        client: AsyncClient,
        user_name: str,
        kind: Literal["manga"],
    ) -> None: ...
    def __init__(self, path: str | Path, client: AsyncClient, user_name: str, kind: Kind = "anime"):
        super().__init__(path, client.api_url, user_name, kind)
        resource = client.animelist if kind == "anime" else client.mangalist
        self._list: Callable[..., Any] = resource.list

    async def sync(self, *, full: bool = False) -> SyncResult:
        steps = self._steps(full)
        reply: Any = None
        while True:
            try:
                fetch = steps.send(reply)
            except StopIteration as done:
                plan: _Plan = done.value
                # A full sync stores thousands of rows: not on the event loop.
                return await anyio.to_thread.run_sync(self._store.apply, self._list_id, plan)
            page = await self._list(self.user_name, **self._list_arguments(fetch))
            reply = (page.data, page.has_next_page())

    async def full_sync(self) -> SyncResult:
        return await self.sync(full=True)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
