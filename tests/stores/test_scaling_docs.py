"""docs/scaling.md says what users can copy: every Python example there runs, in a fresh
interpreter, against a sandbox, a real Redis and each token store."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import RedisServer
from stores_support import sign_in_as

from malclient.sandbox import WEB_APP
from malclient.sandbox.server import SandboxServer
from malclient.stores import open_token_store
from tokens_support import sandbox_config

PAGE = Path(__file__).resolve().parents[2] / "docs" / "scaling.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)
ALICE = 7012345


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(sandbox_config()) as running:
        yield running


@pytest.fixture
def app_env(
    sandbox: SandboxServer, store_url: str, redis_server: RedisServer, tmp_path: Path
) -> dict[str, str]:
    """The environment of an app whose user alice has signed in."""
    with open_token_store(store_url) as store:
        store.put(sign_in_as(sandbox.url, "alice"), user_name="alice")
    return {
        "MAL_TOKEN_STORE": store_url,
        "MAL_USER_ID": str(ALICE),
        "MAL_CLIENT_ID": WEB_APP.client_id,
        "MAL_CLIENT_SECRET": WEB_APP.client_secret or "",
        "MAL_AUTH_URL": f"{sandbox.url}/v1/oauth2",
        "MAL_API_URL": f"{sandbox.url}/v2",
        "MAL_REDIS_URL": redis_server.url,
        "MAL_CONFIG": str(tmp_path / "no-config.yml"),
    }


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example-{n}" for n in range(len(EXAMPLES))])
def test_every_example_runs(example: str, app_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", example],
        capture_output=True,
        text=True,
        timeout=60,
        env=app_env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    if "users/@me" in example:
        assert "alice" in result.stdout  # the signed-in user's own profile, through the store
