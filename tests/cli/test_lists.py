"""`mal list show|set|inc|rm|export` against the sandbox: what is printed, what MAL ends up
holding (read back), and how many writes it took (the sandbox's stats)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cli_support import patches, requests, reset, run_mal, run_process, signed_in_config

from tokens_support import sandbox_settings, sign_in

PUT = "anime_anime_id_my_list_status_put"


def where(config: Path, origin: str) -> list[str]:
    return ["--config", str(config), "--sandbox", origin]


def entries(
    capsys: pytest.CaptureFixture[str], config: Path, origin: str, *flags: str
) -> list[dict[str, Any]]:
    shown = run_mal(capsys, "list", "show", "--json", *flags, *where(config, origin))
    assert shown.code == 0, shown.err
    rows: list[dict[str, Any]] = json.loads(shown.out)
    return rows


def entry(
    capsys: pytest.CaptureFixture[str], config: Path, origin: str, anime_id: int
) -> dict[str, Any] | None:
    shown = run_mal(capsys, "anime", "show", str(anime_id), "--json", *where(config, origin))
    assert shown.code == 0, shown.err
    mine: dict[str, Any] | None = json.loads(shown.out).get("my_list_status")
    return mine


@pytest.fixture(scope="module")
def catalogue(origin: str) -> list[dict[str, Any]]:
    """Titles of the sandbox with a known episode count of at least 4."""
    import httpx2

    from malclient.sandbox import WEB_APP

    answer = httpx2.get(
        f"{origin}/v2/anime/ranking",  # every title of the small catalogue
        params={"ranking_type": "all", "limit": 500, "fields": "num_episodes"},
        headers={"X-MAL-CLIENT-ID": WEB_APP.client_id},
    )
    rows = [row["node"] for row in answer.json()["data"]]
    return [row for row in rows if (row.get("num_episodes") or 0) >= 4]


class Titles:
    """Hands each test titles no other test touches."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = list(rows)

    def take(self) -> dict[str, Any]:
        return self.rows.pop()


@pytest.fixture(scope="module")
def titles(catalogue: list[dict[str, Any]]) -> Titles:
    return Titles(catalogue)


def put_state(
    capsys: pytest.CaptureFixture[str], config: Path, origin: str, anime_id: int, *flags: str
) -> None:
    """The title on the list with exactly `flags` set (whatever the sandbox's list had on it)."""
    gone = run_mal(capsys, "list", "rm", str(anime_id), *where(config, origin))
    assert gone.code == 0, gone.err
    done = run_mal(capsys, "list", "set", str(anime_id), *flags, *where(config, origin))
    assert done.code == 0, done.err
    reset(origin)


TODAY = date.today().isoformat()

# --- show -------------------------------------------------------------------------------------


def test_show_prints_the_whole_list_as_a_table_and_as_json(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str
) -> None:
    reset(origin)
    rows = entries(capsys, alice, origin)
    assert len(rows) > 0
    assert {"node", "list_status"} <= set(rows[0])
    table = run_mal(capsys, "list", "show", *where(alice, origin))
    assert table.code == 0, table.err
    for row in rows[:20]:
        assert row["node"]["title"] in table.out
    watching = entries(capsys, alice, origin, "--status", "watching")
    assert watching == [row for row in rows if row["list_status"]["status"] == "watching"]


def test_your_own_list_again_costs_one_request_and_accounts_never_mix(
    capsys: pytest.CaptureFixture[str], alice: Path, nobody: Path, origin: str, tmp_path: Path
) -> None:
    first = entries(capsys, alice, origin)
    reset(origin)
    assert entries(capsys, alice, origin) == first
    # The mirror is kept by name; the name of the token's user was asked once and remembered.
    assert requests(origin) == {"users_user_id_animelist_get": 1}
    # Bob signing in with the same mirror file gets his own list, not alice's.
    sandbox_settings(origin, auto_approve="bob")
    try:
        bob = signed_in_config(tmp_path, sign_in(origin))
    finally:
        sandbox_settings(origin, auto_approve="alice")
    bobs = entries(capsys, bob, origin)
    assert bobs == entries(capsys, nobody, origin, "--user", "bob")
    assert {row["node"]["id"] for row in bobs} != {row["node"]["id"] for row in first}


