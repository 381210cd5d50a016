"""`mal list export --format xml` and `mal list import` on a small sandbox: the XML file's
structure and values, reading MAL's own spellings (gzipped too), the merge rules, dry runs and
`--json`, refused entries, undo, and an import killed midway (SIGKILL) and run again, which
writes each change exactly once."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import patches, requests, reset, run_mal, run_on_terminal, signed_in_config

from malclient.listplan import Journal, merge, plan, restore_form
from malclient.sandbox.server import SandboxServer
from tokens_support import sandbox_config, sign_in

# MAL's list export as our own schema: each element of an entry in MAL's order, with the form of
# the value MAL writes there (docs/cli.md names the public export files it was checked against).
CDATA = r"(?:<!\[CDATA\[.*?\]\]>)+"
DATE = r"\d{4}-\d{2}-\d{2}"
COUNT = r"0|[1-9]\d*"
ID = r"[1-9]\d*"
SCORE = r"[0-9]|10"
REPLAY = r"|Very Low|Low|Medium|High|Very High"
ANIME_SCHEMA = [
    ("series_animedb_id", ID), ("series_title", CDATA),
    ("series_type", r"TV|OVA|Movie|Special|ONA|Music|TV Special|CM|PV|Unknown"),
    ("series_episodes", COUNT), ("my_id", "0"), ("my_watched_episodes", COUNT),
    ("my_start_date", DATE), ("my_finish_date", DATE), ("my_rated", ""), ("my_score", SCORE),
    ("my_storage", ""), ("my_storage_value", r"0\.00"),
    ("my_status", "Watching|Completed|On-Hold|Dropped|Plan to Watch"), ("my_comments", CDATA),
    ("my_times_watched", COUNT), ("my_rewatch_value", REPLAY), ("my_priority", "LOW|MEDIUM|HIGH"),
    ("my_tags", CDATA), ("my_rewatching", "[01]"), ("my_rewatching_ep", "0"),
    ("my_discuss", "[01]"), ("my_sns", "default"), ("update_on_import", "0"),
]  # fmt: skip
MANGA_SCHEMA = [
    ("manga_mangadb_id", ID), ("manga_title", CDATA), ("manga_volumes", COUNT),
    ("manga_chapters", COUNT), ("my_id", "0"), ("my_read_volumes", COUNT),
    ("my_read_chapters", COUNT), ("my_start_date", DATE), ("my_finish_date", DATE),
    ("my_scanalation_group", CDATA), ("my_score", SCORE), ("my_storage", ""),
    ("my_retail_volumes", "0"), ("my_status", "Reading|Completed|On-Hold|Dropped|Plan to Read"),
    ("my_comments", CDATA), ("my_times_read", COUNT), ("my_tags", CDATA),
    ("my_priority", "Low|Medium|High"), ("my_reread_value", REPLAY), ("my_rereading", "YES|NO"),
    ("my_discuss", "YES|NO"), ("my_sns", "default"), ("update_on_import", "0"),
]  # fmt: skip
MYINFO = {
    "anime": ["user_id", "user_name", "user_export_type", "user_total_anime",
              "user_total_watching", "user_total_completed", "user_total_onhold",
              "user_total_dropped", "user_total_plantowatch"],
    "manga": ["user_id", "user_name", "user_export_type", "user_total_manga",
              "user_total_reading", "user_total_completed", "user_total_onhold",
              "user_total_dropped", "user_total_plantoread"],
}  # fmt: skip
REPLAY_WORDS = ["", "Very Low", "Low", "Medium", "High", "Very High"]
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


def elements(block: str) -> list[tuple[str, str]]:
    """The `<name>value</name>` lines of an entry or `myinfo`, as written (CDATA kept)."""
    found: list[tuple[str, str]] = re.findall(r"\t\t<([a-z_]+)>(.*?)</\1>\n", block, re.S)
    assert "".join(f"\t\t<{name}>{value}</{name}>\n" for name, value in found) == block
    return found


@pytest.mark.parametrize("manga", [False, True], ids=["anime", "manga"])
def test_xml_export_follows_mals_schema_for_every_entry(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, tmp_path: Path, manga: bool
) -> None:
    flags = ["--user", "alice", *(["--manga"] if manga else [])]
    export(capsys, carol, origin, tmp_path / "alice.xml", "--format", "xml", *flags)
    text = (tmp_path / "alice.xml").read_text(encoding="utf-8")
    kind = "manga" if manga else "anime"
    head, _, rest = text.partition("\t<myinfo>\n")
    assert head == '<?xml version="1.0" encoding="UTF-8" ?>\n<myanimelist>\n'
    info, _, body = rest.partition("\t</myinfo>\n\n")
    assert [name for name, _ in elements(info)] == MYINFO[kind]
    assert all(re.fullmatch(r"\d+", value) for name, value in elements(info) if name != "user_name")
    assert body.endswith(f"\t</{kind}>\n</myanimelist>\n")
    blocks = body.removesuffix("</myanimelist>\n").split(f"\t</{kind}>\n")[:-1]
    assert len(blocks) > 20
    schema = MANGA_SCHEMA if manga else ANIME_SCHEMA
    seen: dict[str, set[str]] = {}
    for block in blocks:
        assert block.startswith(f"\t<{kind}>\n")
        found = elements(block.removeprefix(f"\t<{kind}>\n"))
        assert [name for name, _ in found] == [name for name, _ in schema]
        for (name, value), (_, form) in zip(found, schema, strict=True):
            assert re.fullmatch(form, value, re.S), (name, value)
            seen.setdefault(name, set()).add(value)
    # alice's list has every kind of value these elements take, so all their forms were seen.
    assert seen["my_priority"] == set(schema_words(schema, "my_priority"))
    assert len(seen["my_rereading" if manga else "my_rewatching"]) == 2
    assert any(value.endswith("-00") for value in seen["my_start_date"])
    assert "0000-00-00" in seen["my_start_date"]


def schema_words(schema: list[tuple[str, str]], name: str) -> list[str]:
    return dict(schema)[name].split("|")


@pytest.mark.parametrize("manga", [False, True], ids=["anime", "manga"])
def test_xml_export_holds_the_lists_values(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, tmp_path: Path, manga: bool
) -> None:
    flags = ["--user", "alice", *(["--manga"] if manga else [])]
    export(capsys, carol, origin, tmp_path / "alice.json", *flags)
    export(capsys, carol, origin, tmp_path / "alice.xml", "--format", "xml", *flags)
    root = ET.parse(tmp_path / "alice.xml").getroot()  # noqa: S314 (our own file)
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
    for item, row in zip(items, rows, strict=True):
        mine, node = row["list_status"], row["node"]
        if manga:
            assert item.findtext("manga_mangadb_id") == str(node["id"])
            assert item.findtext("manga_title") == node["title"]
            assert item.findtext("my_read_chapters") == str(mine["num_chapters_read"])
            assert item.findtext("my_read_volumes") == str(mine["num_volumes_read"])
            assert item.findtext("my_rereading") == ("YES" if mine["is_rereading"] else "NO")
            assert item.findtext("my_reread_value") == REPLAY_WORDS[mine.get("reread_value", 0)]
            assert (
                item.findtext("my_priority") == ("Low", "Medium", "High")[mine.get("priority", 0)]
            )
        else:
            assert item.findtext("series_animedb_id") == str(node["id"])
            assert item.findtext("series_title") == node["title"]
            assert item.findtext("series_episodes") == str(node.get("num_episodes") or 0)
            assert item.findtext("my_watched_episodes") == str(mine["num_episodes_watched"])
            assert item.findtext("my_rewatching") == ("1" if mine["is_rewatching"] else "0")
            assert item.findtext("my_rewatch_value") == REPLAY_WORDS[mine.get("rewatch_value", 0)]
            assert (
                item.findtext("my_priority") == ("LOW", "MEDIUM", "HIGH")[mine.get("priority", 0)]
            )
        assert item.findtext("my_status") == WORDS[mine["status"]]
        assert item.findtext("my_score") == str(mine["score"])
        assert item.findtext("my_start_date") == mal_date(mine.get("start_date"))
        assert item.findtext("my_finish_date") == mal_date(mine.get("finish_date"))
        assert item.findtext("my_tags") == ", ".join(mine.get("tags", []))
        assert item.findtext("my_comments") == mine.get("comments", "")


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


# An export in the shape MAL's website writes (tabs, its header comment, manga's YES/NO and
# capitalized priority, replay values as words, 00 for an unknown day), written for this test.
MAL_MANGA_EXPORT = """<?xml version="1.0" encoding="UTF-8" ?>
<!--
 A manga list in the shape of MyAnimeList's export, for malclient's tests
