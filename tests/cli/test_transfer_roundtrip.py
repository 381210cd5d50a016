"""Issue 5's round trip: bob's list (over 10,000 entries) exported as JSON and as MAL's XML,
imported into carol's empty list, equal; a second import plans nothing; undo empties it again
(after the JSON run). About 45 seconds in all, nearly all of it the sandbox answering 10,500
writes per format and 10,500 deletes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import patches, requests, reset, run_mal, signed_in_config
from test_transfer import export, json_rows, states, where

from malclient.sandbox.server import SandboxServer
from tokens_support import sandbox_config, sign_in


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    config = sandbox_config(anime_count=20_000, manga_count=100, auto_approve="carol")
    with SandboxServer(config) as server:
        yield server.url


@pytest.fixture(scope="module")
def carol(origin: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return signed_in_config(tmp_path_factory.mktemp("carol"), sign_in(origin))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bobs_list_moves_to_carol_and_back_out(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, tmp_path: Path, fmt: str
) -> None:
    reference = tmp_path / "bob-reference.json"
    export(capsys, carol, origin, reference, "--user", "bob")
    wanted = states(json_rows(reference))
    assert len(wanted) >= 10_000
    source = tmp_path / f"bob.{fmt}"
    export(capsys, carol, origin, source, "--user", "bob", "--format", fmt)
    reset(origin)

    done = run_mal(capsys, "list", "import", str(source), *where(carol, origin))
    assert done.code == 0, done.err
    assert f"Plan: {len(wanted)} to add, 0 to change" in done.out
    assert patches(origin) == len(wanted)  # one write per entry, no more
    mine = tmp_path / "carol.json"
    export(capsys, carol, origin, mine)
    assert states(json_rows(mine)) == wanted

    reset(origin)
    again = run_mal(capsys, "list", "import", str(source), *where(carol, origin))
    assert again.code == 0, again.err
    assert f"Plan: 0 to add, 0 to change, {len(wanted)} already" in again.out
    assert patches(origin) == 0

    if fmt == "xml":
        return  # undo is shown once (after the JSON run); 10,500 deletes take ten seconds
    journal = source.with_name(source.name + ".journal")
    undone = run_mal(capsys, "list", "import", "--undo", str(journal), *where(carol, origin))
    assert undone.code == 0, undone.err
    assert requests(origin)["anime_anime_id_my_list_status_delete"] == len(wanted)
    export(capsys, carol, origin, mine)
    assert json_rows(mine) == []
