"""The library creates and migrates its own tables (`malclient_schema_version`), once, even when
many workers open a new database together; a newer database is refused, never guessed at."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from stores_support import CLIENT_ID, make_token

from malclient.stores import SQLTokenStore, TokenStoreError
from malclient.stores._schema import MIGRATIONS, SCHEMA_VERSION, Migration

Opener = Callable[..., SQLTokenStore[Any]]


def versions(store: SQLTokenStore[Any]) -> list[int]:
    with store._connection() as conn:
        rows = store._execute(
            conn, "SELECT version FROM malclient_schema_version ORDER BY version"
        ).fetchall()
    return [int(row[0]) for row in rows]


def test_a_new_database_gets_every_step_once(open_store: Opener) -> None:
    store = open_store()
    assert versions(store) == [m.version for m in MIGRATIONS]
    assert versions(open_store()) == [m.version for m in MIGRATIONS]  # reopening changes nothing


def test_workers_opening_a_new_database_together_create_it_once(open_store: Opener) -> None:
    errors: list[BaseException] = []
    stores: list[SQLTokenStore[Any]] = []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        try:
            stores.append(open_store())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert versions(stores[0]) == [m.version for m in MIGRATIONS]


def test_a_later_step_migrates_a_database_in_place(open_store: Opener) -> None:
    token = make_token(1)
    open_store().put(token, user_name="alice")
    step = Migration(
        SCHEMA_VERSION + 1,
        "remember when each user last signed in",
        statements=("ALTER TABLE malclient_tokens ADD COLUMN signed_in_at DOUBLE PRECISION",),
    )
    upgraded = open_store(migrations=(*MIGRATIONS, step))
    assert versions(upgraded)[-1] == SCHEMA_VERSION + 1
    assert upgraded.get(CLIENT_ID, 1) == token
    with upgraded._connection() as conn:
        row = upgraded._execute(conn, "SELECT signed_in_at FROM malclient_tokens").fetchone()
    assert row[0] is None


def test_a_database_from_a_newer_malclient_is_refused(open_store: Opener) -> None:
    store = open_store()
    with store._transaction(None) as conn:
        store._execute(
            conn,
            "INSERT INTO malclient_schema_version (version, description, applied_at) "
            "VALUES (?, ?, ?)",
            (SCHEMA_VERSION + 5, "from the future", 0.0),
        )
    with pytest.raises(TokenStoreError, match="newer malclient"):
        open_store()
