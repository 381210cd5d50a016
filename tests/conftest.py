"""Shared fixtures: the sandbox in-process (fast) and on a real loopback port (for I/O faults)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from malclient.sandbox import SandboxApp, SandboxConfig, create_app
from malclient.sandbox.server import SandboxServer


@pytest.fixture
def config() -> SandboxConfig:
    return SandboxConfig()


@pytest.fixture
def app(config: SandboxConfig) -> SandboxApp:
    return create_app(config)


@pytest.fixture
def client(app: SandboxApp) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://sandbox.test") as test_client:
        yield test_client


@pytest.fixture
def server(config: SandboxConfig) -> Iterator[SandboxServer]:
    with SandboxServer(config) as running:
        yield running
