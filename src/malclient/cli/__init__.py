"""The `mal` command. Thin: parse, call, render. Heavy stacks are imported inside commands."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in ([], ["--help"], ["-h"]):
        # The kept rendering of cyclopts' help (cli/_help.py): no framework import at all.
        from malclient.cli._help import KEPT

        sys.stdout.write(KEPT.read_text(encoding="utf-8"))
        return
    try:
        from malclient.cli.app import app
    except ImportError as exc:  # pragma: no cover - depends on the install
        sys.exit(
            f"mal: the command line needs its extras ({exc.name} is missing): "
            "pip install 'malclient[cli]'"
        )
    app()