-->

<myanimelist>

\t<myinfo>
\t\t<user_id>7012345</user_id>
\t\t<user_name>alice</user_name>
\t\t<user_export_type>2</user_export_type>
\t\t<user_total_manga>2</user_total_manga>
\t\t<user_total_reading>1</user_total_reading>
\t\t<user_total_completed>0</user_total_completed>
\t\t<user_total_onhold>0</user_total_onhold>
\t\t<user_total_dropped>0</user_total_dropped>
\t\t<user_total_plantoread>1</user_total_plantoread>
\t</myinfo>

\t<manga>
\t\t<manga_mangadb_id>{first}</manga_mangadb_id>
\t\t<manga_title><![CDATA[Fish & <Chips>]]></manga_title>
\t\t<manga_volumes>0</manga_volumes>
\t\t<manga_chapters>0</manga_chapters>
\t\t<my_id>0</my_id>
\t\t<my_read_volumes>2</my_read_volumes>
\t\t<my_read_chapters>15</my_read_chapters>
\t\t<my_start_date>2019-04-00</my_start_date>
\t\t<my_finish_date>0000-00-00</my_finish_date>
\t\t<my_scanalation_group><![CDATA[]]></my_scanalation_group>
\t\t<my_score>8</my_score>
\t\t<my_storage></my_storage>
\t\t<my_retail_volumes>0</my_retail_volumes>
\t\t<my_status>Reading</my_status>
\t\t<my_comments><![CDATA[again, "slowly"]]></my_comments>
\t\t<my_times_read>1</my_times_read>
\t\t<my_tags><![CDATA[seinen,  favourite]]></my_tags>
\t\t<my_priority>Medium</my_priority>
\t\t<my_reread_value>High</my_reread_value>
\t\t<my_rereading>YES</my_rereading>
\t\t<my_discuss>YES</my_discuss>
\t\t<my_sns>default</my_sns>
\t\t<update_on_import>0</update_on_import>
\t</manga>

