"""What the SQLite and PostgreSQL token stores share: rows <-> tokens, sealing, the per-user
views `TokenManager` uses, the lock discipline, async access and a small connection pool.
Backends supply connections, transactions and error messages; nothing here knows a driver.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

import anyio.to_thread

from malclient.auth import Token
from malclient.stores import _schema
from malclient.stores._crypto import KEY_ENV, TokenCipher, is_sealed
from malclient.stores._errors import TokenKeyError, TokenStoreError

__all__ = ["SQLTokenStore", "StoredUser", "UserTokens"]

_SELECT = (
    "SELECT token_type, access_token, refresh_token, expires_in, expires_at, issued_at,"
    " refresh_expires_at FROM malclient_tokens WHERE client_id = ? AND user_id = ?"
)
_UPSERT = (
    "INSERT INTO malclient_tokens (client_id, user_id, user_name, token_type, access_token,"
    " refresh_token, expires_in, expires_at, issued_at, refresh_expires_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (client_id, user_id) DO UPDATE SET"
    " user_name = COALESCE(excluded.user_name, malclient_tokens.user_name),"
    " token_type = excluded.token_type, access_token = excluded.access_token,"
    " refresh_token = excluded.refresh_token, expires_in = excluded.expires_in,"
    " expires_at = excluded.expires_at, issued_at = excluded.issued_at,"
    " refresh_expires_at = excluded.refresh_expires_at, updated_at = excluded.updated_at"
)
_ENCRYPTION_SETTING = "encryption"
_ENCRYPTION_SCHEME = "aes-256-gcm"


class Cursor(Protocol):
    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    @property
    def rowcount(self) -> int: ...


C = TypeVar("C")


@dataclass(frozen=True)
class StoredUser:
    """A signed-in user as the store knows them: who, and when their tokens expire. No secrets."""

    client_id: str
    user_id: int
    user_name: str | None
    expires_at: float
    refresh_expires_at: float | None
    updated_at: float


class Pool(Generic[C]):
    """Up to `size` open connections, each used by one thread at a time.

    After a fork the child never touches the parent's connections (closing a PostgreSQL
    connection there would end the parent's session): it keeps them unused and opens its own.
    """

    def __init__(
        self,
        connect: Callable[[], C],
        close: Callable[[C], None],
        reusable: Callable[[C], bool],
        size: int,
        wait: float,
        where: str,
    ) -> None:
        if size < 1:
            raise ValueError("a connection pool needs room for at least one connection")
        self._connect = connect
        self._close = close
        self._reusable = reusable
        self._size = size
        self._wait = wait
        self._where = where
        self._cond = threading.Condition()
        self._idle: list[C] = []
        self._open = 0
        self._pid = os.getpid()
        self._inherited: list[C] = []
        self._closed = False

    def _after_fork(self) -> None:
        if os.getpid() != self._pid:
            self._inherited.extend(self._idle)
            self._idle = []
            self._open = 0
            self._pid = os.getpid()

    def _take(self) -> C:
        deadline = time.monotonic() + self._wait
        with self._cond:
            self._after_fork()
            while True:
                if self._closed:
                    raise TokenStoreError(f"The token store {self._where} is closed.")
                if self._idle:
                    return self._idle.pop()
                if self._open < self._size:
                    self._open += 1
                    break
                left = deadline - time.monotonic()
                if left <= 0 or not self._cond.wait(left):
                    raise TokenStoreError(
                        f"All {self._size} connections to the token store {self._where} stayed "
                        f"busy for {self._wait:g} s: raise `pool_size`, or look for requests "
                        "that hold a user's lock for long."
                    )
        try:
            return self._connect()
        except BaseException:
            with self._cond:
                self._open -= 1
                self._cond.notify()
            raise

    def _give(self, conn: C) -> None:
        keep = self._reusable(conn)
        with self._cond:
            if keep and not self._closed and os.getpid() == self._pid:
                self._idle.append(conn)
                self._cond.notify()
                return
            if os.getpid() == self._pid:
                self._open -= 1
                self._cond.notify()
        with contextlib.suppress(Exception):
            self._close(conn)

    @contextlib.contextmanager
    def connection(self) -> Iterator[C]:
        conn = self._take()
        try:
            yield conn
        finally:
            self._give(conn)

    def close(self) -> None:
        with self._cond:
            self._after_fork()
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for conn in idle:
            with contextlib.suppress(Exception):
                self._close(conn)


class _Held(threading.local):
    """The transaction this thread holds on a store, so calls made inside `lock()` join it."""

    conn: Any = None


class SQLTokenStore(Generic[C]):
    """Tokens of many users of one or more apps, keyed by (client id, MAL user id).

    `for_user()` gives the `TokenStore` a `TokenManager` needs; `put`/`get`/`delete`/`users`
    manage the table (and `aput`/`aget`/`adelete`/`ausers` from async code). With a key
    (`key=` or `MAL_TOKEN_KEY`) the token columns are sealed with AES-256-GCM.

    Async methods run the blocking call in a worker thread: `TokenManager` refreshes there
    anyway (it holds the user's lock across MAL's answer), so both worlds share one code path,
    one pool and one lock discipline. The hop costs about 0.1 ms (bench/stores.py), next to the
    MAL request of 100 ms or more that a look-up precedes. `lock()` is for sync code (that
    thread): its transaction belongs to the thread that took it.
    """

    dialect: ClassVar[str]
    # Every row's key, read so that no row changes until commit (`reencrypt`). SQLite needs no
    # row locks: its write transaction already excludes every other writer.
    select_all_locked: ClassVar[str] = "SELECT client_id, user_id, user_name FROM malclient_tokens"

    def __init__(self, location: str, key: str | None) -> None:
        self.location = location
        self._held = _Held()
        text = os.environ.get(KEY_ENV, "") if key is None else key
        self._cipher = TokenCipher.from_text(text) if text.strip() else None

    # Backends ------------------------------------------------------------------------------

    def _pool(self) -> Pool[C]:
        raise NotImplementedError

    def _execute(self, conn: C, sql: str, params: Sequence[Any] = ()) -> Cursor:
        raise NotImplementedError

    def _begin(self, conn: C, exclusive_schema: bool) -> None:
        """Open a write transaction that excludes other writers of the same tokens."""
        raise NotImplementedError

    def _lock_row(self, conn: C, client_id: str, user_id: int) -> None:
        """Within `_begin`'s transaction, wait for and take the user's own lock, if any."""

    def _end(self, conn: C, commit: bool) -> None:
        raise NotImplementedError

    def _errors(self) -> AbstractContextManager[None]:
        """Turns the driver's exceptions into `TokenStoreError`s with a readable message."""
        raise NotImplementedError

    # Opening -------------------------------------------------------------------------------

    def _open(self, migrations: Sequence[_schema.Migration]) -> None:
        """Create or migrate the tables, then check that the key fits the database."""
        with self._errors():
            newest = migrations[-1].version if migrations else 0
            if self._version() != newest:
                with self._transaction(None, exclusive_schema=True) as conn:
                    _schema.migrate(
                        functools.partial(self._execute, conn),
                        self.dialect,
                        self.location,
                        migrations,
                    )
            self._check_encryption()

    def _version(self) -> int | None:
        """The schema version, or None when the tables do not exist yet (fast path at open)."""
        with self._connection() as conn:
            try:
                return _schema.current_version(functools.partial(self._execute, conn))
            except Exception:  # no table yet (or no database): the exclusive path tells
                return None

    def _check_encryption(self) -> None:
        with self._connection() as conn:
            row = self._execute(
                conn, "SELECT value FROM malclient_settings WHERE name = ?", (_ENCRYPTION_SETTING,)
            ).fetchone()
        if row is None and self._cipher is not None:
            # From now on this database refuses to run without a key: an app deployed without
            # MAL_TOKEN_KEY must not quietly write tokens in the clear.
            with self._transaction(None) as conn:
                self._execute(
                    conn,
                    "INSERT INTO malclient_settings (name, value) VALUES (?, ?) "
                    "ON CONFLICT (name) DO NOTHING",
                    (_ENCRYPTION_SETTING, _ENCRYPTION_SCHEME),
                )
        elif row is not None and self._cipher is None:
            raise TokenKeyError(
                f"The token database {self.location} keeps tokens encrypted, and no key was "
                f"given: set {KEY_ENV} (or pass key=) to the key its tokens were saved with."
            )

    # Connections and transactions ----------------------------------------------------------

    @contextlib.contextmanager
    def _connection(self) -> Iterator[C]:
        held = self._held.conn
        if held is not None:
            yield held
            return
        with self._pool().connection() as conn:
            yield conn

    @contextlib.contextmanager
    def _transaction(
        self, user: tuple[str, int] | None, *, exclusive_schema: bool = False
    ) -> Iterator[C]:
        held = self._held.conn
        if held is not None:  # re-entered: one transaction, one commit at the outermost exit
            if user is not None:
                self._lock_row(held, *user)
            yield held
            return
        with self._pool().connection() as conn:
            self._begin(conn, exclusive_schema)
            self._held.conn = conn
            try:
                if user is not None:
                    self._lock_row(conn, *user)
                yield conn
            except BaseException:
                self._held.conn = None
                with contextlib.suppress(Exception):  # the first error is the one to report
                    self._end(conn, commit=False)
                raise
            self._held.conn = None
            self._end(conn, commit=True)

    # Rows ----------------------------------------------------------------------------------

    def _where(self, client_id: str, user_id: int) -> str:
        return f"user {user_id} of client {client_id} in {self.location}"

    def _seal(self, value: str, client_id: str, user_id: int, column: str) -> str:
        if self._cipher is None:
            return value
        return self._cipher.seal(value, f"{client_id}\x1f{user_id}\x1f{column}")

    def _unseal(self, value: str, client_id: str, user_id: int, column: str) -> str:
        if not is_sealed(value):
            return value  # saved before a key was set; sealed on the next save
        if self._cipher is None:
            raise TokenKeyError(
                f"The tokens of {self._where(client_id, user_id)} are encrypted, and no key "
                f"was given: set {KEY_ENV} to the key they were saved with."
            )
        return self._cipher.open(
            value, f"{client_id}\x1f{user_id}\x1f{column}", self._where(client_id, user_id)
        )

    def _token(self, client_id: str, user_id: int, row: Sequence[Any]) -> Token:
        token_type, access, refresh, expires_in, expires_at, issued_at, refresh_expires_at = row
        return Token(
            access_token=self._unseal(access, client_id, user_id, "access_token"),
            refresh_token=self._unseal(refresh, client_id, user_id, "refresh_token"),
            expires_in=int(expires_in),
            expires_at=float(expires_at),
            token_type=token_type,
            issued_at=None if issued_at is None else float(issued_at),
            refresh_expires_at=None if refresh_expires_at is None else float(refresh_expires_at),
            client_id=client_id,
        )

    def _read(self, conn: C, client_id: str, user_id: int) -> Token | None:
        row = self._execute(conn, _SELECT, (client_id, user_id)).fetchone()
        return None if row is None else self._token(client_id, user_id, row)

    def _write(
        self, conn: C, client_id: str, user_id: int, token: Token, user_name: str | None
    ) -> None:
        self._execute(
            conn,
            _UPSERT,
            (
                client_id,
                user_id,
                user_name,
                token.token_type,
                self._seal(token.access_token, client_id, user_id, "access_token"),
                self._seal(token.refresh_token, client_id, user_id, "refresh_token"),
                token.expires_in,
                token.expires_at,
                token.issued_at,
                token.refresh_expires_at,
                time.time(),
            ),
        )

    @staticmethod
    def _key(token: Token, client_id: str | None, user_id: int | None) -> tuple[str, int]:
        """The row a token belongs to; refuses a token whose own claims name someone else."""
        claims = token.claims
        client = client_id or token.client_id or (claims.client_id if claims else None)
        user = user_id if user_id is not None else (claims.user_id if claims else None)
        if not client or user is None:
            raise ValueError(
                "Cannot tell whose token this is: pass client_id= and user_id= (MAL's access "
                "tokens name both, but this one does not)."
            )
        if claims is not None and claims.user_id is not None and claims.user_id != user:
            raise ValueError(
                f"This access token belongs to MAL user {claims.user_id}, not {user}: refusing "
                "to save it under the wrong user."
            )
        if token.client_id is not None and token.client_id != client:
            raise ValueError(
                f"This token was issued to client {token.client_id}, not {client}: refusing to "
                "save it under the wrong app."
            )
        return client, int(user)

    # The public API (sync) -----------------------------------------------------------------

    def for_user(self, client_id: str, user_id: int) -> UserTokens:
        """The `TokenStore` of one user, for `TokenManager(app, store.for_user(...))`."""
        return UserTokens(self, client_id, int(user_id))

    def get(self, client_id: str, user_id: int) -> Token | None:
        """The user's saved tokens, or None when they never signed in (or were deleted)."""
        with self._errors(), self._connection() as conn:
            return self._read(conn, client_id, int(user_id))

    def put(
        self,
        token: Token,
        *,
        client_id: str | None = None,
        user_id: int | None = None,
        user_name: str | None = None,
    ) -> UserTokens:
        """Save a user's tokens (after a sign-in) and return their `TokenStore`.

        The client id and user id default to what the token says (MAL's access tokens are
        JWTs naming both); a token whose claims name another user is refused.
        """
        client, user = self._key(token, client_id, user_id)
        # One statement is atomic on its own, and waits for a refresh holding the user's lock;
        # inside `lock()` it joins the lock's transaction.
        with self._errors(), self._connection() as conn:
            self._write(conn, client, user, token, user_name)
        return UserTokens(self, client, user)

    def delete(self, client_id: str, user_id: int) -> bool:
        """Forget a user's tokens (they signed out, or removed the app); False if none."""
        with self._errors(), self._connection() as conn:
            deleted = self._execute(
                conn,
                "DELETE FROM malclient_tokens WHERE client_id = ? AND user_id = ?",
                (client_id, int(user_id)),
            ).rowcount
        return bool(deleted)

    def users(self, client_id: str | None = None) -> list[StoredUser]:
        """Everyone with saved tokens (of one app, or all), by client id then user id."""
        sql = (
            "SELECT client_id, user_id, user_name, expires_at, refresh_expires_at, updated_at "
            "FROM malclient_tokens"
        )
        params: tuple[Any, ...] = ()
        if client_id is not None:
            sql += " WHERE client_id = ?"
            params = (client_id,)
        with self._errors(), self._connection() as conn:
            rows = self._execute(conn, sql + " ORDER BY client_id, user_id", params).fetchall()
        return [
            StoredUser(
                client_id=row[0],
                user_id=int(row[1]),
                user_name=row[2],
                expires_at=float(row[3]),
                refresh_expires_at=None if row[4] is None else float(row[4]),
                updated_at=float(row[5]),
            )
            for row in rows
        ]

    def lock(self, client_id: str, user_id: int) -> AbstractContextManager[object]:
        """Exclude every other writer of this user's tokens (threads and processes) until exit.

        `get`/`put` called inside, from the same thread, use the lock's own transaction;
        everything is committed at the end, or rolled back if the block raises.
        """
        return self._locked(client_id, int(user_id))

    @contextlib.contextmanager
    def _locked(self, client_id: str, user_id: int) -> Iterator[object]:
        with self._errors(), self._transaction((client_id, user_id)):
            yield self

    def reencrypt(self) -> int:
        """Seal every row with the current key (the first in `MAL_TOKEN_KEY`); return a count.

        For a key rotation, or a database that kept tokens in the clear before a key was set.
        Runs in one transaction: on any error nothing changes.
        """
        if self._cipher is None:
            raise TokenKeyError(f"Set {KEY_ENV} (or pass key=) to re-encrypt the tokens.")
        with self._errors(), self._transaction(None) as conn:
            # Locked as read, so a refresh cannot commit between reading a row and rewriting it.
            keys = self._execute(conn, self.select_all_locked).fetchall()
            for client_id, user_id, user_name in keys:
                token = self._read(conn, client_id, int(user_id))
                assert token is not None
                self._write(conn, client_id, int(user_id), token, user_name)
        return len(keys)

    # Async: the same calls in a worker thread ----------------------------------------------

    async def aget(self, client_id: str, user_id: int) -> Token | None:
        return await anyio.to_thread.run_sync(self.get, client_id, user_id)

    async def aput(
        self,
        token: Token,
        *,
        client_id: str | None = None,
        user_id: int | None = None,
        user_name: str | None = None,
    ) -> UserTokens:
        call = functools.partial(
            self.put, token, client_id=client_id, user_id=user_id, user_name=user_name
        )
        return await anyio.to_thread.run_sync(call)

    async def adelete(self, client_id: str, user_id: int) -> bool:
        return await anyio.to_thread.run_sync(self.delete, client_id, user_id)

    async def ausers(self, client_id: str | None = None) -> list[StoredUser]:
        return await anyio.to_thread.run_sync(self.users, client_id)

    # Lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the idle connections; calls after this raise `TokenStoreError`."""
        self._pool().close()

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
        encrypted = "encrypted" if self._cipher is not None else "not encrypted"
        return f"{type(self).__name__}({self.location!r}, {encrypted})"


