"""Reading a mirror: the same entries, in the same orders, as MAL's own list endpoint gives
(SPEC 4.8), without a request; one file holds several lists and keeps them between runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest
from mirror_support import AnimeMirror, list_requests, public_client, reset_stats, sandbox_list

from malclient.client import Client
from malclient.fields import ANIME_LIST_EXPORT, MANGA_LIST_EXPORT
from malclient.mirror import ListMirror
from malclient.models import AnimeListSort, MangaListEntry, WatchStatus
from malclient.sandbox import SandboxConfig
from malclient.sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig()) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: SandboxServer) -> Iterator[Client]:
    with public_client(server.url) as running:
        yield running


@pytest.fixture(scope="module")
def alice(client: Client, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnimeMirror]:
    path = tmp_path_factory.mktemp("mirror") / "m.db"
    with ListMirror(path, client, "alice") as mirror:
        mirror.sync()
        yield mirror


@pytest.mark.parametrize("sort", [None, *get_args(AnimeListSort)])
@pytest.mark.parametrize("status", [None, "watching", "completed"])
def test_entries_come_in_mals_order(
    client: Client, alice: AnimeMirror, sort: AnimeListSort | None, status: WatchStatus | None
) -> None:
    on_mal = [e.node.id for e in client.animelist.list("alice", sort=sort, status=status)]
    assert [e.node.id for e in alice.entries(sort=sort, status=status)] == on_mal
    assert on_mal


def test_entries_hold_everything_the_export_fields_bring(
    client: Client, alice: AnimeMirror
) -> None:
    on_mal = list(client.animelist.list("alice", sort="anime_id", fields=ANIME_LIST_EXPORT))
    assert list(alice.entries(sort="anime_id")) == on_mal
    assert any(entry.list_status and entry.list_status.tags for entry in on_mal)


def test_reads_send_no_request(server: SandboxServer, alice: AnimeMirror) -> None:
    reset_stats(server.url)
    some = list(alice.entries(status="on_hold", sort="list_score", limit=5, offset=2))
    assert len(some) == 5
    assert alice.get(some[0].node.id) == some[0]
    assert alice.get(999_999_999) is None
    assert sum(alice.counts().values()) == len(alice) == len(sandbox_list(server, "alice"))
    assert list_requests(server.url) == 0


def test_counts_are_per_status_like_the_users_statistics(
    server: SandboxServer, alice: AnimeMirror
) -> None:
    expected = dict.fromkeys(get_args(WatchStatus), 0)
    for status in sandbox_list(server, "alice").values():
        expected[status] += 1
    assert alice.counts() == expected


def test_one_file_holds_several_lists_and_keeps_them_between_runs(
    server: SandboxServer, client: Client, tmp_path: Path
) -> None:
    path = tmp_path / "lists.db"
    with (
        ListMirror(path, client, "alice", "manga") as manga,
        ListMirror(path, client, "carol") as carol,
    ):
        manga.sync()
        carol.sync()
        assert len(carol) == 0
        assert len(manga) == len(server.app.sandbox.catalogue.users["alice"].mangalist)
    with ListMirror(path, client, "ALICE", "manga") as again:
        assert again.state is not None
        entries = list(again.entries(sort="manga_id"))
        assert all(isinstance(entry, MangaListEntry) for entry in entries)
        assert entries == list(
            client.mangalist.list("alice", sort="manga_id", fields=MANGA_LIST_EXPORT)
        )
        reset_stats(server.url)
        assert again.sync().requests == 1
        assert list_requests(server.url) == 0  # the manga list is another endpoint


def test_mistakes_are_refused_before_any_request(client: Client, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"users\.me"):
        ListMirror(tmp_path / "m.db", client, "@me")
    with pytest.raises(ValueError, match="user name"):
        ListMirror(tmp_path / "m.db", client, " ")
    with ListMirror(tmp_path / "m.db", client, "alice") as mirror:
        with pytest.raises(ValueError, match="anime_title"):
            mirror.entries(sort="manga_title")
        with pytest.raises(ValueError, match="status"):
            mirror.entries(status="reading")
        assert mirror.state is None
        assert len(mirror) == 0