\t<manga>
\t\t<manga_mangadb_id>{second}</manga_mangadb_id>
\t\t<manga_title><![CDATA[Later]]></manga_title>
\t\t<manga_volumes>0</manga_volumes>
\t\t<manga_chapters>0</manga_chapters>
\t\t<my_id>0</my_id>
\t\t<my_read_volumes>0</my_read_volumes>
\t\t<my_read_chapters>0</my_read_chapters>
\t\t<my_start_date>0000-00-00</my_start_date>
\t\t<my_finish_date>0000-00-00</my_finish_date>
\t\t<my_scanalation_group><![CDATA[]]></my_scanalation_group>
\t\t<my_score>0</my_score>
\t\t<my_storage></my_storage>
\t\t<my_retail_volumes>0</my_retail_volumes>
\t\t<my_status>Plan to Read</my_status>
\t\t<my_comments><![CDATA[]]></my_comments>
\t\t<my_times_read>0</my_times_read>
\t\t<my_tags><![CDATA[]]></my_tags>
\t\t<my_priority>Low</my_priority>
\t\t<my_reread_value></my_reread_value>
\t\t<my_rereading>NO</my_rereading>
\t\t<my_discuss>YES</my_discuss>
\t\t<my_sns>default</my_sns>
\t\t<update_on_import>0</update_on_import>
\t</manga>

