"""`/_sandbox/`: what tests and benchmarks use to steer and observe the sandbox."""

from __future__ import annotations

from starlette.testclient import TestClient

from malclient.sandbox.config import USERS, WEB_APP

CLIENT = {"X-MAL-CLIENT-ID": WEB_APP.client_id}


def test_index_lists_apps_users_and_settings(client: TestClient) -> None:
    info = client.get("/_sandbox/").json()
    assert {app["client_id"] for app in info["apps"]} >= {WEB_APP.client_id}
    assert [u["name"] for u in info["users"]] == [u.name for u in USERS]
    assert info["settings"]["revoke_refresh_on_use"] is False


def test_stats_count_requests_per_endpoint_and_reset(client: TestClient) -> None:
    client.post("/_sandbox/stats/reset")
    client.get("/v2/forum/boards", headers=CLIENT)
    client.get("/v2/forum/boards", headers=CLIENT)
    client.get("/v2/no/such/path", headers=CLIENT)
    stats = client.get("/_sandbox/stats").json()
    assert stats["requests"] == {"forum_boards_get": 2, "unrouted": 1}
    assert stats["statuses"] == {"200": 2, "404": 1}
    assert stats["busiest_second"] == 3
    reset = client.post("/_sandbox/stats/reset").json()
    assert reset["requests_total"] == 0


def test_the_clock_moves_forward_only(client: TestClient) -> None:
    before = client.get("/_sandbox/clock").json()["now"]
    after = client.post("/_sandbox/clock", json={"advance": 86_400}).json()["now"]
    assert after - before >= 86_400
    refused = client.post("/_sandbox/clock", json={"advance": -1})
    assert refused.status_code == 400
    assert "advance" in refused.json()["error"]


def test_registering_an_app_makes_it_usable_at_once(client: TestClient) -> None:
    created = client.post(
        "/_sandbox/apps", json={"redirect_uris": ["http://127.0.0.1:9999/callback"]}
    )
    assert created.status_code == 201
    app = created.json()
    assert len(app["client_id"]) == 32
    assert len(app["client_secret"]) == 64
    answer = client.get("/v2/forum/boards", headers={"X-MAL-CLIENT-ID": app["client_id"]})
    assert answer.status_code == 200


def test_public_apps_get_no_secret(client: TestClient) -> None:
    app = client.post(
        "/_sandbox/apps", json={"redirect_uris": ["myapp://oauth/mal"], "type": "public"}
    ).json()
    assert app["client_secret"] is None
    assert app["type"] == "public"


def test_revoking_a_user_kills_their_tokens(client: TestClient) -> None:
    sandbox = client.app.sandbox  # type: ignore[attr-defined]
    alice = sandbox.catalogue.users["alice"].account
    access, _ = sandbox.tokens.issue(WEB_APP.client_id, alice.name, alice.id)
    bearer = {"Authorization": f"Bearer {access.value}"}
    assert client.get("/v2/users/@me", headers=bearer).status_code == 200
    assert client.post("/_sandbox/users/alice/revoke").json()["revoked"] >= 2
    assert client.get("/v2/users/@me", headers=bearer).status_code == 401


def test_malformed_control_requests_get_reasons(client: TestClient) -> None:
    assert client.post("/_sandbox/settings", content=b"not json").status_code == 400
    assert client.post("/_sandbox/settings", json={"colour": "red"}).status_code == 400
    assert client.post("/_sandbox/settings", json={"auto_approve": "mallory"}).status_code == 400
    assert client.post("/_sandbox/apps", json={"redirect_uris": []}).status_code == 400
    assert client.post("/_sandbox/users/mallory/revoke").status_code == 404


def test_more_accounts_can_be_configured_and_get_lists_of_their_own() -> None:
    from malclient.sandbox import SandboxConfig, SandboxUser, create_app
    from malclient.sandbox.config import USERS

    dave = SandboxUser(id=7099001, name="dave", password="dave-sandbox")
    app = create_app(SandboxConfig(users=(*USERS, dave)))
    with TestClient(app, base_url="http://sandbox.test") as client:
        names = [u["name"] for u in client.get("/_sandbox/").json()["users"]]
        assert names[-1] == "dave"
        page = client.get("/v2/users/dave/animelist?fields=list_status", headers=CLIENT).json()
        assert page["data"]
        access, _ = app.sandbox.tokens.issue(WEB_APP.client_id, "dave", dave.id)
        me = client.get("/v2/users/@me", headers={"Authorization": f"Bearer {access.value}"})
        assert me.json()["name"] == "dave"
