"""A journal holds one account's import of one file: an interrupted import (killed with SIGKILL
once its plan is written) resumes only with the same file and account, and nothing is sent to
MAL when either differs; `--undo` too stays with the account the journal wrote to."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from cli_support import patches, requests, reset, run_mal, signed_in_config

from malclient.listplan import Journal
from malclient.sandbox.server import SandboxServer
from tokens_support import sandbox_config, sign_in


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    config = sandbox_config(anime_count=400, manga_count=20, auto_approve="carol")
    with SandboxServer(config) as server:
        yield server.url


@pytest.fixture(scope="module")
def carol(origin: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return signed_in_config(tmp_path_factory.mktemp("carol"), sign_in(origin))


@pytest.fixture(scope="module")
def alice(origin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    settings = f"{origin}/_sandbox/settings"
    httpx2.post(settings, json={"auto_approve": "alice"}).raise_for_status()
    try:
        yield signed_in_config(tmp_path_factory.mktemp("alice"), sign_in(origin))
    finally:
        httpx2.post(settings, json={"auto_approve": "carol"}).raise_for_status()


def where(config: Path, origin: str) -> list[str]:
    return ["--config", str(config), "--sandbox", origin]


def some_of_alices_list(
    capsys: pytest.CaptureFixture[str], config: Path, origin: str, target: Path
) -> list[dict[str, object]]:
    whole = target.with_name("whole.json")
    done = run_mal(
        capsys, "list", "export", "--user", "alice", "-o", str(whole), *where(config, origin)
    )
    assert done.code == 0, done.err
    rows: list[dict[str, object]] = json.loads(whole.read_text(encoding="utf-8"))[:8]
    target.write_text(json.dumps(rows), encoding="utf-8")
    return rows


def interrupted_import(config: Path, origin: str, source: Path) -> Journal:
    """`mal list import SOURCE --yes`, killed as soon as its plan is in the journal."""
    journal = source.with_name(source.name + ".journal")
    process = subprocess.Popen(
        [sys.executable, "-m", "malclient", "list", "import", str(source), "--yes",
         *where(config, origin)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "MAL_RATE": "2"},  # the writes wait in line, so the kill comes first
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        if journal.exists() and '"plan"' in journal.read_text(encoding="utf-8"):
            break
        time.sleep(0.005)
    process.kill()  # SIGKILL, unless it already ended (then its stderr says why)
    _, err = process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL, err.decode()
    record = Journal.load(journal)
    assert len(record.pending) >= 4, "the import ended before it could be interrupted"
    return record


def list_size(capsys: pytest.CaptureFixture[str], config: Path, origin: str) -> int:
    shown = run_mal(capsys, "list", "show", "--json", "--full", *where(config, origin))
    assert shown.code == 0, shown.err
    return len(json.loads(shown.out))


def test_a_resumed_import_needs_the_file_it_was_planned_from(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, tmp_path: Path
) -> None:
    source = tmp_path / "alice.json"
    rows = some_of_alices_list(capsys, carol, origin, source)
    record = interrupted_import(carol, origin, source)
    journal = record.path
    original = source.read_bytes()

    other = tmp_path / "other.json"
    other.write_text(json.dumps(rows[1:]), encoding="utf-8")
    reset(origin)
    done = run_mal(
        capsys, "list", "import", str(other), "--journal", str(journal), *where(carol, origin)
    )
    assert done.code == 2
    assert done.out == ""
    assert done.err.startswith(f"mal: {journal} holds an unfinished import of alice.json, not of")
    assert f"mal list import alice.json --journal {journal}" in done.err
    assert f"mal list import --undo {journal}" in done.err
    assert "--journal NEW_JOURNAL" in done.err
    assert sum(requests(origin).values()) == 0  # refused before anything was sent

    source.write_text(json.dumps(rows[::-1]), encoding="utf-8")  # the same name, edited
    done = run_mal(capsys, "list", "import", str(source), *where(carol, origin))
    assert done.code == 2
    assert "alice.json has changed since the unfinished import" in done.err
    assert sum(requests(origin).values()) == 0
    assert Journal.load(journal).pending == record.pending

    source.write_bytes(original)
    done = run_mal(capsys, "list", "import", str(source), *where(carol, origin))
    assert done.code == 0, done.err
    assert f"Resuming an interrupted import: {len(record.pending)} changes left." in done.out
    assert patches(origin) == len(record.pending)  # the rest, each once
    assert list_size(capsys, carol, origin) == len(rows)
    undone = run_mal(capsys, "list", "import", "--undo", str(journal), *where(carol, origin))
    assert undone.code == 0, undone.err
    assert list_size(capsys, carol, origin) == 0


def test_a_journal_stays_with_the_account_it_wrote_to(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, alice: Path, tmp_path: Path
) -> None:
    source = tmp_path / "alice.json"
    some_of_alices_list(capsys, carol, origin, source)
    record = interrupted_import(carol, origin, source)
    journal = record.path
    reset(origin)
    done = run_mal(capsys, "list", "import", str(source), *where(alice, origin))
    assert done.code == 2
    assert done.err.startswith(
        f"mal: {journal} holds an unfinished import into carol's list, and you are signed in "
        "as alice: sign in as carol"
    )
    assert "--journal NEW_JOURNAL" in done.err
    # Only the question of who is signed in was asked: no list read, nothing written.
    assert set(requests(origin)) == {"users_user_id_get"}
    undo = run_mal(capsys, "list", "import", "--undo", str(journal), *where(alice, origin))
    assert undo.code == 2
    assert "records imports into carol's list, and you are signed in as alice" in undo.err
    assert set(requests(origin)) == {"users_user_id_get"}
    assert Journal.load(journal).pending == record.pending

    done = run_mal(capsys, "list", "import", str(source), *where(carol, origin))
    assert done.code == 0, done.err
    # A finished journal takes no other account's import either: undo would mix the two.
    done = run_mal(capsys, "list", "import", str(source), *where(alice, origin))
    assert done.code == 2
    assert "give --journal NEW_JOURNAL to keep alice's import in a journal of its own" in done.err
    undone = run_mal(capsys, "list", "import", "--undo", str(journal), *where(carol, origin))
    assert undone.code == 0, undone.err
    assert list_size(capsys, carol, origin) == 0
