"""Every `mal` command's help shows examples and the description of each of its options."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import docstring_parser
import pytest
from cli_support import run_mal

from malclient.cli.app import app


def leaf_commands(node: object = app, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    names = [name for name in node if not name.startswith("-")]  # type: ignore[attr-defined]
    if not names:
        yield path
    for name in names:
        yield from leaf_commands(node[name], (*path, name))  # type: ignore[index]


COMMANDS = sorted(leaf_commands())


def test_the_tree_is_walked() -> None:
    assert {("list", "franchises"), ("auth", "status"), ("anime", "search")} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_shows_examples_and_every_option(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one option per line, never wrapped
    result = run_mal(capsys, *command, "--help")
    assert result.code == 0
    assert f"mal {' '.join(command)}" in result.out
    assert "Examples" in result.out
    function = app[command[0]]
    for name in command[1:]:
        function = function[name]
    handler = function.default_command  # type: ignore[attr-defined]
    documented = docstring_parser.numpydoc.parse(inspect.getdoc(handler) or "")
    shown = " ".join(result.out.replace("`", "").split())
    for param in documented.params:
        words = (param.description or "").replace("`", "").split()
        # The docstring's own description reaches the help, not just the option's name.
        assert " ".join(words[:4]) in shown, param.arg_name
