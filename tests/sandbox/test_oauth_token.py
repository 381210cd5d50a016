"""POST /v1/oauth2/token: every row of SPEC 2.5's error table, in order, and both grants."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx2
import pytest
from starlette.testclient import TestClient

from malclient.sandbox import PUBLIC_APP, WEB_APP, RegisteredApp, SandboxApp, SandboxConfig
from malclient.sandbox.config import DEFAULT_CODE_TTL, DEFAULT_REFRESH_TOKEN_TTL
from malclient.sandbox.tokens import AccessToken
from malclient.sandbox.wire import dumps
from recorded import fixture_json

M1 = (
    "The request is missing a required parameter, includes an invalid parameter value, includes "
    "a parameter more than once, or is otherwise malformed."
)
AUTHORIZE = "/v1/oauth2/authorize"
TOKEN = "/v1/oauth2/token"
VERIFIER = "k" * 20 + "-._~" + "0123456789" * 4  # 64 unreserved characters
# SPEC 10: the fixed verifier every Kometa user shares.
KOMETA_VERIFIER = (
    "k_UHwN_eHAPQVXiceC-rYGkozKqrJmKxPUIUOBIKo1noq_4XGRVCViP_dGcwB-fkPql8f56mmWj5aWCa2HDeugf6sRvnc9"
    "Rjhbb1vKGYLY0IwWsDNXRqXdksaVGJthux"
)
# A web app with two redirect URIs, for the redirect_uri rows.
TWO_URI_APP = RegisteredApp(
    client_id="1111222233334444aaaabbbbccccdddd",
    client_secret="t" * 64,
    redirect_uris=("http://localhost/a", "http://localhost/b"),
    name="Two URIs",
)
START = 1_700_000_000.0


@pytest.fixture
def config() -> SandboxConfig:
    # A frozen clock makes expiry exact; a small catalogue keeps the file fast.
    return SandboxConfig(
        anime_count=50,
        manga_count=50,
        apps=(WEB_APP, PUBLIC_APP, TWO_URI_APP),
        clock_start=START,
    )


def sign_in(
    client: TestClient,
    app: RegisteredApp = WEB_APP,
    user: str = "alice",
    challenge: str = VERIFIER,
    **extra: str,
) -> str:
    """Go through the login page and return the code from the redirect."""
    params = {"response_type": "code", "client_id": app.client_id, "code_challenge": challenge}
    params.update(extra)
    response = client.post(
        AUTHORIZE + "?" + urlencode(params),
        data={"username": user, "password": f"{user}-sandbox", "decision": "allow"},
        follow_redirects=False,
    )
    assert response.status_code == 302, response.text
    return dict(parse_qsl(urlsplit(response.headers["location"]).query))["code"]


def credentials(app: RegisteredApp) -> dict[str, str]:
    fields = {"client_id": app.client_id}
    if app.client_secret is not None:
        fields["client_secret"] = app.client_secret
    return fields


def exchange(
    client: TestClient,
    code: str | None,
    app: RegisteredApp = WEB_APP,
    **fields: str | None,
) -> httpx2.Response:
    """A token request; a code or field given as None is left out."""
    data: dict[str, str | None] = {
        "grant_type": "authorization_code",
        **credentials(app),
        "code": code,
        "code_verifier": VERIFIER,
    }
    data.update(fields)
    return client.post(TOKEN, data={k: v for k, v in data.items() if v is not None})


def refresh(
    client: TestClient, token: str | None, app: RegisteredApp = WEB_APP, **fields: str
) -> httpx2.Response:
    data = {"grant_type": "refresh_token", **credentials(app), **fields}
    if token is not None:
        data["refresh_token"] = token
    return client.post(TOKEN, data=data)


def tokens_for(client: TestClient, app: RegisteredApp = WEB_APP, user: str = "alice") -> Any:
    response = exchange(client, sign_in(client, app, user), app)
    assert response.status_code == 200, response.text
    return response.json()


def assert_error(
    response: httpx2.Response, status: int, error: str, message: str, hint: str | None = None
) -> None:
    body = {"error": error, "message": message}
    if hint is not None:
        body["hint"] = hint
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == body
    assert response.content == dumps(body)  # compact, MAL's escaping and key order


def assert_fixture(response: httpx2.Response, status: int, name: str) -> None:
    expected = fixture_json(name)
    assert response.status_code == status
    assert response.json() == expected
    assert response.content == dumps(expected)


def assert_invalid_request(response: httpx2.Response, hint: str) -> None:
    assert_error(response, 400, "invalid_request", M1, hint)


def assert_invalid_client(response: httpx2.Response, scheme: str = "Basic") -> None:
    assert_error(response, 401, "invalid_client", "Client authentication failed")
    assert response.headers["www-authenticate"] == f'{scheme} realm="OAuth"'


def assert_invalid_refresh(response: httpx2.Response, hint: str) -> None:
    assert_error(response, 401, "invalid_request", "The refresh token is invalid.", hint)


def jwt_claims(token: str) -> Any:
    segments = token.split(".")
    assert len(segments) == 3
    payload = segments[1] + "=" * (-len(segments[1]) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def stored(app: SandboxApp, access_token: str) -> AccessToken:
    """The sandbox's record of an access token, as the API side looks it up."""
    token = app.sandbox.tokens.access(access_token)
    assert token is not None
    return token