</myanimelist>
"""


def test_import_reads_mals_own_export_gzipped_or_not(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, tmp_path: Path
) -> None:
    ids = [row["node"]["id"] for row in json_rows(_as_json(capsys, carol, origin, tmp_path))[:2]]
    text = MAL_MANGA_EXPORT.format(first=ids[0], second=ids[1])
    plain = tmp_path / "mangalist.xml"
    plain.write_text(text, encoding="utf-8")
    zipped = tmp_path / "mangalist_1700000000_-_7012345.xml.gz"
    zipped.write_bytes(gzip.compress(text.encode()))
    reset(origin)
    plans = []
    for path in (plain, zipped):
        done = run_mal(
            capsys, "list", "import", str(path), "--manga", "--dry-run", "--json",
            *where(carol, origin),
        )  # fmt: skip
        assert done.code == 0, done.err
        plans.append(json.loads(done.out))
    assert plans[0] == plans[1]
    assert patches(origin) == 0
    first, second = plans[0]["changes"]
    assert (first["id"], first["title"], first["action"]) == (ids[0], "Fish & <Chips>", "add")
    assert {name: field["after"] for name, field in first["fields"].items()} == {
        "status": "reading",
        "score": 8,
        "num_chapters_read": 15,
        "num_volumes_read": 2,
        "is_rereading": True,
        "num_times_reread": 1,
        "reread_value": 4,
        "priority": 1,
        "tags": ["seinen", "favourite"],
        "comments": 'again, "slowly"',
        "start_date": "2019-04",
    }
    assert {name: field["after"] for name, field in second["fields"].items()} == {
        "status": "plan_to_read"
    }


def test_a_dry_run_with_json_prints_the_plan_as_one_document(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, tmp_path: Path
) -> None:
    source = _as_json(capsys, carol, origin, tmp_path)
    rows = json_rows(source)
    args = ["list", "import", str(source), "--manga", "--dry-run", *where(carol, origin)]
    reset(origin)
    text = run_mal(capsys, *args)
    done = run_mal(capsys, *args, "--json")
    assert done.code == 0, done.err
    assert patches(origin) == 0
    plan = json.loads(done.out)  # the whole output is one document
    shown = re.search(r"Plan: (\d+) to add, (\d+) to change, (\d+) already", text.out)
    assert shown is not None
    assert plan["kind"] == "manga"
    assert plan["resuming"] is False
    assert plan["counts"] == dict(
        zip(("add", "change", "unchanged"), map(int, shown.groups()), strict=True)
    )
    assert plan["counts"]["add"] == len(rows)
    titles = {row["node"]["id"]: row["node"]["title"] for row in rows}
    wanted = states(rows)
    assert [change["id"] for change in plan["changes"]] == list(titles)
    for change in plan["changes"]:
        assert change["title"] == titles[change["id"]]
        assert change["action"] == "add"
        for name, field in change["fields"].items():
            assert field["before"] is None
            assert field["after"] == wanted[change["id"]][name]


def test_import_with_json_prints_what_was_done_and_what_mal_refused(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, tmp_path: Path
) -> None:
    good = json_rows(_as_json(capsys, carol, origin, tmp_path))[0]
    source = tmp_path / "mixed.json"
    rows = [
        {"node": {"id": 999_999_999, "title": "Nowhere"}, "list_status": {"status": "completed"}},
        good,
    ]
    source.write_text(json.dumps(rows), encoding="utf-8")
    journal = str(source) + ".journal"
    done = run_mal(
        capsys, "list", "import", str(source), "--manga", "--json", *where(carol, origin)
    )
    assert done.code == 0, done.err
    result = json.loads(done.out)
    reason = result["refused"][0].pop("reason")
    assert "999999999" in reason or "not found" in reason.lower()
    assert result == {
        "kind": "manga",
        "resumed": False,
        "applied": 1,
        "skipped": 0,
        "refused": [{"id": 999_999_999, "title": "Nowhere"}],
        "journal": journal,
    }
    again = run_mal(
        capsys, "list", "import", str(source), "--manga", "--json", *where(carol, origin)
    )
    second = json.loads(again.out)  # the file's good entry is on the list now
    assert (second["applied"], second["skipped"], len(second["refused"])) == (0, 1, 1)
    undone = run_mal(capsys, "list", "import", "--undo", journal, "--json", *where(carol, origin))
    assert undone.code == 0, undone.err
    assert json.loads(undone.out) == {
        "kind": "manga", "undone": 1, "refused": [], "journal": journal
    }  # fmt: skip
    assert carol_states(capsys, carol, origin, tmp_path, "--manga") == {}


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


# Paced so that the bar is drawn a few times before the import ends.
PACED = "150"


def test_import_on_a_terminal_asks_first_and_shows_a_progress_bar(
    capsys: pytest.CaptureFixture[str], origin: str, carol: Path, tmp_path: Path
) -> None:
    source = tmp_path / "alice.json"
    export(capsys, carol, origin, source, "--user", "alice")
    reset(origin)
    code, screen = run_on_terminal(
        "list", "import", str(source), *where(carol, origin), answer=b"n\n", MAL_RATE=PACED
    )
    assert code == 0, screen
    assert "Apply " in screen
    assert "Nothing changed." in screen
    assert patches(origin) == 0
    code, screen = run_on_terminal(
        "list", "import", str(source), *where(carol, origin), answer=b"y\n", MAL_RATE=PACED
    )
    assert code == 0, screen
    assert "importing" in screen
    assert "━" in screen
    journal = str(source) + ".journal"
    code, screen = run_on_terminal(
        "list", "import", "--undo", journal, *where(carol, origin), MAL_RATE=PACED
    )
    assert code == 0, screen
    assert "undoing" in screen
    assert carol_states(capsys, carol, origin, tmp_path) == {}