def test_a_damaged_cache_file_is_a_one_line_error_and_is_left_alone(
    capsys: pytest.CaptureFixture[str], nobody: Path, origin: str, tmp_path: Path
) -> None:
    mirror = tmp_path / "lists.sqlite3"  # the file MAL_MIRROR names in these tests
    mirror.write_bytes(b"not a database")
    shown = run_mal(capsys, "list", "show", "--user", "alice", *where(nobody, origin))
    assert (shown.code, shown.out) == (2, "")
    assert shown.err == (
        f"mal: Cannot use {mirror}: file is not a database. It is only a cache: delete it (or "
        "set MAL_MIRROR to a file in another folder) and run the command again.\n"
    )
    assert mirror.read_bytes() == b"not a database"
    mirror.unlink()
    (tmp_path / "relations.sqlite3").write_bytes(b"not a database either")
    crawl = run_mal(capsys, "list", "franchises", "--user", "alice", *where(nobody, origin))
    assert crawl.code == 2
    assert crawl.err.startswith(f"mal: Cannot use {tmp_path / 'relations.sqlite3'}: ")


def test_show_reads_anyones_list_with_the_client_id_alone(
    capsys: pytest.CaptureFixture[str], alice: Path, nobody: Path, origin: str
) -> None:
    mine = entries(capsys, alice, origin)
    public = entries(capsys, nobody, origin, "--user", "alice")
    assert [row["node"]["id"] for row in public] == [row["node"]["id"] for row in mine]
    refused = run_mal(capsys, "list", "show", *where(nobody, origin))
    assert refused.code == 3
    blank = run_mal(capsys, "list", "show", "--user", " ", *where(nobody, origin))
    assert (blank.code, blank.err) == (
        2,
        "mal: --user needs a user name (leave it out for your own list).\n",
    )


def test_show_reads_the_manga_list(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str
) -> None:
    manga = entries(capsys, alice, origin, "--manga")
    assert manga
    assert all("num_chapters_read" in row["list_status"] for row in manga)
    table = run_mal(capsys, "list", "show", "--manga", *where(alice, origin))
    assert f"{manga[0]['list_status']['num_chapters_read']}/" in table.out


# --- set --------------------------------------------------------------------------------------


def test_set_sends_one_patch_with_only_the_given_fields(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str, titles: Titles
) -> None:
    anime_id = titles.take()["id"]
    put_state(capsys, alice, origin, anime_id, "--status", "on_hold", "--comments", "keep me")
    done = run_mal(capsys, "list", "set", str(anime_id), "--score", "8", *where(alice, origin))
    assert done.code == 0, done.err
    assert "score 8" in done.out
    assert patches(origin) == 1
    saved = entry(capsys, alice, origin, anime_id)
    assert saved is not None
    assert saved["score"] == 8
    assert saved["status"] == "on_hold"  # not sent, so kept


def test_set_without_a_change_is_a_usage_error_and_sends_nothing(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str
) -> None:
    reset(origin)
    refused = run_mal(capsys, "list", "set", "1", *where(alice, origin))
    assert refused.code == 2
    assert "Nothing to change" in refused.err
    manga_flag = run_mal(capsys, "list", "set", "1", "--chapters", "3", *where(alice, origin))
    assert manga_flag.code == 2
    assert patches(origin) == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("show", "--status", "reading"), "--status reading is not a status of the anime list"),
        (("show", "--manga", "--status", "watching"), "use one of reading, completed"),
        (("show", "--manga", "--sort", "anime_title"), "use one of list_score, list_updated_at"),
        (("set", "1", "--status", "plan_to_read"), "(or add --manga)"),
    ],
)
def test_the_other_lists_status_or_order_is_a_usage_error_before_any_request(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str, args: tuple[str, ...], says: str
) -> None:
    reset(origin)
    refused = run_mal(capsys, "list", *args, *where(alice, origin))
    assert (refused.code, refused.out) == (2, "")
    assert says in refused.err
    assert refused.err.count("\n") == 1
    assert sum(requests(origin).values()) == 0


# --- naming a title by words of its names ------------------------------------------------------


