"""Paging (SPEC 3.3, 3.4): page sizes and their limits, and `next`/`previous` links built the way
MAL builds them — absolute, back at the sandbox's own origin, parameters in the order sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from malclient.sandbox import WEB_APP, SandboxApp, SandboxConfig, create_app
from malclient.sandbox.queries import INDEXES
from malclient.sandbox.server import SandboxServer

CLIENT = {"X-MAL-CLIENT-ID": WEB_APP.client_id}


@pytest.fixture(scope="module")
def shared_app() -> SandboxApp:
    return create_app(SandboxConfig())


@pytest.fixture(scope="module")
def reader(shared_app: SandboxApp) -> Iterator[TestClient]:
    """Read-only requests share one sandbox (nothing in this module writes)."""
    with TestClient(shared_app, base_url="http://sandbox.test") as test_client:
        yield test_client


def get(client: TestClient, path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.get(path, headers=headers or CLIENT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, dict)
    return body


def bearer(app: SandboxApp, user: str = "alice") -> dict[str, str]:
    account = app.sandbox.catalogue.users[user].account
    token = app.sandbox.tokens.issue(WEB_APP.client_id, account.name, account.id)[0]
    return {"Authorization": f"Bearer {token.value}"}


def test_next_link_repeats_the_parameters_in_the_order_sent(reader: TestClient) -> None:
    body = get(reader, "/v2/anime/ranking?ranking_type=all&limit=10")
    assert body["paging"] == {
        "next": "http://sandbox.test/v2/anime/ranking?offset=10&ranking_type=all&limit=10"
    }
    body = get(reader, "/v2/anime/ranking?limit=10&fields=rank,popularity&ranking_type=all")
    assert body["paging"]["next"] == (
        "http://sandbox.test/v2/anime/ranking"
        "?offset=10&limit=10&fields=rank%2Cpopularity&ranking_type=all"
    )


def test_links_are_encoded_like_php(reader: TestClient) -> None:
    body = get(reader, "/v2/anime/ranking?ranking_type=all&limit=1&fields=list_status{a b}~x&z=é")
    assert body["paging"]["next"] == (
        "http://sandbox.test/v2/anime/ranking?offset=1&ranking_type=all&limit=1"
        "&fields=list_status%7Ba+b%7D%7Ex&z=%C3%A9"
    )


def test_the_sent_offset_is_replaced_by_the_new_one_first(reader: TestClient) -> None:
    body = get(reader, "/v2/anime/ranking?ranking_type=all&offset=25&limit=10")
    assert body["paging"] == {
        "previous": "http://sandbox.test/v2/anime/ranking?offset=15&ranking_type=all&limit=10",
        "next": "http://sandbox.test/v2/anime/ranking?offset=35&ranking_type=all&limit=10",
    }


def test_previous_never_goes_below_zero(reader: TestClient) -> None:
    body = get(reader, "/v2/anime/ranking?ranking_type=all&offset=3&limit=10")
    assert body["paging"]["previous"].startswith("http://sandbox.test/v2/anime/ranking?offset=0&")


def test_limit_is_echoed_only_when_sent(shared_app: SandboxApp, reader: TestClient) -> None:
    user = next(
        name
        for name, data in shared_app.sandbox.catalogue.users.items()
        if len(data.animelist) > 40
    )
    body = get(reader, f"/v2/users/{user}/animelist?fields=list_status")
    # MAL's own default page for user lists is 10 (mal-stats__userAnimeList_roshizzle.json).
    assert len(body["data"]) == 10
    assert body["paging"] == {
        "next": f"http://sandbox.test/v2/users/{user}/animelist?offset=10&fields=list_status"
    }


def test_a_repeated_parameter_keeps_its_first_place_and_last_value(reader: TestClient) -> None:
    body = get(reader, "/v2/anime/ranking?limit=50&ranking_type=all&limit=2")
    assert len(body["data"]) == 2
    assert body["paging"]["next"] == (
        "http://sandbox.test/v2/anime/ranking?offset=2&limit=2&ranking_type=all"
    )


def test_links_point_back_at_the_host_that_was_asked(reader: TestClient) -> None:
    path = "/v2/anime/ranking?ranking_type=all&limit=3"
    for host in ("mal.example.org:8443", "other.example", "sandbox.test"):
        body = get(reader, path, {**CLIENT, "Host": host})
        assert body["paging"]["next"].startswith(f"http://{host}/v2/anime/ranking?")


def test_links_point_back_at_a_real_server(config: SandboxConfig) -> None:
    with SandboxServer(config) as server:
        response = httpx2.get(
            f"{server.url}/v2/anime/ranking?ranking_type=all&limit=1", headers=CLIENT
        )
    assert response.json()["paging"]["next"] == (
        f"{server.url}/v2/anime/ranking?offset=1&ranking_type=all&limit=1"
    )


def test_a_single_page_has_empty_paging(app: SandboxApp, client: TestClient) -> None:
    carol = app.sandbox.catalogue.users["carol"]
    assert not carol.animelist  # the newcomer
    body = get(client, "/v2/users/carol/animelist")
    assert body == {"data": [], "paging": {}}


def test_the_last_page_has_no_next(shared_app: SandboxApp, reader: TestClient) -> None:
    total = len(INDEXES.of(shared_app.sandbox.catalogue.anime).ranking("all", nsfw=False))
    body = get(reader, f"/v2/anime/ranking?ranking_type=all&limit=10&offset={total - 10}")
    assert len(body["data"]) == 10
    assert list(body["paging"]) == ["previous"]
    body = get(reader, f"/v2/anime/ranking?ranking_type=all&limit=10&offset={total - 11}")
    assert list(body["paging"]) == ["previous", "next"]


def test_an_offset_past_the_end_is_an_empty_page_with_only_previous(reader: TestClient) -> None:
    body = get(reader, "/v2/anime/ranking?ranking_type=movie&offset=100000&limit=7")
    assert body["data"] == []
    assert body["paging"] == {
        "previous": "http://sandbox.test/v2/anime/ranking?offset=99993&ranking_type=movie&limit=7"
    }


@pytest.mark.parametrize(
    ("path", "default", "maximum"),
    [
        ("/v2/anime?q=the", 100, 100),
        ("/v2/manga?q=the", 100, 100),
        ("/v2/anime/ranking?ranking_type=all", 100, 500),
        ("/v2/manga/ranking?ranking_type=all", 100, 500),
        ("/v2/anime/season/2020/fall?nsfw=true", 100, 500),
        ("/v2/users/{user}/animelist?nsfw=true", 10, 1000),
        ("/v2/users/{user}/mangalist?nsfw=true", 10, 1000),
        ("/v2/forum/topics?q=the", 100, 100),
    ],
)
def test_page_sizes_default_and_stop_at_each_endpoints_maximum(
    shared_app: SandboxApp, reader: TestClient, path: str, default: int, maximum: int
) -> None:
    user = max(
        shared_app.sandbox.catalogue.users.values(),
        key=lambda data: len(data.animelist) + len(data.mangalist),
    ).account.name
    path = path.format(user=user)
    body = get(reader, path)
    assert len(body["data"]) <= default
    if "next" in body["paging"]:
        assert len(body["data"]) == default
        assert f"offset={default}&" in body["paging"]["next"]
    assert get(reader, f"{path}&limit={maximum}")
    for bad in (maximum + 1, 0, -1, "abc", "1.5", "", "10x"):
        response = reader.get(f"{path}&limit={bad}", headers=CLIENT)
        assert response.status_code == 400, bad
        assert response.content == b'{"message":"invalid limit","error":"bad_request"}'


def test_suggestions_stop_at_100(app: SandboxApp, client: TestClient) -> None:
    headers = bearer(app)
    assert client.get("/v2/anime/suggestions?limit=100", headers=headers).status_code == 200
    assert client.get("/v2/anime/suggestions?limit=101", headers=headers).status_code == 400


def test_forum_posts_stop_at_100(shared_app: SandboxApp, reader: TestClient) -> None:
    topic = next(iter(shared_app.sandbox.catalogue.forum.topics))
    assert reader.get(f"/v2/forum/topic/{topic}?limit=100", headers=CLIENT).status_code == 200
    assert reader.get(f"/v2/forum/topic/{topic}?limit=101", headers=CLIENT).status_code == 400


@pytest.mark.parametrize("offset", ["-1", "abc", "1.0", "", "9" * 40])
def test_a_bad_offset_is_a_bad_request(reader: TestClient, offset: str) -> None:
    response = reader.get(f"/v2/anime/ranking?ranking_type=all&offset={offset}", headers=CLIENT)
    assert response.status_code == 400
    assert response.content == b'{"message":"invalid offset","error":"bad_request"}'


def test_following_next_walks_the_whole_list_once(
    shared_app: SandboxApp, reader: TestClient
) -> None:
    path = "/v2/users/alice/animelist?nsfw=1"
    everything = [edge["node"]["id"] for edge in get(reader, f"{path}&limit=1000")["data"]]
    assert len(everything) > 20
    seen: list[int] = []
    url: str | None = f"{path}&limit=7"
    while url:
        body = get(reader, url.removeprefix("http://sandbox.test"))
        seen += [edge["node"]["id"] for edge in body["data"]]
        url = body["paging"].get("next")
    assert seen == everything
