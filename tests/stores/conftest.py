"""Real servers for the store tests: one PostgreSQL and one Redis per test session, each test
in a database of its own; the store suite runs once on SQLite and once on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import MissingServer, PostgresServer, RedisServer

from malclient.stores import SQLTokenStore, open_token_store


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer()
    except MissingServer as exc:
        pytest.fail(str(exc), pytrace=False)
    with server:
        yield server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    try:
        server = RedisServer()
    except MissingServer as exc:
        pytest.fail(str(exc), pytrace=False)
    with server:
        yield server


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> Iterator[str]:
    url = postgres.create_database()
    yield url
    postgres.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh, empty token database lives: a SQLite file or a new PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "tokens.sqlite3")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def open_store(store_url: str) -> Iterator[Callable[..., SQLTokenStore[Any]]]:
    """Opens stores on `store_url` (with the given options) and closes them after the test."""
    opened: list[SQLTokenStore[Any]] = []

    def opener(**options: Any) -> SQLTokenStore[Any]:
        store = open_token_store(store_url, **options)
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()
