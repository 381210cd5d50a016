"""A sync that fails half-way (the sandbox answers 500 to every request after the first page,
with the client's retries off) leaves the mirror exactly as the last good sync left it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from mirror_support import after_list_pages, public_client, sandbox_list, user_client

from malclient._exceptions import ServerError
from malclient.mirror import FIRST_PAGE, ListMirror
from malclient.sandbox import SandboxConfig
from malclient.sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(auto_approve="bob")) as running:
        yield running


def faults(origin: str, text: str | None) -> None:
    httpx2.post(f"{origin}/_sandbox/settings", json={"faults": text}).raise_for_status()


@pytest.mark.parametrize("full", [True, False], ids=["full pass", "incremental"])
def test_a_sync_cut_short_leaves_the_previous_mirror_intact(
    server: SandboxServer, tmp_path: Path, full: bool
) -> None:
    path = tmp_path / "m.db"
    with public_client(server.url) as client, ListMirror(path, client, "bob") as mirror:
        mirror.sync()
        before, state = list(mirror), mirror.state
        # Enough changes on MAL that even the incremental sync needs a second page: its first
        # holds FIRST_PAGE entries, or all those sharing the newest second and one more.
        assert state is not None
        count = max(FIRST_PAGE, state.ties + 1)
        oldest = mirror.entries(sort="list_updated_at", offset=len(before) - count)
        changed = [entry.node.id for entry in oldest]
    with user_client(server.url) as bob:
        for anime_id in changed:
            bob.animelist.update(anime_id, comments="after the last good sync")

    http = after_list_pages(1, lambda: faults(server.url, "500=1"))
    try:
        with (
            public_client(server.url, http=http, retries=None) as client,
            ListMirror(path, client, "bob") as mirror,
        ):
            with pytest.raises(ServerError):
                mirror.sync(full=full)
            assert list(mirror) == before
            assert mirror.state == state
    finally:
        faults(server.url, None)
        http.close()

    with public_client(server.url) as client, ListMirror(path, client, "bob") as mirror:
        result = mirror.sync(full=full)
        assert result.changed == len(changed)
        assert {e.node.id: e.list_status.status for e in mirror if e.list_status} == (
            sandbox_list(server, "bob")
        )
