"""Helpers for the model tests: a shared sandbox, its tokens, and MAL's JSON normalised where
the models normalise it on purpose (status counts sent as strings become ints)."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from starlette.testclient import TestClient

from malclient.sandbox import SandboxApp, SandboxConfig, create_app
from malclient.sandbox.config import WEB_APP

CLIENT_ID = {"X-MAL-CLIENT-ID": WEB_APP.client_id}


@cache
def shared_app() -> SandboxApp:
    """One sandbox for the read-only model tests (catalogue generation takes a second)."""
    return create_app(SandboxConfig())


def bearer(app: SandboxApp, user: str = "alice") -> dict[str, str]:
    account = app.sandbox.catalogue.users[user].account
    token = app.sandbox.tokens.issue(WEB_APP.client_id, account.name, account.id)[0]
    return {"Authorization": f"Bearer {token.value}"}


def get_bytes(
    client: TestClient,
    path: str,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """The body of a successful GET, authenticated by `headers` or else the client id."""
    response = client.get(path, params=params, headers=headers or CLIENT_ID)
    assert response.status_code == 200, response.text
    return response.content


def as_models_dump(value: Any) -> Any:
    """MAL's JSON as `dump()` writes it back: `statistics.status` counts as numbers."""
    value = copy.deepcopy(value)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            stats = node.get("statistics")
            if isinstance(stats, dict) and isinstance(stats.get("status"), dict):
                stats["status"] = {key: int(count) for key, count in stats["status"].items()}
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(value)
    return value
