"""The token database's tables and their migrations, one numbered step at a time.
Owns the SQL that shapes the database and the `malclient_schema_version` bookkeeping; runs
inside a transaction the store opened exclusively, so it never locks or commits by itself.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from malclient.stores._errors import TokenStoreError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "current_version", "migrate"]


class Executor(Protocol):
    """Runs one statement (`?` placeholders) in the store's open transaction."""

    def __call__(self, sql: str, params: Sequence[Any] = ()) -> Any: ...


@dataclass(frozen=True)
class Migration:
    """One step: `statements` for every dialect (`"sqlite"`, `"postgresql"`), or per dialect."""

    version: int
    description: str
    statements: tuple[str, ...] = ()
    by_dialect: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def sql(self, dialect: str) -> tuple[str, ...]:
        return self.statements + dict(self.by_dialect).get(dialect, ())


VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS malclient_schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at DOUBLE PRECISION NOT NULL
)"""

# The same text works in SQLite and PostgreSQL: SQLite reads BIGINT and DOUBLE PRECISION by
# affinity. Times are seconds since the epoch; a token's columns hold either the token or,
# with a key, its sealed form (`_crypto.py`).
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "token pairs keyed by (client id, MAL user id); store settings",
        statements=(
            """
            CREATE TABLE malclient_tokens (
                client_id TEXT NOT NULL,
                user_id BIGINT NOT NULL,
                user_name TEXT,
                token_type TEXT NOT NULL,
                access_token TEXT NOT NULL,
                refresh_token TEXT NOT NULL,
                expires_in BIGINT NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL,
                issued_at DOUBLE PRECISION,
                refresh_expires_at DOUBLE PRECISION,
                updated_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (client_id, user_id)
            )""",
            "CREATE INDEX malclient_tokens_by_name ON malclient_tokens (client_id, user_name)",
            """
            CREATE TABLE malclient_settings (
                name TEXT PRIMARY KEY,
                value TEXT NOT NULL
            )""",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def current_version(execute: Executor) -> int:
    """The newest step applied (0 for an empty database); the table must exist."""
    row = execute("SELECT MAX(version) FROM malclient_schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(
    execute: Executor,
    dialect: str,
    where: str,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> int:
    """Apply the steps the database lacks, in order; return the version it ends at.

    A database written by a newer malclient is refused rather than guessed at.
    """
    execute(VERSION_TABLE)
    version = current_version(execute)
    newest = migrations[-1].version if migrations else 0
    if version > newest:
        raise TokenStoreError(
            f"The token database {where} has schema version {version}, made by a newer "
            f"malclient than this one (which knows up to {newest}): upgrade malclient in every "
            "program that uses it."
        )
    for step in migrations:
        if step.version <= version:
            continue
        for statement in step.sql(dialect):
            execute(statement)
        execute(
            "INSERT INTO malclient_schema_version (version, description, applied_at) "
            "VALUES (?, ?, ?)",
            (step.version, step.description, time.time()),
        )
        version = step.version
    return version
