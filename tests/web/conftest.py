"""Fixtures for the sign-in page: a small sandbox and the page in front of it, both on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from malclient.sandbox.config import SandboxConfig
from malclient.sandbox.server import SandboxServer
from malclient.web.server import WebServer


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    # A small catalogue: these tests sign in and ask only /users/@me.
    with SandboxServer(SandboxConfig(anime_count=300, manga_count=100)) as running:
        yield running


@pytest.fixture(scope="module")
def page(sandbox: SandboxServer) -> Iterator[WebServer]:
    with WebServer(auth_url=f"{sandbox.url}/v1/oauth2", api_url=f"{sandbox.url}/v2") as running:
        yield running