def basic(client_id: str, secret: str = "") -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


# ---------------------------------------------------------------- row 1: unsupported grant


def test_missing_grant_type_answers_the_recorded_body(client: TestClient) -> None:
    response = client.post(TOKEN, data=credentials(WEB_APP))
    assert_fixture(response, 400, "oauth_token_error__unsupported_grant_type.json")


@pytest.mark.parametrize("grant_type", ["password", "client_credentials", "Authorization_code", ""])
def test_unknown_grant_type_is_unsupported(client: TestClient, grant_type: str) -> None:
    response = client.post(TOKEN, data={"grant_type": grant_type, **credentials(WEB_APP)})
    assert_fixture(response, 400, "oauth_token_error__unsupported_grant_type.json")


def test_json_body_is_not_parsed(client: TestClient) -> None:
    # The mistake from the blog's comments: a complete request, sent as JSON (SPEC 2.5).
    code = sign_in(client)
    body = {"grant_type": "authorization_code", "code": code, "code_verifier": VERIFIER}
    response = client.post(TOKEN, json={**body, **credentials(WEB_APP)})
    assert_fixture(response, 400, "oauth_token_error__unsupported_grant_type.json")


def test_fields_in_the_query_string_are_not_read(client: TestClient) -> None:
    code = sign_in(client)
    fields = {"grant_type": "authorization_code", "code": code, "code_verifier": VERIFIER}
    response = client.post(TOKEN + "?" + urlencode({**fields, **credentials(WEB_APP)}))
    assert_fixture(response, 400, "oauth_token_error__unsupported_grant_type.json")


def test_form_body_without_form_content_type_is_not_read(client: TestClient) -> None:
    response = client.post(
        TOKEN,
        content=urlencode({"grant_type": "refresh_token", **credentials(WEB_APP)}),
        headers={"Content-Type": "text/plain"},
    )
    assert_fixture(response, 400, "oauth_token_error__unsupported_grant_type.json")


def test_browser_landing_on_the_token_url_sees_unsupported_grant(client: TestClient) -> None:
    # A misconfigured redirect sends the browser here with a GET (go-myanimelist#6).
    response = client.get(TOKEN + "?code=abc&state=x")
    assert_fixture(response, 400, "oauth_token_error__unsupported_grant_type.json")


# ---------------------------------------------------------------- rows 2-4: the client


@pytest.mark.parametrize("grant_type", ["authorization_code", "refresh_token"])
def test_missing_client_id_is_row_2(client: TestClient, grant_type: str) -> None:
    response = client.post(TOKEN, data={"grant_type": grant_type, "code": "x"})
    assert_invalid_request(response, "Check the `client_id` parameter")


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"client_id": "f" * 32}, id="unknown client"),
        pytest.param({"client_id": ""}, id="empty client_id"),
        pytest.param({"client_id": WEB_APP.client_id}, id="web app without secret"),
        pytest.param(
            {"client_id": WEB_APP.client_id, "client_secret": "0" * 64}, id="wrong secret"
        ),
        pytest.param({"client_id": WEB_APP.client_id, "client_secret": ""}, id="empty secret"),
    ],
)
def test_failed_client_authentication_is_row_3(client: TestClient, fields: dict[str, str]) -> None:
    response = client.post(TOKEN, data={"grant_type": "authorization_code", **fields})
    assert_invalid_client(response)


