"""`AsyncListMirror` over an `AsyncClient` (sandbox in-process): the same syncs, awaited."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from mirror_support import LIST_REQUESTS, asgi_client

from malclient.mirror import AsyncListMirror
from malclient.sandbox import SandboxApp, SandboxConfig, create_app


@pytest.fixture(scope="module")
def app() -> SandboxApp:
    return create_app(SandboxConfig())


def list_requests(app: SandboxApp) -> int:
    return app.sandbox.stats.requests[LIST_REQUESTS]


def test_async_sync_copies_then_follows_changes_and_deletions(
    app: SandboxApp, tmp_path: Path
) -> None:
    async def main() -> None:
        async with (
            asgi_client(app) as reader,
            asgi_client(app, "bob") as bob,
            AsyncListMirror(tmp_path / "m.db", reader, "bob") as mirror,
        ):
            first = await mirror.sync()
            assert first.full
            assert first.entries == 10_500
            assert {e.node.id for e in mirror} == set(app.sandbox.catalogue.users["bob"].animelist)

            app.sandbox.stats.reset()
            assert (await mirror.sync()).requests == list_requests(app) == 1

            one, two = (e.node.id for e in mirror.entries(sort="anime_id", limit=2))
            answer = await bob.animelist.update(one, status="on_hold")
            mirror.apply(one, answer)
            assert await bob.animelist.delete(two)
            result = await mirror.sync()
            assert (result.requests, result.changed, result.removed) == (1, 0, 0)
            entry = mirror.get(one)
            assert entry is not None
            assert entry.list_status is not None
            assert entry.list_status.status == "on_hold"
            assert two in mirror

            result = await mirror.full_sync()
            assert (result.removed, result.entries) == (1, 10_499)
            assert two not in mirror

    asyncio.run(main())
