"""Fixtures of the `mal` command tests: one sandbox per test module, alice signed in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import signed_in_config

from malclient.sandbox.server import SandboxServer
from tokens_support import kometa_config, sandbox_config, sign_in


@pytest.fixture(autouse=True)
def _no_pacing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The sandbox is not MAL: the CLI's default two requests a second only slows the tests.
    monkeypatch.setenv("MAL_RATE", "off")
    monkeypatch.delenv("MAL_CONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    # Each test starts with no list mirror, whatever earlier tests read.
    monkeypatch.setenv("MAL_MIRROR", str(tmp_path / "lists.sqlite3"))


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with SandboxServer(sandbox_config()) as server:
        yield server.url


@pytest.fixture(scope="module")
def alice(origin: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config file with alice's tokens."""
    return signed_in_config(tmp_path_factory.mktemp("alice"), sign_in(origin))


@pytest.fixture
def nobody(tmp_path: Path) -> Path:
    """A config file with the app's client id and no tokens."""
    return kometa_config(tmp_path)