def test_invalid_client_challenges_with_the_scheme_the_client_used(client: TestClient) -> None:
    response = client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "client_id": "f" * 32},
        headers={"Authorization": "Bearer old-access-token"},
    )
    assert_invalid_client(response, scheme="Bearer")


@pytest.mark.parametrize("grant_type", ["authorization_code", "refresh_token"])
def test_unregistered_redirect_uri_is_row_4(client: TestClient, grant_type: str) -> None:
    response = client.post(
        TOKEN,
        data={
            "grant_type": grant_type,
            **credentials(WEB_APP),
            "redirect_uri": "http://localhost/elsewhere",
        },
    )
    assert_invalid_client(response)


# ---------------------------------------------------------------- rows 5a-5g: the code


def test_missing_code_is_5a(client: TestClient) -> None:
    assert_invalid_request(exchange(client, None, code_verifier=None), "Check the `code` parameter")


@pytest.mark.parametrize("code", ["garbage", "", "def50200" + "0" * 992])
def test_unknown_code_is_5b(client: TestClient, code: str) -> None:
    assert_invalid_request(exchange(client, code), "Cannot decrypt the authorization code")


def test_expired_code_is_5c(client: TestClient, app: SandboxApp) -> None:
    code = sign_in(client)
    app.sandbox.clock.advance(DEFAULT_CODE_TTL + 1)
    assert_invalid_request(exchange(client, code), "Authorization code has expired")


def test_code_is_still_good_at_the_last_second_of_its_ttl(
    client: TestClient, app: SandboxApp
) -> None:
    code = sign_in(client)
    app.sandbox.clock.advance(DEFAULT_CODE_TTL)
    assert exchange(client, code).status_code == 200


def test_reused_code_is_refused_with_revoked_hint(client: TestClient) -> None:
    code = sign_in(client)
    assert exchange(client, code).status_code == 200
    assert_invalid_request(exchange(client, code), "Authorization code has been revoked")


def test_code_of_another_client_is_5e(client: TestClient) -> None:
    code = sign_in(client, PUBLIC_APP)
    assert_invalid_request(
        exchange(client, code, WEB_APP), "Authorization code was not issued to this client"
    )


def test_redirect_uri_used_at_authorize_but_omitted_now_is_5f(client: TestClient) -> None:
    code = sign_in(client, redirect_uri="http://localhost/")
    assert_invalid_request(exchange(client, code), "Check the `redirect_uri` parameter")


@pytest.mark.parametrize(
    ("at_authorize", "at_token"),
    [
        pytest.param("http://localhost/a", "http://localhost/b", id="differs"),
        pytest.param(None, "http://localhost/a", id="sent now, omitted then"),
    ],
)
def test_redirect_uri_mismatch_is_5g(
    client: TestClient, app: SandboxApp, at_authorize: str | None, at_token: str
) -> None:
    if at_authorize is None:
        # Omitting it at authorize needs a single registered URI; swap one in at run time.
        app.sandbox.apps[TWO_URI_APP.client_id] = RegisteredApp(
            TWO_URI_APP.client_id, TWO_URI_APP.client_secret, ("http://localhost/a",)
        )
        code = sign_in(client, TWO_URI_APP)
    else:
        code = sign_in(client, TWO_URI_APP, redirect_uri=at_authorize)
    assert_invalid_request(
        exchange(client, code, TWO_URI_APP, redirect_uri=at_token), "Invalid redirect URI"
    )


def test_same_redirect_uri_at_both_steps_succeeds(client: TestClient) -> None:
    code = sign_in(client, TWO_URI_APP, redirect_uri="http://localhost/b")
    response = exchange(client, code, TWO_URI_APP, redirect_uri="http://localhost/b")
    assert response.status_code == 200


