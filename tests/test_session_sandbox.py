"""Session and AsyncSession against a real sandbox: what a user of the client sees, including
MAL's bad days (bursts refused, block pages, gateway errors, dropped and slow connections)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from malclient import (
    ConfigError,
    ConnectError,
    NotFound,
    ServerError,
    Throttled,
    Timeout,
    TransportError,
    Unauthorized,
)
from malclient.sandbox import WEB_APP
from malclient.sandbox.server import SandboxServer
from malclient.session import AsyncSession, ConfigTokenStore, Session, TokenManager
from malclient.settings import Settings
from tokens_support import kometa_config, sandbox_config, sandbox_settings, sign_in


@pytest.fixture
def sandbox() -> Iterator[str]:
    with SandboxServer(sandbox_config()) as running:
        yield running.url


@pytest.fixture
def settings(sandbox: str, tmp_path: Path) -> Settings:
    """A Kometa config with alice's tokens, read the way the CLI reads it."""
    path = kometa_config(tmp_path)
    ConfigTokenStore(path, WEB_APP.client_id).save(sign_in(sandbox))
    return Settings.resolve(config=path, sandbox=sandbox, env={})


def test_a_session_from_the_config_calls_as_the_signed_in_user(settings: Settings) -> None:
    with Session.from_settings(settings) as session:
        assert session.request("GET", "/users/@me")["name"] == "alice"

    async def main() -> str:
        async with AsyncSession.from_settings(settings) as session:
            me = await session.request("GET", "/users/@me")
        return str(me["name"])

    assert asyncio.run(main()) == "alice"


def test_a_client_id_session_reads_public_data_and_explains_user_only_calls(
    settings: Settings,
) -> None:
    with Session.from_settings(settings, user=False) as session:
        found = session.request("GET", "/anime/ranking", params={"ranking_type": "all", "limit": 2})
        assert len(found["data"]) == 2
        with pytest.raises(Unauthorized, match="mal auth login"):
            session.request("GET", "/users/@me")


def test_a_session_without_a_client_id_says_where_to_get_one(tmp_path: Path) -> None:
    settings = Settings.resolve(config=tmp_path / "empty.yml", env={})
    with pytest.raises(ConfigError, match="apiconfig"):
        Session.from_settings(settings)


def test_list_updates_reach_the_list(settings: Settings) -> None:
    with Session.from_settings(settings) as session:
        anime_id = session.request(
            "GET", "/anime/ranking", params={"ranking_type": "all", "limit": 1}
        )["data"][0]["node"]["id"]
        status = session.request(
            "PATCH", f"/anime/{anime_id}/my_list_status", data={"status": "watching", "score": 8}
        )
        assert (status["status"], status["score"]) == ("watching", 8)
        shown = session.request("GET", f"/anime/{anime_id}", params={"fields": ["my_list_status"]})
        assert shown["my_list_status"]["score"] == 8


def test_paging_links_are_followed(settings: Settings) -> None:
    with Session.from_settings(settings) as session:
        first = session.request(
            "GET", "/users/@me/animelist", params={"ranking_type": "all", "limit": 2}
        )
        second = session.request("GET", first["paging"]["next"])
    assert len(second["data"]) == 2
    assert second["data"][0]["node"]["id"] not in {item["node"]["id"] for item in first["data"]}


def test_unknown_ids_are_not_found(settings: Settings) -> None:
    async def main() -> None:
        async with AsyncSession.from_settings(settings) as session:
            await session.request("GET", "/anime/999999999")

    with pytest.raises(NotFound, match="/anime/999999999"):
        asyncio.run(main())


def test_a_session_closes_only_the_client_it_opened(settings: Settings) -> None:
    with httpx2.Client() as http:
        with Session.from_settings(settings, http=http) as session:
            session.request("GET", "/users/@me")
        assert not http.is_closed
    with Session.from_settings(settings) as session:
        session.request("GET", "/users/@me")
    assert session._http.is_closed


# --- MAL's bad days -------------------------------------------------------------------------------


def test_bursts_are_refused_with_advice_to_slow_down(sandbox: str, settings: Settings) -> None:
    sandbox_settings(sandbox, rate_limit="rate=1,burst=2,ban-after=1000")
    refused: list[Throttled] = []
    with Session.from_settings(settings) as session:
        for _ in range(5):
            try:
                session.request("GET", "/users/@me")
            except Throttled as exc:
                refused.append(exc)
    assert 1 <= len(refused) <= 3  # the burst of two passes
    assert "too fast" in str(refused[0])
    assert refused[0].status == 403


def test_an_html_block_page_is_explained_the_same_way(sandbox: str, settings: Settings) -> None:
    sandbox_settings(sandbox, rate_limit="rate=1,burst=1,ban-after=1,ban-seconds=600,html")
    with Session.from_settings(settings) as session:
        errors: list[Throttled] = []
        for _ in range(4):
            try:
                session.request("GET", "/users/@me")
            except Throttled as exc:
                errors.append(exc)
    assert "HTML block page" in str(errors[-1])
    assert "slow down" in str(errors[-1])


def test_gateway_errors_are_server_errors(sandbox: str, settings: Settings) -> None:
    sandbox_settings(sandbox, faults="502=1")
    with Session.from_settings(settings) as session, pytest.raises(ServerError) as caught:
        session.request("GET", "/users/@me")
    assert caught.value.status == 502
    assert "gateway error page" in str(caught.value)


@pytest.mark.parametrize("fault", ["drop=1", "truncate=1"])
def test_cut_connections_are_transport_errors(sandbox: str, settings: Settings, fault: str) -> None:
    sandbox_settings(sandbox, faults=fault)
    with Session.from_settings(settings) as session, pytest.raises(TransportError):
        session.request("GET", "/users/@me")


def test_a_slow_answer_times_out(sandbox: str, settings: Settings) -> None:
    sandbox_settings(sandbox, faults="slow=1,slow-seconds=1")
    app = settings.app()
    manager = TokenManager(app, ConfigTokenStore(settings.config_path, app.client_id))
    session = Session(manager, api_url=settings.api_url, timeout=0.3)
    with session, pytest.raises(Timeout, match="did not answer in time"):
        session.request("GET", "/users/@me")


def test_nobody_listening_is_a_connect_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = Session(WEB_APP.client_id, api_url=f"http://127.0.0.1:{port}/v2")
    with session, pytest.raises(ConnectError, match="Could not connect"):
        session.request("GET", "/anime/1")
