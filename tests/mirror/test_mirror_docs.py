"""docs/mirror.md's examples run as written: each in a fresh interpreter and a fresh folder,
configured only through MAL_* variables, against a sandbox where alice has run `mal auth login`."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from malclient.sandbox import WEB_APP, SandboxConfig
from malclient.sandbox.server import SandboxServer
from malclient.session import ConfigTokenStore
from tokens_support import kometa_config, sign_in

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = re.findall(
    r"```python\n(.*?)```", (ROOT / "docs" / "mirror.md").read_text(encoding="utf-8"), re.DOTALL
)


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("mirror-docs")
    with SandboxServer(SandboxConfig(auto_approve="alice")) as sandbox:
        config = kometa_config(home)
        ConfigTokenStore(config, WEB_APP.client_id).save(sign_in(sandbox.url))
        yield {
            "MAL_CONFIG": str(config),
            "MAL_CLIENT_ID": WEB_APP.client_id,
            "MAL_API_URL": f"{sandbox.url}/v2",
            "MAL_AUTH_URL": f"{sandbox.url}/v1/oauth2",
            "MAL_RATE": "50",  # quicker than MAL's pace, for the test
        }


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) == 3


@pytest.mark.parametrize("code", EXAMPLES, ids=[f"mirror.md-{n}" for n in range(len(EXAMPLES))])
def test_every_example_runs(code: str, environment: dict[str, str], tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "the example printed nothing"
    assert (tmp_path / "lists.db").exists()


def test_the_first_example_shows_one_request_for_a_resync(
    environment: dict[str, str], tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", EXAMPLES[0]],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        cwd=tmp_path,
        check=True,
    )
    assert result.stdout.split()[:2] == ["1", "1"]  # alice's list fits one page
