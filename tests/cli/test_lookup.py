"""`mal anime|manga|forum`: tables a person can read, JSON a script can rely on, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import requests, reset, run_mal, run_process

from malclient._exceptions import Forbidden, NotFound, RateLimited, ServerError
from malclient.cli.output import command_exit_code


def where(config: Path, origin: str) -> list[str]:
    return ["--config", str(config), "--sandbox", origin]


def titles_of(capsys: pytest.CaptureFixture[str], config: Path, origin: str) -> list[dict]:  # type: ignore[type-arg]
    found = run_mal(capsys, "anime", "ranking", "--limit", "5", "--json", *where(config, origin))
    assert found.code == 0, found.err
    rows: list[dict] = json.loads(found.out)  # type: ignore[type-arg]
    return rows


def test_anime_ranking_prints_a_table_and_the_same_titles_as_json(
    capsys: pytest.CaptureFixture[str], nobody: Path, origin: str
) -> None:
    rows = titles_of(capsys, nobody, origin)
    assert [row["ranking"]["rank"] for row in rows] == [1, 2, 3, 4, 5]
    assert set(rows[0]["node"]) >= {"id", "title", "media_type", "num_episodes"}
    table = run_mal(capsys, "anime", "ranking", "--limit", "5", *where(nobody, origin))
    assert table.code == 0, table.err
    assert "rank" in table.out
    assert "title" in table.out
    for row in rows:
        assert row["node"]["title"] in table.out
        assert str(row["node"]["id"]) in table.out


def test_limit_and_offset_page_through_results(
    capsys: pytest.CaptureFixture[str], nobody: Path, origin: str
) -> None:
    first_five = titles_of(capsys, nobody, origin)
    later = run_mal(
        capsys,
        "anime",
        "ranking",
        "--limit",
        "2",
        "--offset",
        "3",
        "--json",
        *where(nobody, origin),
    )
    assert [row["node"]["id"] for row in json.loads(later.out)] == [
        row["node"]["id"] for row in first_five[3:5]
    ]
    bad = run_mal(capsys, "anime", "ranking", "--limit", "0", *where(nobody, origin))
    assert bad.code == 2
    assert bad.err.startswith("mal: ")
    assert bad.err.count("\n") == 1


def test_search_finds_a_title_by_its_words(
    capsys: pytest.CaptureFixture[str], nobody: Path, origin: str
) -> None:
    title = titles_of(capsys, nobody, origin)[0]["node"]["title"]
    words = max(title.split(), key=len)
    found = run_mal(capsys, "anime", "search", words, "--json", *where(nobody, origin))
    assert found.code == 0, found.err
    assert title in [row["node"]["title"] for row in json.loads(found.out)]


def test_show_prints_details_and_exact_json(
    capsys: pytest.CaptureFixture[str], nobody: Path, origin: str
) -> None:
    anime_id = titles_of(capsys, nobody, origin)[0]["node"]["id"]
    shown = run_mal(capsys, "anime", "show", str(anime_id), "--json", *where(nobody, origin))
    detail = json.loads(shown.out)
    assert detail["id"] == anime_id
    assert {"synopsis", "genres", "num_episodes", "related_anime"} <= set(detail)
    table = run_mal(capsys, "anime", "show", str(anime_id), *where(nobody, origin))
    assert detail["title"] in table.out
    assert "synopsis" in table.out
    narrow = run_mal(
        capsys, "anime", "show", str(anime_id), "--fields", "num_episodes", "--json",
        *where(nobody, origin),
    )  # fmt: skip
    assert set(json.loads(narrow.out)) == {"id", "title", "main_picture", "num_episodes"}


def test_a_missing_title_exits_6_with_one_line(
    capsys: pytest.CaptureFixture[str], nobody: Path, origin: str
) -> None:
    missing = run_mal(capsys, "anime", "show", "999999999", *where(nobody, origin))
    assert missing.code == 6
    assert missing.out == ""
    assert missing.err.startswith("mal: ")
    assert missing.err.count("\n") == 1


def test_season_lists_that_seasons_anime(
    capsys: pytest.CaptureFixture[str], nobody: Path, origin: str
) -> None:
    rows = titles_of(capsys, nobody, origin)
    shown = run_mal(
        capsys, "anime", "show", str(rows[0]["node"]["id"]), "--json", *where(nobody, origin)
    )
    start = json.loads(shown.out)["start_season"]
    found = run_mal(
        capsys, "anime", "season", str(start["year"]), start["season"], "--limit", "100",
        "--json", *where(nobody, origin),
    )  # fmt: skip
    assert found.code == 0, found.err
    assert rows[0]["node"]["id"] in [row["node"]["id"] for row in json.loads(found.out)]


def test_suggest_needs_a_signed_in_user(
    capsys: pytest.CaptureFixture[str], nobody: Path, alice: Path, origin: str
) -> None:
    refused = run_mal(capsys, "anime", "suggest", *where(nobody, origin))
    assert refused.code == 3
    assert "mal auth login" in refused.err
    reset(origin)
    found = run_mal(capsys, "anime", "suggest", "--limit", "3", "--json", *where(alice, origin))
    assert found.code == 0, found.err
    assert len(json.loads(found.out)) <= 3
    assert requests(origin)["anime_suggestions_get"] == 1


def test_manga_search_show_and_ranking(
    capsys: pytest.CaptureFixture[str], nobody: Path, origin: str
) -> None:
    ranked = run_mal(capsys, "manga", "ranking", "--limit", "3", "--json", *where(nobody, origin))
    rows = json.loads(ranked.out)
    assert [row["ranking"]["rank"] for row in rows] == [1, 2, 3]
    manga_id = rows[0]["node"]["id"]
    detail = json.loads(
        run_mal(capsys, "manga", "show", str(manga_id), "--json", *where(nobody, origin)).out
    )
    assert detail["id"] == manga_id
    assert "num_chapters" in detail
    table = run_mal(capsys, "manga", "show", str(manga_id), *where(nobody, origin))
    assert detail["title"] in table.out
    word = max(detail["title"].split(), key=len)
    found = run_mal(capsys, "manga", "search", word, "--json", *where(nobody, origin))
    assert manga_id in [row["node"]["id"] for row in json.loads(found.out)]


def test_forum_boards_topics_and_a_topic(
    capsys: pytest.CaptureFixture[str], nobody: Path, origin: str
) -> None:
    boards = json.loads(run_mal(capsys, "forum", "boards", "--json", *where(nobody, origin)).out)
    board = boards["categories"][0]["boards"][0]
    table = run_mal(capsys, "forum", "boards", *where(nobody, origin))
    assert board["title"] in table.out
    listed = run_mal(
        capsys, "forum", "topics", "--board", str(board["id"]), "--limit", "3", "--json",
        *where(nobody, origin),
    )  # fmt: skip
    assert listed.code == 0, listed.err
    topics = json.loads(listed.out)
    assert 1 <= len(topics) <= 3
    topic = run_mal(
        capsys, "forum", "topic", str(topics[0]["id"]), "--json", *where(nobody, origin)
    )
    detail = json.loads(topic.out)
    assert set(detail) == {"title", "poll", "posts"}
    assert detail["title"] == topics[0]["title"]
    readable = run_mal(capsys, "forum", "topic", str(topics[0]["id"]), *where(nobody, origin))
    assert topics[0]["title"] in readable.out


def test_forum_topics_without_a_board_or_query_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], nobody: Path, origin: str
) -> None:
    reset(origin)
    refused = run_mal(capsys, "forum", "topics", *where(nobody, origin))
    assert refused.code == 2
    assert "--board" in refused.err
    assert requests(origin)["forum_topics_get"] == 0


def test_exit_codes_tell_rate_limits_and_not_found_apart() -> None:
    assert command_exit_code(RateLimited("slow down", status=403)) == 5
    assert command_exit_code(NotFound("gone", status=404)) == 6
    assert command_exit_code(Forbidden("no", status=403)) == 4
    assert command_exit_code(ServerError("down", status=503)) == 4


def test_a_real_process_prints_a_table_and_json(nobody: Path, origin: str) -> None:
    table = run_process("anime", "ranking", "--limit", "3", *where(nobody, origin))
    assert table.code == 0, table.err
    as_json = run_process("anime", "ranking", "--limit", "3", "--json", *where(nobody, origin))
    rows = json.loads(as_json.out)
    for row in rows:
        assert row["node"]["title"] in table.out
    missing = run_process("manga", "show", "999999999", *where(nobody, origin))
    assert missing.code == 6
    assert missing.err.startswith("mal: ")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("anime", "search", "ab"), "3 to 64 characters"),
        (("manga", "search", "frieren", "--fields", "synopsys"), "Did you mean"),
        (("anime", "show", "0"), "positive id"),
    ],
)
def test_an_argument_mal_would_refuse_is_a_usage_error_and_sends_nothing(
    capsys: pytest.CaptureFixture[str], nobody: Path, origin: str, args: tuple[str, ...], says: str
) -> None:
    reset(origin)
    result = run_mal(capsys, *args, *where(nobody, origin))
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("mal: ")
    assert says in result.err
    assert result.err.count("\n") == 1
    assert sum(requests(origin).values()) == 0
