"""docs/tokens.md says what users can copy: every Python example there runs, against a sandbox."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from malclient.sandbox import WEB_APP
from malclient.sandbox.server import SandboxServer
from malclient.session import ConfigTokenStore
from tokens_support import kometa_config, sandbox_config, sign_in

PAGE = Path(__file__).resolve().parents[1] / "docs" / "tokens.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)


@pytest.fixture(scope="module")
def signed_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment of a user who ran `mal auth login` against the sandbox."""
    with SandboxServer(sandbox_config()) as sandbox:
        path = kometa_config(tmp_path_factory.mktemp("docs"))
        ConfigTokenStore(path, WEB_APP.client_id).save(sign_in(sandbox.url))
        yield {
            "MAL_CONFIG": str(path),
            "MAL_AUTH_URL": f"{sandbox.url}/v1/oauth2",
            "MAL_API_URL": f"{sandbox.url}/v2",
        }


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example-{n}" for n in range(len(EXAMPLES))])
def test_every_example_runs(example: str, signed_in: dict[str, str]) -> None:
    # A fresh interpreter, as a user would run it; only our variables point it at the sandbox.
    result = subprocess.run(
        [sys.executable, "-c", example],
        capture_output=True,
        text=True,
        timeout=60,
        env=signed_in,
        check=False,
    )
    assert result.returncode == 0, result.stderr
