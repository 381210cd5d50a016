"""The `mal` command tree."""

from __future__ import annotations

import cyclopts

from malclient import __version__

app = cyclopts.App(name="mal", version=__version__, help="Sign in to MyAnimeList and use its API.")