def names_on_list(capsys: pytest.CaptureFixture[str], config: Path, origin: str) -> dict[int, str]:
    """Each entry's names (title and alternative titles), lower-cased, by id."""
    found = {}
    for row in entries(capsys, config, origin):
        node = row["node"]
        other = node.get("alternative_titles") or {}
        names = [
            node["title"],
            other.get("en", ""),
            other.get("ja", ""),
            *other.get("synonyms", []),
        ]
        found[node["id"]] = " ".join(names).casefold()
    return found


def test_a_title_on_the_list_can_be_named_by_a_word_of_its_names(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str, titles: Titles
) -> None:
    row = titles.take()
    put_state(capsys, alice, origin, row["id"], "--status", "plan_to_watch")
    names = names_on_list(capsys, alice, origin)
    unique = [w for w in names[row["id"]].split() if sum(w in n for n in names.values()) == 1]
    name = unique[0] if unique else row["title"]  # a full title always names it
    reset(origin)
    done = run_mal(capsys, "list", "inc", name, *where(alice, origin))
    assert done.code == 0, done.err
    assert f"Now anime {row['id']}: watching, 1 episodes" in done.out
    assert patches(origin) == 1
    assert (entry(capsys, alice, origin, row["id"]) or {})["num_episodes_watched"] == 1


def test_words_that_name_several_titles_or_none_change_nothing(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str
) -> None:
    names = names_on_list(capsys, alice, origin)
    words = {w for n in names.values() for w in n.split() if len(w) >= 3}
    shared = sorted(w for w in words if sum(w in n for n in names.values()) >= 2)[0]
    reset(origin)
    several = run_mal(capsys, "list", "rm", shared, *where(alice, origin))
    assert (several.code, several.out) == (2, "")
    assert f"titles on your anime list match {shared!r}" in several.err
    assert "give the id or more words" in several.err
    assert several.err.count("\n") == 1
    none = run_mal(capsys, "list", "set", "zzqx nothing", "--score", "5", *where(alice, origin))
    assert (none.code, none.out) == (6, "")
    assert "`mal anime search zzqx nothing` finds it" in none.err
    assert sum(n for op, n in requests(origin).items() if "my_list_status" in op) == 0


# --- inc: every transition, one PATCH each ----------------------------------------------------


def test_inc_starts_a_planned_title(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str, titles: Titles
) -> None:
    anime_id = titles.take()["id"]
    put_state(
        capsys, alice, origin, anime_id, "--status", "plan_to_watch", "--episodes", "0",
        "--start-date", "",
    )  # fmt: skip
    done = run_mal(capsys, "list", "inc", str(anime_id), *where(alice, origin))
    assert done.code == 0, done.err
    assert patches(origin) == 1
    saved = entry(capsys, alice, origin, anime_id)
    assert saved is not None
    assert saved["status"] == "watching"
    assert saved["num_episodes_watched"] == 1
    assert saved["start_date"] == TODAY


def test_inc_adds_a_title_not_on_the_list_as_watching(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str, titles: Titles
) -> None:
    anime_id = titles.take()["id"]
    run_mal(capsys, "list", "rm", str(anime_id), *where(alice, origin))
    reset(origin)
    done = run_mal(capsys, "list", "inc", str(anime_id), "2", *where(alice, origin))
    assert done.code == 0, done.err
    assert patches(origin) == 1
    saved = entry(capsys, alice, origin, anime_id)
    assert saved is not None
    assert (saved["status"], saved["num_episodes_watched"]) == ("watching", 2)
    assert saved["start_date"] == TODAY


def test_inc_to_the_last_episode_completes_with_a_finish_date(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str, titles: Titles
) -> None:
    title = titles.take()
    total = title["num_episodes"]
    put_state(
        capsys, alice, origin, title["id"], "--status", "watching", "--episodes", str(total - 1),
        "--start-date", "2024-01-02",
    )  # fmt: skip
    done = run_mal(capsys, "list", "inc", str(title["id"]), *where(alice, origin))
    assert done.code == 0, done.err
    assert "completed" in done.out
    assert patches(origin) == 1
    saved = entry(capsys, alice, origin, title["id"])
    assert saved is not None
    assert (saved["status"], saved["num_episodes_watched"]) == ("completed", total)
    assert saved["finish_date"] == TODAY
    assert saved["start_date"] == "2024-01-02"


