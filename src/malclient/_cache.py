"""An optional on-disk cache of public answers, so reading the same page again costs MAL nothing.
Owns one SQLite file: keys, expiry (TTL), a size bound (least recently used go first). Only GETs
sent with the client id alone are kept; a request carrying a user's token never reaches it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import parse_qsl, urlencode, urlsplit

from malclient._protocol import CLIENT_ID_HEADER, ApiRequest, ApiResponse

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_TTL", "ResponseCache", "default_cache_path"]

_log = logging.getLogger("malclient.cache")

# Public data changes slowly (scores, member counts) but lists change when their owner edits
# them, and MAL sends no cache headers to go by: an hour is stale enough.
DEFAULT_TTL = 3600.0
DEFAULT_MAX_BYTES = 64 * 1024 * 1024

# Writes that change what public reads return: `/anime/{id}/my_list_status` and the manga twin.
_LIST_WRITE = re.compile(r"^(?P<base>.*)/(?P<kind>anime|manga)/(?P<id>\d+)/my_list_status$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    body BLOB NOT NULL,
    size INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS responses_used_at ON responses (used_at);
CREATE INDEX IF NOT EXISTS responses_path ON responses (path);
"""


def default_cache_path() -> Path:
    """`responses.sqlite3` in the user cache directory (e.g. `~/.cache/malclient` on Linux)."""
    import platformdirs

    return platformdirs.user_cache_path("malclient", appauthor=False) / "responses.sqlite3"


def _client_id(request: ApiRequest) -> str | None:
    client_id = None
    for name, value in request.headers.items():
        lowered = name.lower()
        if lowered == "authorization":
            return None  # a user's call: never cached, never looked up
        if lowered == CLIENT_ID_HEADER.lower():
            client_id = value
    return client_id


def _key(request: ApiRequest, client_id: str) -> str:
    """The full URL with its query in a stable order, per client id (hashed: no id on disk)."""
    parts = urlsplit(request.url)
    query = sorted(parse_qsl(parts.query, keep_blank_values=True) + list(request.params))
    url = parts._replace(query=urlencode(query), fragment="").geturl()
    return hashlib.sha256(f"{client_id}\n{request.method}\n{url}".encode()).hexdigest()


class ResponseCache:
    """Successful public GET answers, kept `ttl` seconds, at most `max_bytes` of bodies.

    Safe to share between threads and sessions; several processes may use the same file.
    A broken or unwritable file never fails a request: the cache logs a warning and stays out
    of the way. `clear()` empties it; deleting the file does too.
    """

    def __init__(
        self,
        path: str | PathLike[str] | None = None,
        *,
        ttl: float = DEFAULT_TTL,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl <= 0 or max_bytes <= 0:
            raise ValueError("a response cache needs ttl > 0 and max_bytes > 0")
        self.path = Path(path) if path is not None else default_cache_path()
        self.ttl = ttl
        self.max_bytes = max_bytes
        self._clock = clock
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._broken = False

    # --- the file ---------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection | None:
        if self._db is not None or self._broken:
            return self._db
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            db = sqlite3.connect(self.path, timeout=5.0, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            self._give_up(exc)
            return None
        self._db = db
        return db

    def _give_up(self, exc: Exception) -> None:
        self._broken = True
        _log.warning(
            "The response cache at %s cannot be used (%s); continuing without it.",
            self.path,
            exc,
        )

    # --- what the transport calls -----------------------------------------------------------

    def get(self, request: ApiRequest) -> ApiResponse | None:
        """The stored answer to `request`, if it is cacheable, stored and fresh."""
        if request.method != "GET":
            return None
        client_id = _client_id(request)
        if client_id is None:
            return None
        key = _key(request, client_id)
        now = self._clock()
        with self._lock:
            db = self._connection()
            if db is None:
                return None
            try:
                row = db.execute(
                    "SELECT status, content_type, body, expires_at FROM responses WHERE key = ?",
                    (key,),
                ).fetchone()
                if row is None:
                    return None
                if row[3] <= now:
                    with db:
                        db.execute("DELETE FROM responses WHERE key = ?", (key,))
                    return None
                with db:
                    db.execute("UPDATE responses SET used_at = ? WHERE key = ?", (now, key))
            except sqlite3.Error as exc:
                self._give_up(exc)
                return None
        status, content_type, body, _ = row
        return ApiResponse(status=status, headers={"content-type": content_type}, body=body)

    def put(self, request: ApiRequest, response: ApiResponse) -> None:
        """Keep a successful public GET answer; then drop the least recently used over the bound."""
        if request.method != "GET" or response.status != 200:
            return
        client_id = _client_id(request)
        if client_id is None or len(response.body) > self.max_bytes:
            return
        key = _key(request, client_id)
        now = self._clock()
        content_type = _content_type(response.headers)
        with self._lock:
            db = self._connection()
            if db is None:
                return
            try:
                with db:
                    db.execute(
                        "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            key,
                            request.path,
                            response.status,
                            content_type,
                            response.body,
                            len(response.body),
                            now + self.ttl,
                            now,
                        ),
                    )
                    self._evict(db, now)
            except sqlite3.Error as exc:
                self._give_up(exc)

    def _evict(self, db: sqlite3.Connection, now: float) -> None:
        db.execute("DELETE FROM responses WHERE expires_at <= ?", (now,))
        (total,) = db.execute("SELECT COALESCE(SUM(size), 0) FROM responses").fetchone()
        if total <= self.max_bytes:
            return
        excess = total - self.max_bytes
        doomed: list[tuple[str]] = []
        for key, size in db.execute("SELECT key, size FROM responses ORDER BY used_at, key"):
            doomed.append((key,))
            excess -= size
            if excess <= 0:
                break
        db.executemany("DELETE FROM responses WHERE key = ?", doomed)

    def invalidate(self, request: ApiRequest) -> None:
        """After a successful list write, forget what it made stale: the title's details (its
        statistics) and every cached user list of that kind (SPEC 4.6, 4.7)."""
        match = _LIST_WRITE.match(request.path)
        if request.method == "GET" or match is None:
            return
        base, kind, title_id = match["base"], match["kind"], match["id"]
        with self._lock:
            db = self._connection()
            if db is None:
                return
            try:
                with db:
                    db.execute(
                        "DELETE FROM responses WHERE path = ? OR path LIKE ? ESCAPE '\\'",
                        (f"{base}/{kind}/{title_id}", _like(f"{base}/users/") + f"%/{kind}list"),
                    )
            except sqlite3.Error as exc:
                self._give_up(exc)

    # --- housekeeping -----------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every stored answer."""
        with self._lock:
            db = self._connection()
            if db is None:
                return
            try:
                with db:
                    db.execute("DELETE FROM responses")
            except sqlite3.Error as exc:
                self._give_up(exc)

    def stats(self) -> Mapping[str, int]:
        """`entries` and `bytes` stored now (expired ones included until evicted)."""
        with self._lock:
            db = self._connection()
            if db is None:
                return {"entries": 0, "bytes": 0}
            count, total = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM responses"
            ).fetchone()
        return {"entries": int(count), "bytes": int(total)}

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"ResponseCache(path={str(self.path)!r}, ttl={self.ttl!r}, "
            f"max_bytes={self.max_bytes!r})"
        )


def _content_type(headers: Mapping[str, str]) -> str:
    for name, value in headers.items():
        if name.lower() == "content-type":
            return value
    return "application/json"


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
