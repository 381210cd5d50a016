"""`mal list export --format xml` and `mal list import` on a small sandbox: the XML file's
structure and values, the merge rules, dry runs, refused entries, undo, and an import killed
midway (SIGKILL) and run again, which writes each change exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import patches, requests, reset, run_mal, signed_in_config

from malclient.listplan import Journal, merge, plan, restore_form
from malclient.sandbox.server import SandboxServer
from tokens_support import sandbox_config, sign_in

ANIME_ELEMENTS = [
    "series_animedb_id", "series_title", "series_type", "series_episodes", "my_id",
    "my_watched_episodes", "my_start_date", "my_finish_date", "my_rated", "my_score",
    "my_storage", "my_storage_value", "my_status", "my_comments", "my_times_watched",
    "my_rewatch_value", "my_priority", "my_tags", "my_rewatching", "my_rewatching_ep",
    "my_discuss", "my_sns", "update_on_import",
]  # fmt: skip
MANGA_ELEMENTS = [
    "manga_mangadb_id", "manga_title", "manga_volumes", "manga_chapters", "my_id",
    "my_read_volumes", "my_read_chapters", "my_start_date", "my_finish_date",
    "my_scanalation_group", "my_score", "my_storage", "my_retail_volumes", "my_status",
    "my_comments", "my_times_read", "my_tags", "my_priority", "my_reread_value",
    "my_rereading", "my_discuss", "my_sns", "update_on_import",
]  # fmt: skip
WORDS = {
    "watching": "Watching", "completed": "Completed", "on_hold": "On-Hold",
    "dropped": "Dropped", "plan_to_watch": "Plan to Watch", "reading": "Reading",
    "plan_to_read": "Plan to Read",
}  # fmt: skip


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    # Carol (empty lists) signs in; alice's list (a few hundred entries) is the one moved.
    config = sandbox_config(anime_count=1500, manga_count=300, auto_approve="carol")
    with SandboxServer(config) as server:
        yield server.url


@pytest.fixture(scope="module")
def carol(origin: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return signed_in_config(tmp_path_factory.mktemp("carol"), sign_in(origin))


def where(config: Path, origin: str) -> list[str]:
    return ["--config", str(config), "--sandbox", origin]


def export(
    capsys: pytest.CaptureFixture[str], config: Path, origin: str, target: Path, *flags: str
) -> None:
    done = run_mal(capsys, "list", "export", "-o", str(target), *flags, *where(config, origin))
    assert done.code == 0, done.err


def json_rows(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return rows


TOTALS = {
    "num_episodes_watched": "num_episodes",
    "num_chapters_read": "num_chapters",
    "num_volumes_read": "num_volumes",
}


def states(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """What an import must carry over, by id (`updated_at` is the write's own time). Progress
    past the title's total comes back cut to it, as MAL stores it (SPEC 5.3)."""
    out = {}
    for row in rows:
        status = dict(row["list_status"])
        status.pop("updated_at", None)
        for progress, total in TOTALS.items():
            limit = row["node"].get(total) or 0
            if progress in status and limit:
                status[progress] = min(status[progress], limit)
        out[row["node"]["id"]] = status
    return out


def mal_date(value: str | None) -> str:
    if value is None:
        return "0000-00-00"
    parts = [*value.split("-"), "00", "00"][:3]
    return "-".join(parts)


# --- XML export ---------------------------------------------------------------------------------


@pytest.mark.parametrize("manga", [False, True], ids=["anime", "manga"])
def test_xml_export_has_mals_structure_and_the_lists_values(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, tmp_path: Path, manga: bool
) -> None:
    flags = ["--user", "alice", *(["--manga"] if manga else [])]
    export(capsys, carol, origin, tmp_path / "alice.json", *flags)
    export(capsys, carol, origin, tmp_path / "alice.xml", "--format", "xml", *flags)
    text = (tmp_path / "alice.xml").read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8" ?>\n<myanimelist>')
    root = ET.fromstring(text.encode())  # noqa: S314 (our own file)
    assert root.tag == "myanimelist"
    info = root.find("myinfo")
    assert info is not None
    rows = json_rows(tmp_path / "alice.json")
    kind = "manga" if manga else "anime"
    items = root.findall(kind)
    assert len(items) == len(rows) > 20
    assert info.findtext("user_name") == "alice"
    assert info.findtext("user_export_type") == ("2" if manga else "1")
    assert info.findtext(f"user_total_{kind}") == str(len(rows))
    by_status: dict[str, int] = {}
    for row in rows:
        by_status[row["list_status"]["status"]] = by_status.get(row["list_status"]["status"], 0) + 1
    totals = {"completed": "user_total_completed", "on_hold": "user_total_onhold"}
    for status, element in totals.items():
        assert info.findtext(element) == str(by_status.get(status, 0))
    assert [child.tag for child in items[0]] == (MANGA_ELEMENTS if manga else ANIME_ELEMENTS)
    for item, row in zip(items, rows, strict=True):
        mine, node = row["list_status"], row["node"]
        if manga:
            assert item.findtext("manga_mangadb_id") == str(node["id"])
            assert item.findtext("manga_title") == node["title"]
            assert item.findtext("my_read_chapters") == str(mine["num_chapters_read"])
            assert item.findtext("my_read_volumes") == str(mine["num_volumes_read"])
            assert item.findtext("my_rereading") == ("1" if mine["is_rereading"] else "0")
        else:
            assert item.findtext("series_animedb_id") == str(node["id"])
            assert item.findtext("series_title") == node["title"]
            assert item.findtext("series_episodes") == str(node.get("num_episodes") or 0)
            assert item.findtext("my_watched_episodes") == str(mine["num_episodes_watched"])
            assert item.findtext("my_rewatching") == ("1" if mine["is_rewatching"] else "0")
        assert item.findtext("my_status") == WORDS[mine["status"]]
        assert item.findtext("my_score") == str(mine["score"])
        assert item.findtext("my_start_date") == mal_date(mine.get("start_date"))
        assert item.findtext("my_finish_date") == mal_date(mine.get("finish_date"))
        assert item.findtext("my_priority") == ("LOW", "MEDIUM", "HIGH")[mine.get("priority", 0)]
        assert item.findtext("my_tags") == ", ".join(mine.get("tags", []))
        assert item.findtext("my_comments") == mine.get("comments", "")
        assert item.findtext("update_on_import") == "1"
    # A title's text is CDATA, so titles with & and < stay readable as MAL writes them.
    assert "<![CDATA[" in text


def test_xml_export_of_your_own_list_names_you_with_your_id(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, tmp_path: Path
) -> None:
    export(capsys, carol, origin, tmp_path / "mine.xml", "--format", "xml")
    root = ET.parse(tmp_path / "mine.xml").getroot()  # noqa: S314 (our own file)
    assert root.findtext("myinfo/user_name") == "carol"
    assert root.findtext("myinfo/user_id") == "7012347"
    assert root.findtext("myinfo/user_total_anime") == "0"
    assert root.findall("anime") == []


# --- merge rules (pure) -------------------------------------------------------------------------


def entry(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "status": "watching", "score": 0, "num_episodes_watched": 0, "is_rewatching": False,
        "num_times_rewatched": 0, "rewatch_value": 0, "priority": 0, "tags": [],
        "comments": "", "start_date": None, "finish_date": None,
    }  # fmt: skip
    return base | fields


def test_merge_never_downgrades_completed_and_keeps_the_higher_progress() -> None:
    done = entry(status="completed", num_episodes_watched=12)
    assert merge("anime", entry(status="watching", num_episodes_watched=3), done) == {}
    assert merge("anime", entry(status="completed", num_episodes_watched=12), entry()) == {
        "status": "completed",
        "num_episodes_watched": 12,
    }
    behind = entry(status="on_hold", num_episodes_watched=5)
    assert merge("anime", entry(status="watching", num_episodes_watched=2), behind) == {
        "status": "watching"
    }
    assert merge("manga", {"num_chapters_read": 40, "num_volumes_read": 1}, {
        "num_chapters_read": 50, "num_volumes_read": 0
    }) == {"num_volumes_read": 1}  # fmt: skip


def test_merge_fills_scores_and_notes_but_overwrites_them_only_when_asked() -> None:
    mine = entry(score=7, tags=["keep"], start_date="2020-01-02")
    theirs = entry(score=9, tags=["other"], start_date="2021", comments="fun")
    assert merge("anime", theirs, mine) == {"comments": "fun"}
    assert merge("anime", theirs, mine, overwrite=True) == {
        "score": 9,
        "tags": ["other"],
        "comments": "fun",
        "start_date": "2021",
    }
    assert merge("anime", entry(score=8), entry()) == {"score": 8}
    assert merge("anime", entry(score=0), entry(score=6)) == {}  # an unscored file clears nothing


def test_merge_adds_a_new_entry_with_its_set_fields_only() -> None:
    new = entry(status="plan_to_watch")
    assert merge("anime", new, None) == {"status": "plan_to_watch"}
    changes = plan("anime", {1: new, 2: entry(score=3)}, {2: entry(score=3)})
    assert [(change.id, change.creates) for change in changes] == [(1, True)]


def test_restore_form_clears_what_was_empty() -> None:
    before = entry(score=0, start_date=None, tags=[])
    assert restore_form("anime", before, ["score", "start_date", "tags"]) == {
        "score": 0,
        "start_date": "",
        "tags": [],
    }


def test_a_journal_cut_short_by_a_crash_ignores_its_broken_last_line(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    changes = plan("anime", {1: entry(score=5), 2: entry(score=6)}, {})
    journal.begin("anime", "x.json", changes)
    journal.mark_done(changes[0])
    with journal.path.open("a", encoding="utf-8") as out:
        out.write('{"done": 2')  # the process died mid-write
    again = Journal.load(journal.path)
    assert list(again.pending) == [2]
    assert list(again.done) == [1]
    assert oct(journal.path.stat().st_mode & 0o777) == "0o600"


# --- import -------------------------------------------------------------------------------------


def carol_states(
    capsys: pytest.CaptureFixture[str], carol: Path, origin: str, tmp_path: Path, *flags: str
) -> dict[int, dict[str, Any]]:
    target = tmp_path / "carol-now.json"
    export(capsys, carol, origin, target, *flags)
    return states(json_rows(target))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_import_into_an_empty_list_copies_it_and_undo_empties_it(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, tmp_path: Path, fmt: str
) -> None:
    source = tmp_path / f"alice.{fmt}"
    export(capsys, carol, origin, source, "--user", "alice", "--manga", "--format", fmt)
    wanted = states(json_rows(_as_json(capsys, carol, origin, tmp_path)))
    reset(origin)
    dry = run_mal(
        capsys, "list", "import", str(source), "--manga", "--dry-run", *where(carol, origin)
    )
    assert dry.code == 0, dry.err
    assert f"Plan: {len(wanted)} to add, 0 to change" in dry.out
    assert dry.out.count("\nadd ") == len(wanted)
    assert patches(origin) == 0
    done = run_mal(capsys, "list", "import", str(source), "--manga", *where(carol, origin))
    assert done.code == 0, done.err
    assert patches(origin) == len(wanted)
    assert carol_states(capsys, carol, origin, tmp_path, "--manga") == wanted
    reset(origin)
    again = run_mal(capsys, "list", "import", str(source), "--manga", *where(carol, origin))
    assert again.code == 0, again.err
    assert "Plan: 0 to add, 0 to change" in again.out
    assert patches(origin) == 0
    shown = run_mal(capsys, "list", "show", "--manga", "--json", *where(carol, origin))
    assert len(json.loads(shown.out)) == len(wanted)  # the list mirror now holds them too
    journal = source.with_name(source.name + ".journal")
    undone = run_mal(capsys, "list", "import", "--undo", str(journal), *where(carol, origin))
    assert undone.code == 0, undone.err
    assert requests(origin)["manga_manga_id_my_list_status_delete"] == len(wanted)
    assert carol_states(capsys, carol, origin, tmp_path, "--manga") == {}
    # Deletions are invisible to an incremental sync: undo drops them from the mirror itself.
    shown = run_mal(capsys, "list", "show", "--manga", "--json", *where(carol, origin))
    assert json.loads(shown.out) == []


def _as_json(capsys: pytest.CaptureFixture[str], carol: Path, origin: str, tmp_path: Path) -> Path:
    target = tmp_path / "alice-manga.json"
    export(capsys, carol, origin, target, "--user", "alice", "--manga")
    return target


def test_import_keeps_what_the_list_has_and_undo_puts_back_changed_entries(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, tmp_path: Path
) -> None:
    source = _as_json(capsys, carol, origin, tmp_path)
    rows = json_rows(source)
    done_row = next(row for row in rows if row["list_status"]["status"] == "completed")
    scored = next(row for row in rows if row["list_status"]["score"] and row is not done_row)
    first, second = done_row["node"]["id"], scored["node"]["id"]
    other = 10 if scored["list_status"]["score"] != 10 else 9
    for args in (
        [str(first), "--status", "reading", "--chapters", "1"],
        [str(second), "--status", scored["list_status"]["status"], "--score", str(other)],
    ):
        set_done = run_mal(capsys, "list", "set", *args, "--manga", *where(carol, origin))
        assert set_done.code == 0, set_done.err
    before = carol_states(capsys, carol, origin, tmp_path, "--manga")
    journal = tmp_path / "merge.journal"
    flags = ["--manga", "--journal", str(journal), *where(carol, origin)]
    done = run_mal(capsys, "list", "import", str(source), *flags)
    assert done.code == 0, done.err
    now = carol_states(capsys, carol, origin, tmp_path, "--manga")
    assert now[second]["score"] == other  # not overwritten
    assert now[first]["status"] == "completed"  # reading -> completed is an upgrade
    undone = run_mal(capsys, "list", "import", "--undo", str(journal), *where(carol, origin))
    assert undone.code == 0, undone.err
    after = carol_states(capsys, carol, origin, tmp_path, "--manga")
    assert {k: {f: v for f, v in s.items() if f != "updated_at"} for k, s in after.items()} == {
        k: {f: v for f, v in s.items() if f != "updated_at"} for k, s in before.items()
    }
    for ident in (first, second):
        run_mal(capsys, "list", "rm", str(ident), "--manga", *where(carol, origin))


def test_entries_mal_refuses_are_reported_at_the_end_and_the_rest_go_on(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, tmp_path: Path
) -> None:
    source = tmp_path / "odd.json"
    rows = [
        {"node": {"id": 999_999_999}, "list_status": {"status": "completed"}},
        {"node": {"id": 1}, "list_status": {"status": "nonsense"}},
    ]
    good = _as_json(capsys, carol, origin, tmp_path)
    rows.append(json_rows(good)[0])
    source.write_text(json.dumps(rows), encoding="utf-8")
    done = run_mal(capsys, "list", "import", str(source), "--manga", *where(carol, origin))
    assert done.code == 0, done.err
    assert "1 manga entries written, 2 refused" in done.out
    assert "999999999" in done.err
    assert "manga 1:" in done.err
    assert len(carol_states(capsys, carol, origin, tmp_path, "--manga")) == 1
    undone = run_mal(
        capsys, "list", "import", "--undo", str(source) + ".journal", *where(carol, origin)
    )
    assert undone.code == 0, undone.err
    assert carol_states(capsys, carol, origin, tmp_path, "--manga") == {}


def test_a_file_that_is_not_an_export_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, tmp_path: Path
) -> None:
    source = tmp_path / "notes.json"
    source.write_text('{"hello": 1}', encoding="utf-8")
    done = run_mal(capsys, "list", "import", str(source), *where(carol, origin))
    assert done.code == 2
    assert "is not a list export" in done.err
    xml = tmp_path / "manga.xml"
    export(capsys, carol, origin, xml, "--user", "alice", "--manga", "--format", "xml")
    wrong = run_mal(capsys, "list", "import", str(xml), *where(carol, origin))
    assert wrong.code == 2
    assert "add --manga" in wrong.err


def test_an_import_killed_midway_resumes_and_writes_each_change_once(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, tmp_path: Path
) -> None:
    source = tmp_path / "alice.xml"
    export(capsys, carol, origin, source, "--user", "alice", "--format", "xml")
    total = len(ET.parse(source).getroot().findall("anime"))  # noqa: S314 (our own file)
    assert total > 100
    reset(origin)
    args = [sys.executable, "-m", "malclient", "list", "import", str(source), "--yes"]
    process = subprocess.Popen(
        [*args, *where(carol, origin)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MAL_RATE": "40"},  # slow enough to be caught midway
    )
    deadline = time.monotonic() + 60
    while patches(origin) < 30 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    written = patches(origin)
    assert 30 <= written < total
    rerun = subprocess.run(
        [*args, *where(carol, origin)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "MAL_RATE": "off"},
    )
    assert rerun.returncode == 0, rerun.stderr
    assert "Resuming an interrupted import" in rerun.stdout
    assert patches(origin) == total  # exactly once each, across both runs
    assert len(carol_states(capsys, carol, origin, tmp_path)) == total
    journal = Path(str(source) + ".journal")
    undone = run_mal(capsys, "list", "import", "--undo", str(journal), *where(carol, origin))
    assert undone.code == 0, undone.err
    assert carol_states(capsys, carol, origin, tmp_path) == {}


def test_import_on_a_terminal_asks_first_and_shows_a_progress_bar(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, tmp_path: Path
) -> None:
    source = tmp_path / "alice.json"
    export(capsys, carol, origin, source, "--user", "alice")
    reset(origin)
    code, screen = _on_a_terminal(["list", "import", str(source), *where(carol, origin)], b"n\n")
    assert code == 0, screen
    assert "Apply " in screen
    assert "Nothing changed." in screen
    assert patches(origin) == 0
    code, screen = _on_a_terminal(["list", "import", str(source), *where(carol, origin)], b"y\n")
    assert code == 0, screen
    assert "importing" in screen
    assert "━" in screen
    journal = str(source) + ".journal"
    code, screen = _on_a_terminal(["list", "import", "--undo", journal, *where(carol, origin)])
    assert code == 0, screen
    assert "undoing" in screen
    assert carol_states(capsys, carol, origin, tmp_path) == {}


def _on_a_terminal(args: list[str], answer: bytes = b"") -> tuple[int, str]:
    """`mal ARGS` on a pseudo-terminal, typing `answer`; returns status and screen."""
    import pty

    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "malclient", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        # Paced so that the bar is drawn a few times before the import ends.
        env={**os.environ, "MAL_RATE": "150", "COLUMNS": "120"},
    )
    os.close(slave)
    if answer:
        os.write(master, answer)
    screen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        screen += chunk
    os.close(master)
    return process.wait(timeout=60), screen.decode("utf-8", errors="replace")
