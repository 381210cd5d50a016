"""docs/politeness.md says what users can copy: every Python example there runs, against a
sandbox, in a fresh interpreter configured only through MAL_* variables."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from malclient.sandbox import WEB_APP
from malclient.sandbox.server import SandboxServer
from tokens_support import sandbox_config

PAGE = Path(__file__).resolve().parents[1] / "docs" / "politeness.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("politeness-docs")
    with SandboxServer(sandbox_config()) as sandbox:
        yield {
            "MAL_CONFIG": str(home / "config.yml"),
            "MAL_CLIENT_ID": WEB_APP.client_id,
            "MAL_API_URL": f"{sandbox.url}/v2",
            "MAL_RATE": "20",  # the examples' pace, quicker than MAL's for the test
            "XDG_CACHE_HOME": str(home / "cache"),
        }


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example-{n}" for n in range(len(EXAMPLES))])
def test_every_example_runs(example: str, environment: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", example],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Blocked for now" not in result.stdout


def test_the_logging_example_prints_the_line_the_page_shows(environment: dict[str, str]) -> None:
    example = next(e for e in EXAMPLES if "logging.basicConfig" in e)
    result = subprocess.run(
        [sys.executable, "-c", example],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=True,
    )
    assert re.search(
        r"DEBUG malclient\.http: GET /v2/anime/ranking\?ranking_type=all&limit=1 -> 200 in "
        r"\d+\.\d ms",
        result.stderr,
    )
