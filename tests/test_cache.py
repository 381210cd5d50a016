"""The optional response cache: public reads answered from disk, a user's calls never stored,
list writes making stale pages fresh again, expiry, the size bound, and a broken file that never
breaks a request."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from malclient._cache import ResponseCache, default_cache_path
from malclient._protocol import ApiRequest, ApiResponse, Value, build_request
from malclient.sandbox import PUBLIC_APP, WEB_APP
from malclient.sandbox.server import SandboxServer
from malclient.session import AsyncSession, Session
from politeness_support import requests_seen, reset_stats, user
from tokens_support import sandbox_config

API = "https://api.myanimelist.net/v2"


@pytest.fixture
def sandbox() -> Iterator[str]:
    with SandboxServer(sandbox_config()) as running:
        yield running.url


@pytest.fixture
def ids(sandbox: str) -> list[int]:
    """Three anime the sandbox knows."""
    answer = httpx2.get(
        f"{sandbox}/v2/anime/ranking",
        params={"ranking_type": "all", "limit": 3},
        headers={"X-MAL-CLIENT-ID": WEB_APP.client_id},
    )
    return [edge["node"]["id"] for edge in answer.json()["data"]]


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[ResponseCache]:
    with ResponseCache(tmp_path / "cache" / "responses.sqlite3") as opened:
        yield opened


def public(sandbox: str, cache: ResponseCache | bool) -> Session:
    return Session(WEB_APP.client_id, api_url=f"{sandbox}/v2", cache=cache)


def get(path: str, client_id: str = WEB_APP.client_id, **params: str) -> ApiRequest:
    return build_request(API, "GET", path, params=params, client_id=client_id)


def ok(body: bytes = b'{"id":1}', status: int = 200) -> ApiResponse:
    return ApiResponse(status, {"content-type": "application/json"}, body)


# --- against the sandbox --------------------------------------------------------------------------


def test_a_repeated_public_read_costs_no_request(sandbox: str, cache: ResponseCache) -> None:
    params: dict[str, Value] = {"ranking_type": "all", "limit": 3}
    with public(sandbox, cache) as session:
        first = session.request("GET", "/anime/ranking", params=params)
        reset_stats(sandbox)
        again = session.request("GET", "/anime/ranking", params=params)
        other = session.request("GET", "/anime/ranking", params={**params, "limit": 2})
    assert again == first
    assert len(other["data"]) == 2
    assert requests_seen(sandbox) == 1  # only the page not seen before


def test_async_sessions_read_the_same_cache(
    sandbox: str, ids: list[int], cache: ResponseCache
) -> None:
    with public(sandbox, cache) as session:
        expected = session.request("GET", f"/anime/{ids[0]}")
    reset_stats(sandbox)

    async def main() -> object:
        async with AsyncSession(WEB_APP.client_id, api_url=f"{sandbox}/v2", cache=cache) as s:
            return await s.request("GET", f"/anime/{ids[0]}")

    assert asyncio.run(main()) == expected
    assert requests_seen(sandbox) == 0


def test_a_signed_in_users_calls_never_reach_the_cache(
    sandbox: str, ids: list[int], cache: ResponseCache
) -> None:
    manager = user(sandbox)
    reset_stats(sandbox)
    with Session(manager, api_url=f"{sandbox}/v2", cache=cache) as session:
        session.request("GET", "/users/@me")
        session.request("GET", "/users/@me")
        session.request("GET", f"/anime/{ids[0]}", params={"fields": "my_list_status"})
        session.request("GET", f"/anime/{ids[0]}", params={"fields": "my_list_status"})
    assert requests_seen(sandbox) == 4
    assert cache.stats()["entries"] == 0
    token = manager.token()
    on_disk = b"".join(path.read_bytes() for path in cache.path.parent.iterdir())
    assert token.access_token.encode() not in on_disk
    assert token.refresh_token.encode() not in on_disk


def test_a_list_write_makes_cached_public_pages_fresh_again(
    sandbox: str, cache: ResponseCache
) -> None:
    path = "/users/alice/animelist"
    params: dict[str, Value] = {"fields": "list_status", "limit": 5}
    with public(sandbox, cache) as reader:
        entry = reader.request("GET", path, params=params)["data"][0]
        anime_id, score = entry["node"]["id"], entry["list_status"]["score"]
        reader.request("GET", f"/anime/{anime_id}")
        new_score = 1 if score != 1 else 2
        with Session(user(sandbox), api_url=f"{sandbox}/v2", cache=cache) as writer:
            writer.request("PATCH", f"/anime/{anime_id}/my_list_status", data={"score": new_score})
        reset_stats(sandbox)
        page = reader.request("GET", path, params=params)
        reader.request("GET", f"/anime/{anime_id}")
    assert page["data"][0]["list_status"]["score"] == new_score
    assert requests_seen(sandbox) == 2  # both were asked again


def test_the_cache_outlives_the_session_and_the_process(
    sandbox: str, ids: list[int], tmp_path: Path
) -> None:
    where = tmp_path / "responses.sqlite3"
    with ResponseCache(where) as first, public(sandbox, first) as session:
        expected = session.request("GET", f"/anime/{ids[1]}")
    reset_stats(sandbox)
    with ResponseCache(where) as second, public(sandbox, second) as session:
        assert session.request("GET", f"/anime/{ids[1]}") == expected
    assert requests_seen(sandbox) == 0


def test_a_broken_cache_file_is_reported_and_never_fails_a_request(
    sandbox: str, ids: list[int], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "responses.sqlite3"
    blocked.mkdir()  # a directory where the file should be
    caplog.set_level(logging.WARNING, logger="malclient")
    with ResponseCache(blocked) as broken, public(sandbox, broken) as session:
        assert session.request("GET", f"/anime/{ids[0]}")["id"] == ids[0]
        assert session.request("GET", f"/anime/{ids[0]}")["id"] == ids[0]
    assert "cannot be used" in caplog.text
    assert caplog.text.count("cannot be used") == 1


def test_cache_true_uses_the_user_cache_directory_and_closes_with_the_session(
    sandbox: str, ids: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_path() == tmp_path / "xdg" / "malclient" / "responses.sqlite3"
    with public(sandbox, True) as session:
        session.request("GET", f"/anime/{ids[2]}")
        assert session.pipeline.cache is not None
        assert session.pipeline.cache.stats()["entries"] == 1
    assert default_cache_path().exists()
    assert session.pipeline.cache._db is None  # closed with the session that opened it


# --- keys, expiry, bounds (no network) ------------------------------------------------------------


def test_two_client_ids_never_share_answers(cache: ResponseCache) -> None:
    cache.put(get("/anime/1"), ok())
    assert cache.get(get("/anime/1")) == ok()
    assert cache.get(get("/anime/1", client_id=PUBLIC_APP.client_id)) is None


def test_the_same_query_in_another_order_or_as_a_paging_link_is_the_same_page(
    cache: ResponseCache,
) -> None:
    cache.put(get("/anime", q="naruto", limit="10", offset="10"), ok(b"page 2"))
    link = build_request(
        API, "GET", f"{API}/anime?offset=10&q=naruto&limit=10", client_id=WEB_APP.client_id
    )
    hit = cache.get(link)
    assert hit is not None
    assert hit.body == b"page 2"
    assert cache.get(get("/anime", q="naruto", limit="10", offset="20")) is None


def test_only_successful_public_reads_are_kept(cache: ResponseCache) -> None:
    cache.put(get("/anime/404"), ok(b'{"error":"not_found"}', status=404))
    patch = build_request(API, "PATCH", "/anime/1/my_list_status", data={"score": 1}, client_id="x")
    cache.put(patch, ok())
    assert cache.get(get("/anime/404")) is None
    assert cache.get(patch) is None
    assert cache.stats()["entries"] == 0


def test_answers_expire_after_the_ttl(tmp_path: Path) -> None:
    now = [1000.0]
    with ResponseCache(tmp_path / "c.sqlite3", ttl=60, clock=lambda: now[0]) as cache:
        cache.put(get("/anime/1"), ok())
        now[0] += 59
        assert cache.get(get("/anime/1")) is not None
        now[0] += 2
        assert cache.get(get("/anime/1")) is None
        assert cache.stats()["entries"] == 0


def test_the_least_recently_used_answers_go_first_when_the_size_bound_is_reached(
    tmp_path: Path,
) -> None:
    now = [0.0]
    with ResponseCache(tmp_path / "c.sqlite3", max_bytes=300, clock=lambda: now[0]) as cache:
        for n in (1, 2, 3):
            now[0] += 1
            cache.put(get(f"/anime/{n}"), ok(b"x" * 100))
        now[0] += 1
        assert cache.get(get("/anime/1")) is not None  # used: now the most recent
        now[0] += 1
        cache.put(get("/anime/4"), ok(b"x" * 100))
        kept = [n for n in (1, 2, 3, 4) if cache.get(get(f"/anime/{n}")) is not None]
        assert kept == [1, 3, 4]
        assert cache.stats()["bytes"] <= 300
        cache.put(get("/anime/5"), ok(b"x" * 301))  # larger than the whole cache: not kept
        assert cache.get(get("/anime/5")) is None


def test_clear_forgets_everything(cache: ResponseCache) -> None:
    cache.put(get("/anime/1"), ok())
    cache.clear()
    assert cache.get(get("/anime/1")) is None
    assert cache.stats() == {"entries": 0, "bytes": 0}
