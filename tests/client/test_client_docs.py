"""docs/client.md and the README's client section say what users can copy: every Python example
there runs in a fresh interpreter, configured only through MAL_* variables, against a sandbox
where alice has run `mal auth login`."""

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
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
PAGE = BLOCK.findall((ROOT / "docs" / "client.md").read_text(encoding="utf-8"))
README = (ROOT / "README.md").read_text(encoding="utf-8")
README_CLIENT = BLOCK.findall(README.split("## The client", 1)[1].split("\n## ", 1)[0])
EXAMPLES = [(f"client.md-{n}", code) for n, code in enumerate(PAGE)] + [
    (f"README-{n}", code) for n, code in enumerate(README_CLIENT)
]


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("client-docs")
    with SandboxServer(SandboxConfig(auto_approve="alice")) as sandbox:
        config = kometa_config(home)
        ConfigTokenStore(config, WEB_APP.client_id).save(sign_in(sandbox.url))
        yield {
            "MAL_CONFIG": str(config),
            "MAL_CLIENT_ID": WEB_APP.client_id,
            "MAL_API_URL": f"{sandbox.url}/v2",
            "MAL_AUTH_URL": f"{sandbox.url}/v1/oauth2",
            "MAL_RATE": "50",  # quicker than MAL's pace, for the test
            "XDG_CACHE_HOME": str(home / "cache"),
        }


def test_the_docs_have_examples() -> None:
    assert len(PAGE) >= 6
    assert len(README_CLIENT) == 1


@pytest.mark.parametrize("code", [code for _, code in EXAMPLES], ids=[n for n, _ in EXAMPLES])
def test_every_example_runs(code: str, environment: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "the example printed nothing"