class UserTokens:
    """One user's tokens in a multi-user store: the `TokenStore` a `TokenManager` uses.

    `lock()` is the store's per-user lock (a row lock in PostgreSQL, the write lock in
    SQLite); `load`/`save` inside it run in its transaction, so a refresh is saved exactly
    when the lock is released.
    """

    def __init__(self, store: SQLTokenStore[Any], client_id: str, user_id: int) -> None:
        self.store = store
        self.client_id = client_id
        self.user_id = user_id

    @property
    def location(self) -> str:
        return self.store._where(self.client_id, self.user_id)

    def load(self) -> Token | None:
        return self.store.get(self.client_id, self.user_id)

    def save(self, token: Token) -> None:
        self.store.put(token, client_id=self.client_id, user_id=self.user_id)

    def lock(self) -> AbstractContextManager[object]:
        return self.store.lock(self.client_id, self.user_id)

    def __repr__(self) -> str:
        return (
            f"UserTokens(store={self.store!r}, client_id={self.client_id!r}, "
            f"user_id={self.user_id!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UserTokens):
            return NotImplemented
        return (self.store, self.client_id, self.user_id) == (
            other.store,
            other.client_id,
            other.user_id,
        )

    def __hash__(self) -> int:
        return hash((id(self.store), self.client_id, self.user_id))
