"""Tables: columns line up by what a terminal shows (wide characters count two), a terminal's
width folds the title column without losing a word, and a pipe gets whole lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_support import run_mal, run_on_terminal
from rich.cells import cell_len

from malclient.cli.output import write_table

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_columns_line_up_by_terminal_cells(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [["進撃の巨人", "16498", "tv"], ["Frieren", "52991", "tv"], ["Ｆｕｌｌ", "1", "movie"]]
    assert write_table(["title", "id", "type"], ["left", "right", "left"], rows) == 3
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["title", "id", "type"]
    assert set(lines[1].strip()) == {"─"}
    # Each row's type starts at the same cell: the ids end where the heading "id" ends.
    ends = {
        cell_len(line[: line.index(row[1]) + len(row[1])])
        for line, row in zip(lines[2:], rows, strict=True)
    }
    assert ends == {cell_len(lines[0][: lines[0].index("id") + 2])}


def test_a_section_row_is_a_heading_and_an_empty_one_a_blank_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows: list[list[str] | str] = ["First", ["1", "a"], "", "Second", ["2", "b"]]
    assert write_table(["#", "x"], ["right", "left"], rows) == 2
    assert capsys.readouterr().out.splitlines()[2:] == [" First", " 1  a", "", " Second", " 2  b"]


def test_a_narrow_terminal_folds_titles_and_loses_no_word(alice: Path, origin: str) -> None:
    where = ("--config", str(alice), "--sandbox", origin)
    code, screen = run_on_terminal("list", "show", *where, COLUMNS="60")
    assert code == 0, screen
    lines = [ANSI.sub("", line) for line in screen.replace("\r", "").splitlines()]
    assert all(cell_len(line) <= 60 for line in lines), max(lines, key=cell_len)
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["id", "title"])
    start, end = lines[header].index("title"), lines[header].index("type")
    # Each entry's title, put back together from its folded lines.
    shown: list[str] = []
    for line in lines[header + 2 :]:
        if not line.strip() or line.endswith("entries."):
            continue
        piece = line[start:end].strip()
        if line[:start].strip():  # an id: a new entry
            shown.append(piece)
        else:
            shown[-1] += piece
    code, answer = run_on_terminal("list", "show", "--json", *where)
    titles = [row["node"]["title"] for row in json.loads(answer[answer.index("[") :])]
    assert any(len(title) > 40 for title in titles), "some titles need folding at 60 columns"
    assert [piece.replace(" ", "") for piece in shown] == [t.replace(" ", "") for t in titles]


def test_a_pipe_gets_each_entry_on_one_line(
    capsys: pytest.CaptureFixture[str], alice: Path, origin: str
) -> None:
    where = ("--config", str(alice), "--sandbox", origin)
    rows = json.loads(run_mal(capsys, "list", "show", "--json", *where).out)
    table = run_mal(capsys, "list", "show", *where)
    assert len(table.out.splitlines()) == 2 + len(rows)
    for line, row in zip(table.out.splitlines()[2:], rows, strict=True):
        assert row["node"]["title"] in line
