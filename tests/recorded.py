"""Where the real MAL responses recorded by others live (see their PROVENANCE.md).

A module of its own, not `conftest`: test folders each have a conftest.py, and importing
"conftest" by name gets whichever one Python loaded first.
"""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "mal-api" / "fixtures"


def fixture_json(name: str) -> object:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))
