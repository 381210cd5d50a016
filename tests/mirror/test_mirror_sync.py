"""Syncing bob's 10,500-entry list through the client over loopback: a first sync copies it
exactly, re-syncs ask only for what changed, and only a full pass removes entries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mirror_support import (
    AnimeMirror,
    after_list_pages,
    list_requests,
    public_client,
    reset_stats,
    sandbox_list,
    user_client,
)

from malclient.mirror import ListMirror
from malclient.sandbox import SandboxConfig
from malclient.sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(auto_approve="bob")) as running:
        yield running


@pytest.fixture
def mirror(server: SandboxServer, tmp_path: Path) -> Iterator[AnimeMirror]:
    """bob's list, mirrored once already."""
    with public_client(server.url) as client, ListMirror(tmp_path / "m.db", client, "bob") as m:
        m.sync()
        yield m


def mirrored(mirror: AnimeMirror) -> dict[int, str]:
    return {e.node.id: str(e.list_status.status) for e in mirror if e.list_status is not None}


def test_first_sync_copies_the_whole_list_exactly(server: SandboxServer, tmp_path: Path) -> None:
    reset_stats(server.url)
    with public_client(server.url) as client, ListMirror(tmp_path / "m.db", client, "bob") as m:
        result = m.sync()
        ids = [entry.node.id for entry in m]
        assert mirrored(m) == sandbox_list(server, "bob")
    assert len(ids) == len(set(ids)) == 10_500
    assert result.full
    assert result.added == 10_500
    assert result.entries == 10_500
    # 1,000 a page, each page starting on the previous page's last entry (the overlap check).
    assert result.requests == list_requests(server.url) == 11


def test_resync_of_an_unchanged_list_costs_one_request(
    server: SandboxServer, mirror: AnimeMirror
) -> None:
    before = list(mirror)
    reset_stats(server.url)
    result = mirror.sync()
    assert list_requests(server.url) == result.requests == 1
    assert (result.full, result.added, result.changed, result.removed) == (False, 0, 0, 0)
    assert list(mirror) == before


def test_resync_picks_up_exactly_the_entries_changed_on_mal(
    server: SandboxServer, mirror: AnimeMirror
) -> None:
    changed = [entry.node.id for entry in mirror.entries(sort="anime_id", limit=3)]
    with user_client(server.url) as bob:
        for anime_id in changed:
            bob.animelist.update(anime_id, status="dropped", comments="changed on MAL")
    reset_stats(server.url)
    result = mirror.sync()
    assert list_requests(server.url) == 1
    assert (result.added, result.changed, result.removed) == (0, 3, 0)
    for anime_id in changed:
        entry = mirror.get(anime_id)
        assert entry is not None
        assert entry.list_status is not None
        assert entry.list_status.status == "dropped"
        assert entry.list_status.comments == "changed on MAL"
    assert mirrored(mirror) == sandbox_list(server, "bob")


def test_a_title_added_on_mal_arrives_with_the_next_sync(
    server: SandboxServer, mirror: AnimeMirror
) -> None:
    catalogue = server.app.sandbox.catalogue
    new_id = next(
        anime_id
        for anime_id, record in catalogue.anime.items()
        if anime_id not in sandbox_list(server, "bob") and record.get("_approved", True)
    )
    with user_client(server.url) as bob:
        bob.animelist.update(new_id, status="plan_to_watch")
    result = mirror.sync()
    assert (result.requests, result.added, result.changed) == (1, 1, 0)
    entry = mirror.get(new_id)
    assert entry is not None
    assert entry.node.title == catalogue.anime[new_id]["title"]


def test_deleted_entries_leave_the_mirror_only_with_a_full_pass(
    server: SandboxServer, mirror: AnimeMirror
) -> None:
    gone = [entry.node.id for entry in mirror.entries(sort="anime_id", offset=100, limit=2)]
    with user_client(server.url) as bob:
        for anime_id in gone:
            assert bob.animelist.delete(anime_id)
    assert mirror.sync().removed == 0
    assert all(anime_id in mirror for anime_id in gone)

    result = mirror.full_sync()
    assert result.full
    assert result.removed == 2
    assert not any(anime_id in mirror for anime_id in gone)
    assert mirrored(mirror) == sandbox_list(server, "bob")
    assert mirror.state is not None
    assert mirror.state.last_full_sync is not None


def test_a_write_applied_to_the_mirror_shows_at_once_and_the_next_sync_agrees(
    server: SandboxServer, mirror: AnimeMirror
) -> None:
    entry = next(mirror.entries(status="watching"))
    with user_client(server.url) as bob:
        answer = bob.animelist.update(entry.node.id, score=7, tags=["mirrored"])
    mirror.apply(entry.node.id, answer)
    shown = mirror.get(entry.node.id)
    assert shown is not None
    assert shown.list_status is not None
    assert (shown.list_status.score, shown.list_status.tags) == (7, ["mirrored"])
    assert shown.node == entry.node

    result = mirror.sync()
    assert (result.requests, result.added, result.changed) == (1, 0, 0)
    assert mirror.get(entry.node.id) == shown


def test_a_forgotten_entry_stays_gone_after_a_sync(
    server: SandboxServer, mirror: AnimeMirror
) -> None:
    entry = next(mirror.entries(status="dropped"))
    with user_client(server.url) as bob:
        bob.animelist.delete(entry.node.id)
    assert mirror.forget(entry.node.id)
    mirror.sync()
    assert mirror.get(entry.node.id) is None
    assert not mirror.forget(entry.node.id)


def test_a_full_pass_starts_over_when_an_entry_is_deleted_between_its_pages(
    server: SandboxServer, tmp_path: Path
) -> None:
    with public_client(server.url) as reader:
        newest = reader.animelist.list("bob", sort="list_updated_at", limit=1).data[0].node.id
    bob = user_client(server.url)
    # Deleting an entry of page one shifts every later entry back by one: without a check the
    # entry at the page boundary would be skipped and wrongly removed from the mirror.
    http = after_list_pages(1, lambda: bob.animelist.delete(newest))
    with (
        bob,
        public_client(server.url, http=http) as client,
        ListMirror(tmp_path / "m.db", client, "bob") as m,
    ):
        result = m.sync()
        assert mirrored(m) == sandbox_list(server, "bob")
        assert newest not in m
    http.close()
    # Two requests found the shift (page two did not start where page one ended), then 11.
    assert result.requests == 2 + 11
