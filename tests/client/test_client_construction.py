"""Building a client: from the config file `mal auth login` wrote (tokens refreshed and saved
there), from a client id alone, from a token store; base URLs and pace from arguments, else
`MAL_*` variables, else MAL's; one connection pool, closed with the client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from client_support import public_client, reset_stats, stats

from malclient import ConfigError
from malclient.client import AsyncClient, Client
from malclient.sandbox import WEB_APP
from malclient.sandbox.server import SandboxServer
from malclient.session import ConfigTokenStore, MemoryTokenStore, ResponseCache, RetryPolicy
from tokens_support import (
    ACCESS_TTL,
    advance,
    kometa_config,
    refresh_grants,
    sandbox_config,
    sign_in,
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[str]:
    with SandboxServer(sandbox_config()) as running:
        yield running.url


@pytest.fixture
def config(sandbox: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Kometa config after `mal auth login` against the sandbox, found through MAL_* only."""
    path = kometa_config(tmp_path)
    ConfigTokenStore(path, WEB_APP.client_id).save(sign_in(sandbox))
    for name in ("MAL_CONFIG", "MAL_CLIENT_ID", "MAL_CLIENT_SECRET", "MAL_RATE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MAL_API_URL", f"{sandbox}/v2")
    monkeypatch.setenv("MAL_AUTH_URL", f"{sandbox}/v1/oauth2")
    return path


def test_from_config_acts_as_the_user_who_signed_in(config: Path) -> None:
    with Client.from_config(config) as client:
        assert client.signed_in
        assert client.users.me().name == "alice"

    async def main() -> str:
        async with AsyncClient.from_config(config) as client:
            return (await client.users.me()).name

    assert asyncio.run(main()) == "alice"


def test_from_config_refreshes_and_saves_tokens_as_mal_auth_does(
    config: Path, sandbox: str
) -> None:
    before = ConfigTokenStore(config).load()
    grants = refresh_grants(sandbox)
    advance(sandbox, ACCESS_TTL + 60)  # MAL now rejects the saved access token
    with Client.from_config(config) as client:
        assert client.users.me().name == "alice"
    after = ConfigTokenStore(config).load()
    assert before is not None
    assert after is not None
    assert after.access_token != before.access_token
    assert refresh_grants(sandbox) == grants + 1


def test_from_config_without_a_user_reads_public_data_with_the_client_id(config: Path) -> None:
    with Client.from_config(config, user=False) as client:
        assert not client.signed_in
        assert len(client.anime.ranking(limit=2).data) == 2
        with pytest.raises(ConfigError, match="mal auth login"):
            client.users.me()


def test_a_token_store_makes_a_signed_in_client(sandbox: str) -> None:
    store = MemoryTokenStore(sign_in(sandbox))
    with Client(
        WEB_APP.client_id,
        client_secret=WEB_APP.client_secret,
        token_store=store,
        api_url=f"{sandbox}/v2",
        auth_url=f"{sandbox}/v1/oauth2",
        rate=None,
    ) as client:
        assert client.users.me().name == "alice"


def test_base_urls_come_from_the_argument_then_the_environment_then_mal(
    monkeypatch: pytest.MonkeyPatch, sandbox: str
) -> None:
    monkeypatch.delenv("MAL_API_URL", raising=False)
    with Client("id") as client:
        assert client.api_url == "https://api.myanimelist.net/v2"
    monkeypatch.setenv("MAL_API_URL", f"{sandbox}/v2/")
    with Client(WEB_APP.client_id, rate=None) as client:
        assert client.api_url == f"{sandbox}/v2"
        assert client.anime.ranking(limit=1).data
    with Client("id", api_url="https://mal.example/v2") as client:
        assert client.api_url == "https://mal.example/v2"
    with pytest.raises(ConfigError, match="http"):
        Client("id", api_url="api.myanimelist.net/v2")


def test_clients_are_polite_by_default_and_mal_rate_sets_the_pace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MAL_RATE", raising=False)
    with Client("id") as client:
        pipeline = client.session.pipeline
        assert pipeline.limiter is not None
        assert pipeline.limiter.rate == 2.0
        assert pipeline.retry == RetryPolicy()
    monkeypatch.setenv("MAL_RATE", "0.5")
    with Client("id") as client:
        assert client.session.pipeline.limiter is not None
        assert client.session.pipeline.limiter.rate == 0.5
    with Client("id", rate=5) as client:  # the argument wins
        assert client.session.pipeline.limiter is not None
        assert client.session.pipeline.limiter.rate == 5
    monkeypatch.setenv("MAL_RATE", "off")
    with Client("id") as client:
        assert client.session.pipeline.limiter is None


def test_a_client_needs_credentials_and_says_where_to_get_them() -> None:
    with pytest.raises(ConfigError, match="apiconfig"):
        Client()
    with pytest.raises(ConfigError, match="apiconfig"):
        AsyncClient(" ")


def test_one_pool_per_client_closed_with_it_unless_it_was_given(sandbox: str) -> None:
    with public_client(sandbox) as client:
        client.anime.ranking(limit=1)
        client.anime.ranking(limit=1)
    assert client.session._http.is_closed
    with httpx2.Client() as http:
        with public_client(sandbox, http=http) as client:
            client.anime.ranking(limit=1)
        assert not http.is_closed


def test_calls_share_one_kept_alive_connection(sandbox: str) -> None:
    with public_client(sandbox) as client:
        for _ in range(5):
            client.anime.ranking(limit=1, fields=[])
        pool = client.session._http._transport._pool  # type: ignore[attr-defined]
        assert len(pool.connections) == 1


def test_reprs_never_show_a_secret(sandbox: str) -> None:
    token = sign_in(sandbox)
    with Client(
        WEB_APP.client_id,
        client_secret=WEB_APP.client_secret,
        token_store=MemoryTokenStore(token),
        api_url=f"{sandbox}/v2",
    ) as client:
        shown = repr(client) + repr(client.session)
    assert token.access_token not in shown
    assert token.refresh_token not in shown
    assert WEB_APP.client_secret not in shown


def test_the_response_cache_answers_repeated_public_reads(sandbox: str, tmp_path: Path) -> None:
    with (
        ResponseCache(tmp_path / "cache.sqlite3") as cache,
        public_client(sandbox, cache=cache) as client,
    ):
        reset_stats(sandbox)
        first = client.anime.ranking(limit=3)
        again = client.anime.ranking(limit=3)
        assert [e.node.id for e in again.data] == [e.node.id for e in first.data]
        assert stats(sandbox)["requests"].get("anime_ranking_get") == 1