# ---------------------------------------------------------------- rows 6a-6b: the verifier


def test_missing_verifier_answers_the_recorded_body(client: TestClient) -> None:
    response = exchange(client, sign_in(client), code_verifier=None)
    assert_fixture(response, 400, "oauth_token_error__invalid_request_missing_code_verifier.json")


@pytest.mark.parametrize("verifier", ["short", "x" * 129, "x" * 42 + "+", ""])
def test_malformed_verifier_is_refused_before_comparison(client: TestClient, verifier: str) -> None:
    assert_invalid_request(
        exchange(client, sign_in(client), code_verifier=verifier),
        "Code Verifier must follow the specifications of RFC-7636.",
    )


def test_wrong_verifier_answers_the_recorded_body(client: TestClient) -> None:
    response = exchange(client, sign_in(client), code_verifier="W" * 64)
    assert_fixture(response, 400, "oauth_token_error__invalid_grant_code_verifier.json")


def test_wrong_verifier_does_not_spend_the_code(client: TestClient) -> None:
    code = sign_in(client)
    assert exchange(client, code, code_verifier="W" * 64).status_code == 400
    assert exchange(client, code).status_code == 200


def test_s256_flow_fails_at_the_exchange(client: TestClient) -> None:
    # A correct S256 pair: MAL compares plainly, so the hashed challenge never matches.
    digest = hashlib.sha256(VERIFIER.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    code = sign_in(client, challenge=challenge, code_challenge_method="S256")
    response = exchange(client, code)
    assert_fixture(response, 400, "oauth_token_error__invalid_grant_code_verifier.json")
    # Sending the challenge itself as the verifier is what works, exactly as with `plain`.
    assert exchange(client, code, code_verifier=challenge).status_code == 200


# ---------------------------------------------------------------- check order


def test_unsupported_grant_comes_before_a_missing_client(client: TestClient) -> None:
    response = client.post(TOKEN, data={"code": "x"})
    assert response.json()["error"] == "unsupported_grant_type"


def test_client_is_checked_before_the_code(client: TestClient) -> None:
    response = client.post(
        TOKEN, data={"grant_type": "authorization_code", "client_id": WEB_APP.client_id}
    )
    assert_invalid_client(response)


def test_unregistered_redirect_beats_every_code_row(client: TestClient) -> None:
    code = sign_in(client, PUBLIC_APP)
    assert_invalid_client(exchange(client, code, WEB_APP, redirect_uri="http://evil.example/"))


def test_unknown_code_is_reported_before_a_missing_verifier(client: TestClient) -> None:
    response = exchange(client, "garbage", code_verifier=None)
    assert_invalid_request(response, "Cannot decrypt the authorization code")


def test_expiry_is_reported_before_reuse(client: TestClient, app: SandboxApp) -> None:
    code = sign_in(client)
    assert exchange(client, code).status_code == 200
    app.sandbox.clock.advance(DEFAULT_CODE_TTL + 1)
    assert_invalid_request(exchange(client, code), "Authorization code has expired")


def test_foreign_code_is_reported_before_redirect_and_verifier(client: TestClient) -> None:
    code = sign_in(client, PUBLIC_APP, redirect_uri="http://localhost/oauth")
    response = exchange(client, code, WEB_APP, code_verifier=None)
    assert_invalid_request(response, "Authorization code was not issued to this client")


def test_redirect_rows_come_before_the_verifier(client: TestClient) -> None:
    code = sign_in(client, redirect_uri="http://localhost/")
    response = exchange(client, code, code_verifier=None)
    assert_invalid_request(response, "Check the `redirect_uri` parameter")


# ---------------------------------------------------------------- success


def test_success_body_has_mal_key_order_and_no_cache_headers(
    client: TestClient, config: SandboxConfig
) -> None:
    response = exchange(client, sign_in(client))
    assert response.status_code == 200
    body = response.json()
    recorded = fixture_json("oauth_token_success__redacted.json")
    assert isinstance(recorded, dict)
    assert list(body) == list(recorded)
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == config.access_token_ttl == 2_678_400
    assert response.content == dumps(body)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    assert response.headers["content-type"] == "application/json; charset=UTF-8"


@pytest.mark.parametrize(
    "config",
    [SandboxConfig(anime_count=50, manga_count=50, access_token_ttl=3600, clock_start=START)],
)
def test_expires_in_follows_the_configured_lifetime(client: TestClient, app: SandboxApp) -> None:
    body = tokens_for(client)
    assert body["expires_in"] == 3600
    assert jwt_claims(body["access_token"])["exp"] == int(START) + 3600
    assert stored(app, body["access_token"]).expires_at == START + 3600


def test_access_token_is_a_jwt_for_the_client_and_user(client: TestClient) -> None:
    body = tokens_for(client, PUBLIC_APP, "bob")
    claims = jwt_claims(body["access_token"])
    assert claims["aud"] == PUBLIC_APP.client_id
    assert claims["sub"] == "7012346"  # bob's user id
    assert claims["iat"] == claims["nbf"] == int(START)
    assert len(body["refresh_token"]) > 900  # opaque and long, like MAL's
    assert "." not in body["refresh_token"]


def test_issued_token_is_known_to_the_api_side(client: TestClient, app: SandboxApp) -> None:
    body = tokens_for(client, user="carol")
    token = stored(app, body["access_token"])
    assert (token.client_id, token.user, token.revoked) == (WEB_APP.client_id, "carol", False)


def test_basic_auth_works_for_a_web_app(client: TestClient) -> None:
    code = sign_in(client)
    response = client.post(
        TOKEN,
        data={"grant_type": "authorization_code", "code": code, "code_verifier": VERIFIER},
        headers=basic(WEB_APP.client_id, WEB_APP.client_secret or ""),
    )
    assert response.status_code == 200


def test_basic_auth_works_for_a_public_app_with_empty_password(client: TestClient) -> None:
    code = sign_in(client, PUBLIC_APP)
    response = client.post(
        TOKEN,
        data={"grant_type": "authorization_code", "code": code, "code_verifier": VERIFIER},
        headers=basic(PUBLIC_APP.client_id),
    )
    assert response.status_code == 200


def test_basic_auth_with_a_wrong_secret_is_refused(client: TestClient) -> None:
    response = client.post(
        TOKEN,
        data={"grant_type": "authorization_code", "code": "x", "code_verifier": VERIFIER},
        headers=basic(WEB_APP.client_id, "nope"),
    )
    assert_invalid_client(response)


def test_basic_credentials_are_decoded_leniently_like_php(client: TestClient) -> None:
    # PHP's base64_decode tolerates missing padding; some clients strip it.
    code = sign_in(client)
    raw = base64.b64encode(f"{WEB_APP.client_id}:{WEB_APP.client_secret}".encode()).decode()
    assert raw.endswith("=")
    response = client.post(
        TOKEN,
        data={"grant_type": "authorization_code", "code": code, "code_verifier": VERIFIER},
        headers={"Authorization": "Basic " + raw.rstrip("=")},
    )
    assert response.status_code == 200


def test_form_secret_wins_over_the_basic_header(client: TestClient) -> None:
    # The library reads the form first (SPEC 2.5: client_secret must not be in the form).
    response = client.post(
        TOKEN,
        data={"grant_type": "authorization_code", "client_secret": "wrong", "code": "x"},
        headers=basic(WEB_APP.client_id, WEB_APP.client_secret or ""),
    )
    assert_invalid_client(response)


def test_public_app_sending_a_secret_is_not_refused(client: TestClient) -> None:
    code = sign_in(client, PUBLIC_APP)
    response = exchange(client, code, PUBLIC_APP, client_secret="anything")
    assert response.status_code == 200


def test_multipart_form_is_accepted(client: TestClient) -> None:
    code = sign_in(client)
    fields = {"grant_type": "authorization_code", "code": code, "code_verifier": VERIFIER}
    response = client.post(
        TOKEN,
        files={name: (None, value) for name, value in {**fields, **credentials(WEB_APP)}.items()},
    )
    assert response.status_code == 200, response.text


def test_malformed_multipart_body_is_an_unsupported_grant(client: TestClient) -> None:
    response = client.post(
        TOKEN,
        content=b"--x\r\nContent-Disposition: form-data\r\n\r\nbroken",
        headers={"Content-Type": "multipart/form-data"},
    )
    assert_fixture(response, 400, "oauth_token_error__unsupported_grant_type.json")


def test_last_duplicate_field_wins(client: TestClient) -> None:
    code = sign_in(client)
    body = urlencode(
        [
            ("grant_type", "password"),
            ("grant_type", "authorization_code"),
            *credentials(WEB_APP).items(),
            ("code", "garbage"),
            ("code", code),
            ("code_verifier", VERIFIER),
        ]
    )
    response = client.post(
        TOKEN, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200, response.text


def test_non_utf8_bytes_in_the_form_do_not_crash(client: TestClient) -> None:
    response = client.post(
        TOKEN,
        content=b"grant_type=authorization_code&client_id=%FF%FE\xff&code=\xc3",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=ISO-8859-1"},
    )
    assert_invalid_client(response)


def test_grants_are_counted_per_user(client: TestClient, app: SandboxApp) -> None:
    first = tokens_for(client, user="alice")
    tokens_for(client, PUBLIC_APP, user="bob")
    assert refresh(client, first["refresh_token"]).status_code == 200
    stats = app.sandbox.stats.snapshot()
    assert stats["grants"] == {"authorization_code": 2, "refresh_token": 1}
    assert stats["grants_by_user"] == {
        "alice": {"authorization_code": 1, "refresh_token": 1},
        "bob": {"authorization_code": 1},
    }


def test_failures_are_not_counted_as_grants(client: TestClient, app: SandboxApp) -> None:
    exchange(client, sign_in(client), code_verifier="W" * 64)
    refresh(client, "garbage")
    assert app.sandbox.stats.snapshot()["grants"] == {}


# ---------------------------------------------------------------- rows 7a-7e and rotation


def test_missing_refresh_token_is_7a(client: TestClient) -> None:
    assert_invalid_request(refresh(client, None), "Check the `refresh_token` parameter")


@pytest.mark.parametrize("token", ["garbage", "", "def50200" + "0" * 960])
def test_unknown_refresh_token_is_7b(client: TestClient, token: str) -> None:
    assert_invalid_refresh(refresh(client, token), "Cannot decrypt the refresh token")


def test_refresh_token_of_another_client_answers_the_recorded_body(client: TestClient) -> None:
    pair = tokens_for(client, PUBLIC_APP)
    response = refresh(client, pair["refresh_token"], WEB_APP)
    assert_fixture(response, 401, "oauth_token_error__refresh_not_linked_to_client.json")


def test_expired_refresh_token_answers_the_recorded_body(
    client: TestClient, app: SandboxApp
) -> None:
    pair = tokens_for(client)
    app.sandbox.clock.advance(DEFAULT_REFRESH_TOKEN_TTL + 1)
    response = refresh(client, pair["refresh_token"])
    assert_fixture(response, 401, "oauth_token_error__refresh_expired.json")


def test_refresh_token_works_until_its_last_second(client: TestClient, app: SandboxApp) -> None:
    pair = tokens_for(client)
    app.sandbox.clock.advance(DEFAULT_REFRESH_TOKEN_TTL)
    assert refresh(client, pair["refresh_token"]).status_code == 200


def test_another_clients_token_is_reported_before_expiry(
    client: TestClient, app: SandboxApp
) -> None:
    pair = tokens_for(client, PUBLIC_APP)
    app.sandbox.clock.advance(DEFAULT_REFRESH_TOKEN_TTL + 1)
    response = refresh(client, pair["refresh_token"], WEB_APP)
    assert_invalid_refresh(response, "Token is not linked to client")


def test_refresh_rotates_the_pair_and_revokes_the_old_access_token(
    client: TestClient, app: SandboxApp
) -> None:
    old = tokens_for(client)
    response = refresh(client, old["refresh_token"])
    assert response.status_code == 200
    new = response.json()
    assert list(new) == ["token_type", "expires_in", "access_token", "refresh_token"]
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]
    assert response.headers["cache-control"] == "no-store"
    assert stored(app, old["access_token"]).revoked
    assert not stored(app, new["access_token"]).revoked
    assert jwt_claims(new["access_token"])["sub"] == "7012345"


def test_old_refresh_token_stays_usable_by_default(client: TestClient, app: SandboxApp) -> None:
    # The guide's behaviour (SPEC 2.5 "Refresh semantics"): reuse works until expiry.
    old = tokens_for(client)
    newer = refresh(client, old["refresh_token"]).json()
    again = refresh(client, old["refresh_token"])
    assert again.status_code == 200
    # The newer pair from the first refresh is untouched by reusing the older token.
    assert not stored(app, newer["access_token"]).revoked
    assert refresh(client, newer["refresh_token"]).status_code == 200


def test_old_refresh_token_is_revoked_on_use_when_switched_on(
    client: TestClient, app: SandboxApp
) -> None:
    app.sandbox.revoke_refresh_on_use = True
    old = tokens_for(client)
    new = refresh(client, old["refresh_token"]).json()
    assert_invalid_refresh(refresh(client, old["refresh_token"]), "Token has been revoked")
    assert refresh(client, new["refresh_token"]).status_code == 200


@pytest.mark.parametrize(
    "config",
    [SandboxConfig(anime_count=50, manga_count=50, revoke_refresh_on_use=True, clock_start=START)],
)
def test_revoke_on_use_can_be_set_at_start(client: TestClient) -> None:
    old = tokens_for(client)
    assert refresh(client, old["refresh_token"]).status_code == 200
    assert_invalid_refresh(refresh(client, old["refresh_token"]), "Token has been revoked")


def test_refresh_token_of_a_user_who_removed_the_app_is_7e(
    client: TestClient, app: SandboxApp
) -> None:
    pair = tokens_for(client, user="bob")
    assert app.sandbox.tokens.revoke_user("bob", WEB_APP.client_id) == 2
    assert_invalid_refresh(refresh(client, pair["refresh_token"]), "Token has been revoked")


def test_bearer_header_sent_on_refresh_is_harmless(client: TestClient) -> None:
    # mihon sends the old access token along (SPEC 2.5).
    pair = tokens_for(client, PUBLIC_APP)
    response = client.post(
        TOKEN,
        data={
            "grant_type": "refresh_token",
            "client_id": PUBLIC_APP.client_id,
            "refresh_token": pair["refresh_token"],
        },
        headers={"Authorization": f"Bearer {pair['access_token']}"},
    )
    assert response.status_code == 200


# ---------------------------------------------------------------- Kometa (SPEC 10)


def test_kometa_manual_flow(client: TestClient, config: SandboxConfig) -> None:
    # The documented URL: no state, no redirect_uri, no method, the shared fixed verifier.
    url = (
        f"{AUTHORIZE}?response_type=code&client_id={WEB_APP.client_id}"
        f"&code_challenge={KOMETA_VERIFIER}"
    )
    assert len(KOMETA_VERIFIER) == 128
    response = client.post(
        url, data={"username": "alice", "password": "alice-sandbox"}, follow_redirects=False
    )
    localhost_url = response.headers["location"]
    assert localhost_url.startswith("http://localhost/?code=")
    assert "state" not in localhost_url
    code = localhost_url.split("code=", 1)[1]
    # Kometa's exchange: exactly these form fields, no redirect_uri.
    token = client.post(
        TOKEN,
        data={
            "client_id": WEB_APP.client_id,
            "client_secret": WEB_APP.client_secret,
            "code": code,
            "code_verifier": KOMETA_VERIFIER,
            "grant_type": "authorization_code",
        },
    )
    assert token.status_code == 200
    authorization = token.json()
    assert isinstance(authorization["expires_in"], int)
    again = client.post(
        TOKEN,
        data={
            "client_id": WEB_APP.client_id,
            "client_secret": WEB_APP.client_secret,
            "refresh_token": authorization["refresh_token"],
            "grant_type": "refresh_token",
        },
    )
    assert again.status_code == 200
    assert list(again.json()) == ["token_type", "expires_in", "access_token", "refresh_token"]
