"""The embedded token store: one SQLite file in WAL mode, shared by the processes of one machine.
Owns SQLite connections, `BEGIN IMMEDIATE` as the refresh lock and SQLite's error messages;
the row format, sealing and the public methods live in `_sql.py`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from malclient.stores import _schema
from malclient.stores._errors import TokenStoreError
from malclient.stores._sql import Cursor, Pool, SQLTokenStore

__all__ = ["DEFAULT_LOCK_TIMEOUT", "SQLiteTokenStore"]

# How long a writer waits for another one, mostly a refresh in progress (one request to MAL's
# token endpoint, whose timeout is 30 s): longer than any refresh, shorter than forever.
DEFAULT_LOCK_TIMEOUT = 60.0


def _path(location: str | os.PathLike[str]) -> Path:
    text = os.fspath(location)
    # As SQLAlchemy writes them: sqlite:///relative/path, sqlite:////absolute/path.
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") :]
    elif text.startswith("sqlite:"):
        raise ValueError(f"A SQLite URL names a file as sqlite:///path, not {text!r}.")
    return Path(text).expanduser()


_OPENING: dict[Path, threading.Lock] = {}
_OPENING_GUARD = threading.Lock()


@contextlib.contextmanager
def _opening(path: Path) -> Iterator[None]:
    with _OPENING_GUARD:
        lock = _OPENING.setdefault(path.resolve(), threading.Lock())
    with lock:
        yield


class SQLiteTokenStore(SQLTokenStore[sqlite3.Connection]):
    """Tokens of many users in one SQLite file (`path`, or a `sqlite:///path` URL).

    The embedded default for a multi-user app on one machine: no server, safe across threads
    and processes. WAL mode lets readers work while a refresh writes. The refresh lock is
    SQLite's write lock (`BEGIN IMMEDIATE`): it covers the whole file, so refreshes of
    different users queue behind each other, while token look-ups never wait. A user's tokens
    are refreshed at most every few hours, so the queue stays short; past that, use PostgreSQL,
    whose lock is per user.

    The file is created readable by its owner only. `key=` (default: `MAL_TOKEN_KEY`) seals
    the token columns; `lock_timeout` bounds every wait for the write lock.
    """

    dialect = "sqlite"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        key: str | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        pool_size: int = 16,
        migrations: Sequence[_schema.Migration] = _schema.MIGRATIONS,
    ) -> None:
        self.path = _path(path)
        super().__init__(str(self.path), key)
        self.lock_timeout = lock_timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            # Tokens open MAL accounts: owner-only from the first byte (the -wal and -shm files
            # SQLite adds take the same permissions).
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        # Threads of one process opening the same new file take turns: switching it to WAL and
        # creating the tables race otherwise ("locked" at once, which no busy timeout waits out).
        with _opening(self.path):
            self._start(migrations, pool_size)

    def _start(self, migrations: Sequence[_schema.Migration], pool_size: int) -> None:
        self._connections: Pool[sqlite3.Connection] = Pool(
            self._connect,
            lambda conn: conn.close(),
            lambda conn: not conn.in_transaction,
            pool_size,
            self.lock_timeout,
            self.location,
        )
        try:
            self._open(migrations)
        except BaseException:
            self._connections.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        with self._errors():
            # isolation_level=None: no implicit transactions, each BEGIN is ours. The timeout
            # is SQLite's busy handler: how long a statement waits for the write lock.
            conn = sqlite3.connect(
                self.path,
                timeout=self.lock_timeout,
                isolation_level=None,
                check_same_thread=False,  # the pool hands a connection to one thread at a time
            )
            try:
                self._set_wal(conn)
                # FULL (the default) is kept: a refreshed token lost to a power cut would have
                # to be refreshed again with a spent refresh token.
                conn.execute("PRAGMA synchronous=FULL")
            except BaseException:
                conn.close()
                raise
        return conn

    def _set_wal(self, conn: sqlite3.Connection) -> None:
        """Switch a (possibly new) database to WAL, waiting out other connections.

        Switching needs the file to itself. When another connection of a new database holds
        the write lock while this one holds a read lock, SQLite answers "locked" at once
        instead of waiting (it would deadlock), so the busy timeout does not help: retry.
        """
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _pool(self) -> Pool[sqlite3.Connection]:
        return self._connections

    def _execute(self, conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return conn.execute(sql, tuple(params))

    def _begin(self, conn: sqlite3.Connection, exclusive_schema: bool) -> None:
        # IMMEDIATE takes the write lock now, so whoever re-reads inside it reads the latest
        # committed tokens and nobody else can save until we commit.
        conn.execute("BEGIN IMMEDIATE")

    def _end(self, conn: sqlite3.Connection, commit: bool) -> None:
        conn.execute("COMMIT" if commit else "ROLLBACK")

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                raise TokenStoreError(
                    f"The token database {self.location} stayed locked by another writer for "
                    f"{self.lock_timeout:g} s (a refresh normally takes under a second): is a "
                    "process stuck while holding it?"
                ) from exc
            raise TokenStoreError(f"The token database {self.location} failed: {text}.") from exc
        except sqlite3.DatabaseError as exc:
            raise TokenStoreError(
                f"{self.location} is not a usable token database: {exc}."
            ) from exc
