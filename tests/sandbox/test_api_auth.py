"""Who may call which API v2 endpoint (SPEC 3.1): Bearer, X-MAL-CLIENT-ID, neither, both."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from malclient.sandbox import PUBLIC_APP, WEB_APP, SandboxApp

CLIENT = {"X-MAL-CLIENT-ID": WEB_APP.client_id}
FORBIDDEN = b'{"message":"","error":"forbidden"}'
INVALID_TOKEN = b'{"error":"invalid_token"}'


def token_for(app: SandboxApp, user: str = "alice") -> str:
    account = app.sandbox.catalogue.users[user].account
    return app.sandbox.tokens.issue(WEB_APP.client_id, account.name, account.id)[0].value


def bearer(app: SandboxApp, user: str = "alice") -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(app, user)}"}


def public_paths(app: SandboxApp) -> list[str]:
    catalogue = app.sandbox.catalogue
    anime, manga = next(iter(catalogue.anime)), next(iter(catalogue.manga))
    topic = next(iter(catalogue.forum.topics))
    return [
        "/v2/anime?q=the",
        f"/v2/anime/{anime}",
        "/v2/anime/ranking?ranking_type=all",
        "/v2/anime/season/2020/fall",
        "/v2/users/alice/animelist",
        "/v2/manga?q=the",
        f"/v2/manga/{manga}",
        "/v2/manga/ranking?ranking_type=all",
        "/v2/users/alice/mangalist",
        "/v2/forum/boards",
        f"/v2/forum/topic/{topic}",
        "/v2/forum/topics?q=the",
    ]


USER_ONLY_GETS = [
    "/v2/anime/suggestions",
    "/v2/users/@me",
    "/v2/users/@me/animelist",
    "/v2/users/@me/mangalist",
]


def test_a_client_id_reads_every_public_endpoint(app: SandboxApp, client: TestClient) -> None:
    for path in public_paths(app):
        response = client.get(path, headers=CLIENT)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"] == "application/json; charset=UTF-8"


def test_a_public_app_client_id_works_too(client: TestClient) -> None:
    response = client.get("/v2/anime?q=the", headers={"X-MAL-CLIENT-ID": PUBLIC_APP.client_id})
    assert response.status_code == 200


def test_a_user_token_reads_every_endpoint(app: SandboxApp, client: TestClient) -> None:
    headers = bearer(app)
    for path in [*public_paths(app), *USER_ONLY_GETS]:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)


def test_no_credentials_is_forbidden_everywhere(app: SandboxApp, client: TestClient) -> None:
    for path in [*public_paths(app), *USER_ONLY_GETS]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.content == FORBIDDEN


def test_an_unknown_client_id_is_a_bad_request(client: TestClient) -> None:
    response = client.get("/v2/anime?q=the", headers={"X-MAL-CLIENT-ID": "f" * 32})
    assert response.status_code == 400
    assert response.content == b'{"message":"Invalid client id","error":"bad_request"}'


def test_an_empty_client_id_is_a_bad_request(client: TestClient) -> None:
    response = client.get("/v2/forum/boards", headers={"X-MAL-CLIENT-ID": ""})
    assert response.status_code == 400


@pytest.mark.parametrize("path", USER_ONLY_GETS)
def test_a_client_id_on_a_user_only_endpoint_is_an_invalid_token(
    client: TestClient, path: str
) -> None:
    response = client.get(path, headers=CLIENT)
    assert response.status_code == 401
    assert response.content == INVALID_TOKEN
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
@pytest.mark.parametrize("kind", ["anime", "manga"])
def test_list_writes_need_a_user_token(
    app: SandboxApp, client: TestClient, method: str, kind: str
) -> None:
    catalogue = app.sandbox.catalogue
    record_id = next(iter(catalogue.anime if kind == "anime" else catalogue.manga))
    path = f"/v2/{kind}/{record_id}/my_list_status"
    assert client.request(method, path, headers=CLIENT).status_code == 401
    assert client.request(method, path).status_code == 403


def test_an_unknown_token_is_invalid_with_a_challenge(client: TestClient) -> None:
    response = client.get("/v2/anime?q=the", headers={"Authorization": "Bearer abc.def.ghi"})
    assert response.status_code == 401
    assert response.content == INVALID_TOKEN
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_an_expired_token_says_so_in_the_challenge(app: SandboxApp, client: TestClient) -> None:
    headers = bearer(app)
    app.sandbox.clock.advance(app.sandbox.config.access_token_ttl + 1)
    response = client.get("/v2/anime?q=the", headers=headers)
    assert response.status_code == 401
    assert response.content == INVALID_TOKEN
    assert response.headers["www-authenticate"] == (
        'Bearer error="invalid_token",error_description="The access token expired"'
    )


def test_a_token_still_works_just_before_it_expires(app: SandboxApp, client: TestClient) -> None:
    headers = bearer(app)
    app.sandbox.clock.advance(app.sandbox.config.access_token_ttl - 5)
    assert client.get("/v2/anime?q=the", headers=headers).status_code == 200


def test_a_revoked_token_is_invalid(app: SandboxApp, client: TestClient) -> None:
    headers = bearer(app)
    app.sandbox.tokens.revoke_user("alice")
    response = client.get("/v2/users/@me", headers=headers)
    assert response.status_code == 401
    assert "error_description" not in response.headers["www-authenticate"]


@pytest.mark.parametrize(
    "value", [f"Basic {WEB_APP.client_id}", "Token abc", "Bearer", "bearer", "Bearer  "]
)
def test_an_authorization_header_without_a_bearer_token_is_invalid(
    client: TestClient, value: str
) -> None:
    # Even with a valid client ID alongside: the Authorization header is what MAL looks at.
    response = client.get("/v2/anime?q=the", headers={"Authorization": value, **CLIENT})
    assert response.status_code == 401
    assert response.content == INVALID_TOKEN


def test_the_bearer_scheme_is_case_insensitive(app: SandboxApp, client: TestClient) -> None:
    headers = {"Authorization": f"bearer {token_for(app)}"}
    assert client.get("/v2/users/@me", headers=headers).status_code == 200


def test_the_bearer_token_wins_when_both_headers_are_sent(
    app: SandboxApp, client: TestClient
) -> None:
    good_token_bad_client = {**bearer(app), "X-MAL-CLIENT-ID": "nope"}
    assert client.get("/v2/users/@me", headers=good_token_bad_client).status_code == 200
    bad_token_good_client = {"Authorization": "Bearer nope", **CLIENT}
    assert client.get("/v2/anime?q=the", headers=bad_token_good_client).status_code == 401


def test_credentials_are_checked_before_parameters(client: TestClient) -> None:
    assert client.get("/v2/anime?q=a").status_code == 403
    assert client.get("/v2/anime?q=a", headers={"X-MAL-CLIENT-ID": "x"}).status_code == 400
    assert client.get("/v2/anime?q=a", headers={"Authorization": "Bearer x"}).status_code == 401
    response = client.get("/v2/anime/ranking?ranking_type=nope", headers={"X-MAL-CLIENT-ID": "x"})
    assert response.json()["message"] == "Invalid client id"


def test_the_token_decides_whose_list_is_at_me(app: SandboxApp, client: TestClient) -> None:
    for user in ("alice", "bob"):
        body = client.get("/v2/users/@me", headers=bearer(app, user)).json()
        assert body["name"] == app.sandbox.catalogue.users[user].account.name


def test_requests_are_counted_by_operation_id(app: SandboxApp, client: TestClient) -> None:
    client.get("/v2/anime?q=the", headers=CLIENT)
    client.get("/v2/forum/boards", headers=CLIENT)
    record_id = next(iter(app.sandbox.catalogue.anime))
    client.put(f"/v2/anime/{record_id}/my_list_status", headers=bearer(app))
    counted = app.sandbox.stats.snapshot()["requests"]
    for name in ("anime_get", "forum_boards_get", "anime_anime_id_my_list_status_put"):
        assert counted.get(name) == 1, counted