def test_inc_clamps_to_the_total(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str, titles: Titles
) -> None:
    title = titles.take()
    put_state(capsys, alice, origin, title["id"], "--status", "watching", "--episodes", "1")
    done = run_mal(capsys, "list", "inc", str(title["id"]), "500", *where(alice, origin))
    assert done.code == 0, done.err
    assert patches(origin) == 1
    saved = entry(capsys, alice, origin, title["id"])
    assert saved is not None
    assert saved["num_episodes_watched"] == title["num_episodes"]
    assert saved["status"] == "completed"


def test_inc_in_the_middle_keeps_watching(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str, titles: Titles
) -> None:
    title = titles.take()
    put_state(
        capsys, alice, origin, title["id"], "--status", "watching", "--episodes", "1",
        "--start-date", "2023-05-06",
    )  # fmt: skip
    done = run_mal(capsys, "list", "inc", str(title["id"]), "--json", *where(alice, origin))
    assert done.code == 0, done.err
    assert patches(origin) == 1
    printed = json.loads(done.out)
    assert (printed["status"], printed["num_episodes_watched"]) == ("watching", 2)
    assert printed["start_date"] == "2023-05-06"
    assert "finish_date" not in printed


def test_inc_on_a_finished_title_writes_nothing(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str, titles: Titles
) -> None:
    title = titles.take()
    total = str(title["num_episodes"])
    put_state(capsys, alice, origin, title["id"], "--status", "completed", "--episodes", total)
    done = run_mal(capsys, "list", "inc", str(title["id"]), *where(alice, origin))
    assert done.code == 0, done.err
    assert patches(origin) == 0
    saved = entry(capsys, alice, origin, title["id"])
    assert saved is not None
    assert saved["num_episodes_watched"] == title["num_episodes"]


def test_inc_never_lowers_progress_without_force(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str, titles: Titles
) -> None:
    title = titles.take()
    put_state(capsys, alice, origin, title["id"], "--status", "watching", "--episodes", "3")
    refused = run_mal(capsys, "list", "inc", str(title["id"]), "-2", *where(alice, origin))
    assert refused.code == 2
    assert "--force" in refused.err
    assert sum(requests(origin).values()) == 0
    forced = run_mal(
        capsys, "list", "inc", str(title["id"]), "-2", "--force", *where(alice, origin)
    )
    assert forced.code == 0, forced.err
    assert patches(origin) == 1
    saved = entry(capsys, alice, origin, title["id"])
    assert saved is not None
    assert (saved["status"], saved["num_episodes_watched"]) == ("watching", 1)


def test_inc_counts_manga_chapters(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str
) -> None:
    manga = entries(capsys, alice, origin, "--manga", "--status", "reading")
    if not manga:
        manga = entries(capsys, alice, origin, "--manga")
    row = manga[0]
    before = row["list_status"]["num_chapters_read"]
    total = row["node"].get("num_chapters") or 0
    reset(origin)
    done = run_mal(capsys, "list", "inc", str(row["node"]["id"]), "--manga", *where(alice, origin))
    assert done.code == 0, done.err
    after = {r["node"]["id"]: r for r in entries(capsys, alice, origin, "--manga")}
    expected = min(before + 1, total) if total else before + 1
    assert after[row["node"]["id"]]["list_status"]["num_chapters_read"] == expected
    assert requests(origin)["manga_manga_id_my_list_status_put"] <= 1


# --- rm ---------------------------------------------------------------------------------------


def test_rm_removes_and_a_second_rm_is_not_an_error(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str, titles: Titles
) -> None:
    anime_id = titles.take()["id"]
    put_state(capsys, alice, origin, anime_id, "--status", "dropped")
    removed = run_mal(capsys, "list", "rm", str(anime_id), *where(alice, origin))
    assert removed.code == 0, removed.err
    assert "Removed" in removed.out
    assert entry(capsys, alice, origin, anime_id) is None
    again = run_mal(capsys, "list", "rm", str(anime_id), *where(alice, origin))
    assert again.code == 0
    assert "was not on your list" in again.out


