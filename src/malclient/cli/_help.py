"""The top-level `mal --help` text, rendered by cyclopts once and kept in `_help.txt`.

`mal` and `mal --help` are the commands people run first and most; printing the kept text costs
only Python's start-up, while importing cyclopts and rich to render it costs ~150 ms. Regenerate
with `python -m malclient.cli._help`; tests/test_cli.py fails when it drifts from the real help.
"""

from __future__ import annotations

from pathlib import Path

KEPT = Path(__file__).with_name("_help.txt")


def render() -> str:
    """What cyclopts prints for `mal --help`, at 80 columns and without colour."""
    import io

    from rich.console import Console

    from malclient.cli.app import app

    buffer = io.StringIO()
    console = Console(file=buffer, width=80, color_system=None, force_terminal=False)
    app.help_print([], console=console)
    return buffer.getvalue()


if __name__ == "__main__":
    KEPT.write_text(render(), encoding="utf-8")
