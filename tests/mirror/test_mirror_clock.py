"""MAL stamps entries to the second. With the sandbox clock frozen, every write lands in the
same second: a sync must still see writes made in the second it last synced, and an unchanged
list must still cost one request when many entries share that second."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mirror_support import AnimeMirror, list_requests, public_client, reset_stats, user_client

from malclient.client import Client
from malclient.mirror import ListMirror
from malclient.sandbox import SandboxConfig
from malclient.sandbox.server import SandboxServer

# After every date in the sandbox's catalogue, so each write becomes the list's newest entry.
FROZEN = datetime(2027, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    config = SandboxConfig(auto_approve="bob", clock_start=FROZEN)
    with SandboxServer(config) as running:
        yield running


@pytest.fixture(scope="module")
def bob(server: SandboxServer) -> Iterator[Client]:
    with user_client(server.url) as client:
        yield client


@pytest.fixture
def mirror(server: SandboxServer, tmp_path: Path) -> Iterator[AnimeMirror]:
    with public_client(server.url) as client, ListMirror(tmp_path / "m.db", client, "bob") as m:
        m.sync()
        yield m


def test_writes_in_the_same_second_as_the_last_sync_are_not_missed(
    server: SandboxServer, bob: Client, mirror: AnimeMirror
) -> None:
    first, second = (entry.node.id for entry in mirror.entries(sort="anime_id", limit=2))
    bob.animelist.update(first, score=3)
    assert mirror.sync().changed == 1
    assert mirror.state is not None
    assert mirror.state.newest_updated_at == FROZEN

    # Still the same second on MAL's clock: both entries now carry the sync's newest time.
    bob.animelist.update(second, score=4)
    bob.animelist.update(first, score=5)
    reset_stats(server.url)
    result = mirror.sync()
    assert (result.requests, result.changed) == (1, 2)
    scores = {}
    for anime_id in (first, second):
        entry = mirror.get(anime_id)
        assert entry is not None
        assert entry.list_status is not None
        scores[anime_id] = entry.list_status.score
    assert scores == {first: 5, second: 4}


def test_an_unchanged_list_costs_one_request_when_many_entries_share_the_newest_second(
    server: SandboxServer, bob: Client, mirror: AnimeMirror
) -> None:
    # 150 writes in one second, as a bulk edit or an import makes: more than a small page holds.
    for entry in mirror.entries(sort="anime_id", offset=10, limit=150):
        bob.animelist.update(entry.node.id, priority=2)
    assert mirror.sync().changed == 150
    assert mirror.state is not None
    assert mirror.state.ties >= 150

    reset_stats(server.url)
    result = mirror.sync()
    assert list_requests(server.url) == result.requests == 1
    assert result.changed == 0