def test_rm_json_says_whether_an_entry_was_removed(
    capsys: pytest.CaptureFixture[str], alice: Path, nobody: Path, origin: str, titles: Titles
) -> None:
    anime_id = titles.take()["id"]
    put_state(capsys, alice, origin, anime_id, "--status", "on_hold")
    assert anime_id in {row["node"]["id"] for row in entries(capsys, alice, origin)}

    removed = run_mal(capsys, "list", "rm", str(anime_id), "--json", *where(alice, origin))

    assert removed.code == 0, removed.err
    assert json.loads(removed.out) == {"id": anime_id, "kind": "anime", "removed": True}
    assert requests(origin)["anime_anime_id_my_list_status_delete"] == 1
    assert entry(capsys, alice, origin, anime_id) is None
    assert anime_id not in {row["node"]["id"] for row in entries(capsys, alice, origin)}
    again = run_mal(capsys, "list", "rm", str(anime_id), "--json", *where(alice, origin))
    assert again.code == 0, again.err
    assert json.loads(again.out) == {"id": anime_id, "kind": "anime", "removed": False}

    # alice's list holds every manga of the small catalogue: one leaves it and comes back.
    manga = entries(capsys, alice, origin, "--manga")
    kept = next(row for row in manga if row["list_status"]["status"] != "reading")
    manga_id = kept["node"]["id"]
    gone = run_mal(capsys, "list", "rm", str(manga_id), "--manga", "--json", *where(alice, origin))
    assert gone.code == 0, gone.err
    assert json.loads(gone.out) == {"id": manga_id, "kind": "manga", "removed": True}
    assert manga_id not in {row["node"]["id"] for row in entries(capsys, alice, origin, "--manga")}
    put_state(capsys, alice, origin, manga_id, "--manga", "--status", kept["list_status"]["status"])

    refused = run_mal(capsys, "list", "rm", str(anime_id), "--json", *where(nobody, origin))
    assert refused.code == 3
    assert refused.out == ""
    assert refused.err.startswith("mal: ")


# --- export -----------------------------------------------------------------------------------


def test_export_json_keeps_every_entry_and_field(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str, tmp_path: Path
) -> None:
    target = tmp_path / "alice.json"
    done = run_mal(capsys, "list", "export", "-o", str(target), *where(alice, origin))
    assert done.code == 0, done.err
    exported = json.loads(target.read_text(encoding="utf-8"))
    shown = entries(capsys, alice, origin)
    assert [row["node"]["id"] for row in exported] == [row["node"]["id"] for row in shown]
    for full, brief in zip(exported, shown, strict=True):
        # The export asks for more (dates, rewatch counts, tags...), never for less.
        assert {key: full["list_status"].get(key) for key in brief["list_status"]} == brief[
            "list_status"
        ]
    assert any("num_times_rewatched" in row["list_status"] for row in exported)
    assert f"{len(exported)} anime entries" in done.err
    assert not list(tmp_path.glob(".*partial"))
    to_stdout = run_mal(capsys, "list", "export", "-o", "-", *where(alice, origin))
    assert to_stdout.code == 0, to_stdout.err
    assert json.loads(to_stdout.out) == exported


def test_export_csv_has_one_row_per_entry(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str, tmp_path: Path
) -> None:
    target = tmp_path / "alice.csv"
    done = run_mal(
        capsys, "list", "export", "--format", "csv", "-o", str(target), *where(alice, origin)
    )
    assert done.code == 0, done.err
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    shown = entries(capsys, alice, origin)
    assert [int(row["id"]) for row in rows] == [row["node"]["id"] for row in shown]
    first = shown[0]
    assert rows[0]["status"] == first["list_status"]["status"]
    assert rows[0]["title"] == first["node"]["title"]


# --- as a real process ------------------------------------------------------------------------


def test_a_real_process_bumps_an_episode_with_one_patch(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str, titles: Titles
) -> None:
    title = titles.take()
    put_state(capsys, alice, origin, title["id"], "--status", "watching", "--episodes", "1")
    done = run_process("list", "inc", str(title["id"]), *where(alice, origin))
    assert done.code == 0, done.err
    assert f"anime {title['id']}: watching, 2 episodes" in done.out
    assert requests(origin)[PUT] == 1
    shown = run_process("list", "show", "--status", "watching", "--json", *where(alice, origin))
    assert title["id"] in [row["node"]["id"] for row in json.loads(shown.out)]
