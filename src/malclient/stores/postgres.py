"""The server token store: PostgreSQL through psycopg 3, for apps whose workers span machines.
Owns PostgreSQL connections, the per-user row lock (`SELECT ... FOR UPDATE`), the schema lock
and PostgreSQL's error messages; rows, sealing and the public methods live in `_sql.py`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from malclient.stores import _schema
from malclient.stores._errors import TokenStoreError, redact
from malclient.stores._sql import Cursor, Pool, SQLTokenStore

if TYPE_CHECKING:
    import psycopg

__all__ = ["DEFAULT_LOCK_TIMEOUT", "PostgresTokenStore"]

# How long a refresh waits for another process refreshing the same user (see sqlite.py).
DEFAULT_LOCK_TIMEOUT = 60.0
# A session that holds a user's lock and then stops talking (a hung worker) is ended by the
# server after this long, so that user's refreshes do not wait forever. Far above a refresh.
IDLE_IN_LOCK_TIMEOUT = 120.0
# Any constant: the key of the transaction-scoped advisory lock that serialises migrations.
_SCHEMA_LOCK = 7_346_012_251


class PostgresTokenStore(SQLTokenStore["psycopg.Connection[Any]"]):
    """Tokens of many users in PostgreSQL (`postgresql://user:password@host/db`).

    For apps that outgrow one machine or one SQLite file. The refresh lock is a row lock
    (`SELECT ... FOR UPDATE` in a transaction held for the duration of `lock()`), so different
    users refresh in parallel; a worker that dies holding it loses its connection, and the
    server rolls back and releases the lock at once. Tables are created or migrated on first
    use (`malclient_schema_version`), under an advisory lock so that workers starting together
    do it once.

    `key=` (default: `MAL_TOKEN_KEY`) seals the token columns. `pool_size` connections at most
    are opened per store object; `lock_timeout` bounds every wait for a user's lock.
    """

    dialect = "postgresql"
    select_all_locked = "SELECT client_id, user_id, user_name FROM malclient_tokens FOR UPDATE"

    def __init__(
        self,
        url: str,
        *,
        key: str | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        pool_size: int = 10,
        connect_timeout: float = 10.0,
        migrations: Sequence[_schema.Migration] = _schema.MIGRATIONS,
    ) -> None:
        try:
            import psycopg
        except ImportError:  # pragma: no cover - depends on the installed extras
            raise TokenStoreError(
                "The PostgreSQL token store needs psycopg: pip install 'malclient[postgres]'."
            ) from None
        scheme = urlsplit(url).scheme
        if scheme not in {"postgresql", "postgres"}:
            raise ValueError(f"A PostgreSQL URL starts with postgresql://, not {scheme}://.")
        super().__init__(redact(url), key)
        self._psycopg = psycopg
        self._url = url  # never shown: it may hold a password
        self.lock_timeout = lock_timeout
        self.connect_timeout = connect_timeout
        self._connections: Pool[psycopg.Connection[Any]] = Pool(
            self._connect,
            lambda conn: conn.close(),
            self._reusable,
            pool_size,
            lock_timeout,
            self.location,
        )
        try:
            self._open(migrations)
        except BaseException:
            self._connections.close()
            raise

    def _connect(self) -> psycopg.Connection[Any]:
        with self._errors():
            return self._psycopg.connect(
                self._url,
                autocommit=True,  # each BEGIN is ours; reads outside a lock take no locks
                connect_timeout=max(1, round(self.connect_timeout)),
                application_name="malclient",
            )

    def _reusable(self, conn: psycopg.Connection[Any]) -> bool:
        from psycopg.pq import TransactionStatus

        return (
            not conn.closed
            and not conn.broken
            and conn.info.transaction_status == TransactionStatus.IDLE
        )

    def _pool(self) -> Pool[psycopg.Connection[Any]]:
        return self._connections

    def _execute(
        self, conn: psycopg.Connection[Any], sql: str, params: Sequence[Any] = ()
    ) -> Cursor:
        # One SQL text for both stores: `?` placeholders (no statement here contains a `?`).
        return conn.execute(sql.replace("?", "%s"), tuple(params))

    def _begin(self, conn: psycopg.Connection[Any], exclusive_schema: bool) -> None:
        conn.execute("BEGIN")
        # SET LOCAL, for this transaction only (set_config takes parameters, SET does not).
        conn.execute(
            "SELECT set_config('lock_timeout', %s, true),"
            " set_config('idle_in_transaction_session_timeout', %s, true)",
            (f"{int(self.lock_timeout * 1000)}ms", f"{int(IDLE_IN_LOCK_TIMEOUT * 1000)}ms"),
        )
        if exclusive_schema:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))

    def _lock_row(self, conn: psycopg.Connection[Any], client_id: str, user_id: int) -> None:
        # Waits while another transaction holds this user's row; a user with no row yet has
        # nothing to refresh, and their first save is a plain insert.
        conn.execute(
            "SELECT 1 FROM malclient_tokens WHERE client_id = %s AND user_id = %s FOR UPDATE",
            (client_id, user_id),
        )

    def _end(self, conn: psycopg.Connection[Any], commit: bool) -> None:
        conn.execute("COMMIT" if commit else "ROLLBACK")

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        errors = self._psycopg.errors
        try:
            yield
        except errors.LockNotAvailable as exc:
            raise TokenStoreError(
                f"A user's tokens in {self.location} stayed locked by another process for "
                f"{self.lock_timeout:g} s (a refresh normally takes under a second): is a "
                "worker stuck while holding it?"
            ) from exc
        except self._psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise TokenStoreError(
                f"Cannot use the token database {self.location}: {reason}."
            ) from exc
        except self._psycopg.Error as exc:
            raise TokenStoreError(f"The token database {self.location} failed: {exc}.") from exc
