"""A list longer than one page (bob: over 10,000 entries) is shown and exported whole, 1,000
entries per request, with the client id alone."""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import requests, reset, run_mal, run_on_terminal

from malclient.sandbox.server import SandboxServer
from tokens_support import kometa_config, sandbox_config


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    config = kometa_config(tmp_path_factory.mktemp("bob"))
    with SandboxServer(sandbox_config(anime_count=20_000, manga_count=100)) as server:
        yield server.url, config


def test_show_pages_through_bobs_whole_list(
    capsys: pytest.CaptureFixture[str], big: tuple[str, Path]
) -> None:
    origin, config = big
    reset(origin)
    shown = run_mal(
        capsys, "list", "show", "--user", "bob", "--json", "--config", str(config),
        "--sandbox", origin,
    )  # fmt: skip
    assert shown.code == 0, shown.err
    rows = json.loads(shown.out)
    assert len(rows) >= 10_000
    assert len({row["node"]["id"] for row in rows}) == len(rows)
    assert requests(origin)["users_user_id_animelist_get"] == math.ceil(len(rows) / 1000)


def test_showing_an_unchanged_list_again_costs_one_request(
    capsys: pytest.CaptureFixture[str], big: tuple[str, Path]
) -> None:
    origin, config = big
    where = ("--config", str(config), "--sandbox", origin)
    first = run_mal(capsys, "list", "show", "--user", "bob", "--json", *where)
    assert first.code == 0, first.err
    reset(origin)
    again = run_mal(capsys, "list", "show", "--user", "bob", "--json", *where)
    assert again.code == 0, again.err
    assert json.loads(again.out) == json.loads(first.out)
    assert requests(origin)["users_user_id_animelist_get"] == 1  # the mirror asked what changed
    reset(origin)
    full = run_mal(capsys, "list", "show", "--user", "bob", "--full", "--json", *where)
    assert full.code == 0, full.err
    assert requests(origin)["users_user_id_animelist_get"] == math.ceil(
        len(json.loads(full.out)) / 1000
    )


def test_export_streams_bobs_whole_list_to_csv(
    capsys: pytest.CaptureFixture[str], big: tuple[str, Path], tmp_path: Path
) -> None:
    origin, config = big
    target = tmp_path / "bob.csv"
    done = run_mal(
        capsys, "list", "export", "--user", "bob", "--format", "csv", "-o", str(target),
        "--config", str(config), "--sandbox", origin,
    )  # fmt: skip
    assert done.code == 0, done.err
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 10_000
    assert f"Exported {len(rows)} anime entries" in done.err
    assert done.out == ""  # the file is the output; stdout stays free


def test_export_shows_a_progress_bar_on_a_terminal_and_none_on_a_pipe(
    capsys: pytest.CaptureFixture[str], big: tuple[str, Path], tmp_path: Path
) -> None:
    origin, config = big
    where = ["--config", str(config), "--sandbox", origin]
    code, screen = run_on_terminal(
        "list", "export", "--user", "bob", "-o", str(tmp_path / "bob.json"), *where
    )
    assert code == 0, screen
    assert "exporting" in screen
    assert "━" in screen
    assert re.search(r"\d{5}/\S* *(\x1b\[0m)? entries", screen)
    piped = run_mal(
        capsys, "list", "export", "--user", "bob", "-o", str(tmp_path / "again.json"), *where
    )
    assert piped.code == 0, piped.err
    assert "exporting" not in piped.err
    assert (tmp_path / "bob.json").read_bytes() == (tmp_path / "again.json").read_bytes()
