"""GET/POST /v1/oauth2/authorize: MAL's validation errors, the sign-in page and the redirects."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx2
import pytest
from starlette.testclient import TestClient

from malclient.sandbox import PUBLIC_APP, WEB_APP, RegisteredApp, SandboxApp, SandboxConfig
from malclient.sandbox.wire import dumps
from recorded import fixture_json

M1 = (
    "The request is missing a required parameter, includes an invalid parameter value, includes "
    "a parameter more than once, or is otherwise malformed."
)
VERIFIER = "A" * 43 + "-._~" + "z9" * 10  # 67 unreserved characters
AUTHORIZE = "/v1/oauth2/authorize"

# A mobile-style app with two redirect URIs, one a custom scheme (SPEC 2.1).
MULTI_APP = RegisteredApp(
    client_id="0123456789abcdef0123456789abcdef",
    client_secret=None,
    redirect_uris=("myapp://oauth/mal", "http://127.0.0.1:8765/callback"),
    name="Tracker <Multi> & Co",
)
# A web app whose registered URI already carries a query string.
QUERY_APP = RegisteredApp(
    client_id="fedcba9876543210fedcba9876543210",
    client_secret="s" * 64,
    redirect_uris=("http://localhost/cb?from=mal",),
    name="Query app",
)


@pytest.fixture
def config() -> SandboxConfig:
    return SandboxConfig(
        anime_count=50, manga_count=50, apps=(WEB_APP, PUBLIC_APP, MULTI_APP, QUERY_APP)
    )


def query(**params: str) -> str:
    return AUTHORIZE + "?" + urlencode(params)


def valid(**overrides: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": PUBLIC_APP.client_id,
        "code_challenge": VERIFIER,
        "state": "st4te",
    }
    params.update(overrides)
    return params


def without(params: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in params.items() if k not in names}


def allow(client: TestClient, params: dict[str, str], user: str = "alice") -> str:
    response = client.post(
        query(**params),
        data={"username": user, "password": f"{user}-sandbox", "decision": "allow"},
        follow_redirects=False,
    )
    assert response.status_code == 302, response.text
    return response.headers["location"]


def assert_oauth_error(response: httpx2.Response, status: int, body: dict[str, str]) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == body
    assert response.content == dumps(body)  # compact, in MAL's key order
    assert "location" not in response.headers  # a JSON page, never a redirect (SPEC 2.3)


# ---------------------------------------------------------------- validation (SPEC 2.3)


def test_missing_code_challenge_answers_the_recorded_body(client: TestClient) -> None:
    response = client.get(query(**without(valid(), "code_challenge")), follow_redirects=False)
    expected = fixture_json("oauth_authorize_error__missing_code_challenge.json")
    assert response.status_code == 400
    assert response.json() == expected
    assert response.content == dumps(expected)


@pytest.mark.parametrize("response_type", [None, "token", "CODE", ""])
def test_response_type_other_than_code_is_an_unsupported_grant(
    client: TestClient, response_type: str | None
) -> None:
    params = without(valid(), "response_type")
    if response_type is not None:
        params["response_type"] = response_type
    assert_oauth_error(
        client.get(query(**params)),
        400,
        {
            "error": "unsupported_grant_type",
            "message": "The authorization grant type is not supported by the authorization server.",
            "hint": "Check the `grant_type` parameter",
        },
    )


def test_missing_client_id_is_an_invalid_request(client: TestClient) -> None:
    assert_oauth_error(
        client.get(query(**without(valid(), "client_id"))),
        400,
        {"error": "invalid_request", "message": M1, "hint": "Check the `client_id` parameter"},
    )


@pytest.mark.parametrize(
    "params",
    [
        pytest.param(valid(client_id="f" * 32), id="unknown client"),
        pytest.param(valid(redirect_uri="http://localhost/oauth/"), id="unregistered redirect"),
        pytest.param(valid(redirect_uri="HTTP://localhost/oauth"), id="redirect case differs"),
        pytest.param(valid(redirect_uri=""), id="empty redirect"),
        pytest.param(valid(client_id=MULTI_APP.client_id), id="redirect omitted, several"),
    ],
)
def test_client_failures_are_invalid_client_json(
    client: TestClient, params: dict[str, str]
) -> None:
    response = client.get(query(**params), follow_redirects=False)
    assert_oauth_error(
        response, 401, {"error": "invalid_client", "message": "Client authentication failed"}
    )
    assert response.headers["www-authenticate"] == 'Basic realm="OAuth"'


def test_unknown_code_challenge_method_is_refused(client: TestClient) -> None:
    assert_oauth_error(
        client.get(query(**valid(code_challenge_method="sha256"))),
        400,
        {
            "error": "invalid_request",
            "message": M1,
            "hint": "Code challenge method must be `plain` or `S256`",
        },
    )


@pytest.mark.parametrize(
    "challenge",
    ["a" * 42, "a" * 129, "a" * 42 + "+", "a" * 42 + "=", "a" * 42 + "/", "a" * 42 + "é", ""],
)
def test_challenge_outside_43_to_128_unreserved_characters_is_refused(
    client: TestClient, challenge: str
) -> None:
    assert_oauth_error(
        client.get(query(**valid(code_challenge=challenge))),
        400,
        {
            "error": "invalid_request",
            "message": M1,
            "hint": "The code_challenge must be between 43 and 128 characters",
        },
    )


@pytest.mark.parametrize("challenge", ["a" * 43, "Z" * 128, "0-._~" * 9])
def test_challenges_at_the_limits_are_accepted(client: TestClient, challenge: str) -> None:
    response = client.get(query(**valid(code_challenge=challenge)))
    assert response.status_code == 200
    assert "<form" in response.text


def test_s256_is_accepted_at_authorize(client: TestClient) -> None:
    # The library accepts it here; the flow only fails at the token step (SPEC 2.2).
    response = client.get(query(**valid(code_challenge_method="S256")))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("params", "status", "hint"),
    [
        pytest.param(
            without(valid(client_id="f" * 32), "code_challenge"),
            401,
            None,
            id="unknown client before missing challenge",
        ),
        pytest.param(
            without(valid(redirect_uri="http://evil/"), "client_id", "code_challenge"),
            400,
            "Check the `client_id` parameter",
            id="missing client_id before redirect and challenge",
        ),
        pytest.param(
            without(valid(redirect_uri="http://evil/"), "code_challenge"),
            401,
            None,
            id="bad redirect before missing challenge",
        ),
        pytest.param(
            without(valid(code_challenge_method="x"), "code_challenge"),
            400,
            "Check the `code_challenge` parameter",
            id="missing challenge before bad method",
        ),
        pytest.param(
            valid(code_challenge_method="x", code_challenge="short"),
            400,
            "Code challenge method must be `plain` or `S256`",
            id="bad method before bad challenge",
        ),
    ],
)
def test_first_failing_check_wins(
    client: TestClient, params: dict[str, str], status: int, hint: str | None
) -> None:
    response = client.get(query(**params))
    assert response.status_code == status
    assert response.json().get("hint") == hint


def test_post_revalidates_the_original_query(client: TestClient) -> None:
    response = client.post(
        query(**without(valid(), "code_challenge")),
        data={"username": "alice", "password": "alice-sandbox", "decision": "allow"},
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert response.json()["hint"] == "Check the `code_challenge` parameter"


# ---------------------------------------------------------------- the page


def test_page_offers_login_form_with_allow_and_cancel(client: TestClient) -> None:
    response = client.get(query(**valid()))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert PUBLIC_APP.name in page
    assert re.search(r'<label for="username">', page)
    assert re.search(r'<input id="username" name="username"', page)
    assert re.search(r'<input id="password" name="password" type="password"', page)
    assert re.search(r'<button[^>]*name="decision" value="allow"[^>]*>Allow</button>', page)
    assert re.search(r'<button[^>]*name="decision" value="cancel"[^>]*>Cancel</button>', page)
    assert "<script" not in page


def test_page_posts_back_to_the_same_query(client: TestClient) -> None:
    url = query(**valid(redirect_uri="http://localhost/oauth"))
    page = client.get(url).text
    action = re.search(r'<form method="post" action="([^"]*)"', page)
    assert action is not None
    assert action.group(1).replace("&amp;", "&") == url


def test_page_is_not_cached_framed_or_scripted(client: TestClient) -> None:
    headers = client.get(query(**valid())).headers
    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"
    csp = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
    assert csp["default-src"] == "'none'"
    assert "script-src" not in csp  # falls back to default-src 'none'
    assert csp["frame-ancestors"] == "'none'"


def test_page_escapes_the_app_name(client: TestClient) -> None:
    params = valid(client_id=MULTI_APP.client_id, redirect_uri=MULTI_APP.redirect_uris[0])
    page = client.get(query(**params)).text
    assert "Tracker &lt;Multi&gt; &amp; Co" in page
    assert "<Multi>" not in page


# ---------------------------------------------------------------- decisions (SPEC 2.4)


def test_cancel_redirects_with_access_denied_triple(client: TestClient) -> None:
    response = client.post(query(**valid()), data={"decision": "cancel"}, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == (
        "http://localhost/oauth?state=st4te&error=access_denied"
        "&message=The+resource+owner+or+authorization+server+denied+the+request."
        "&hint=The+user+denied+the+request"
    )


def test_cancel_without_state_has_no_state_key(client: TestClient) -> None:
    response = client.post(
        query(**without(valid(), "state")), data={"decision": "cancel"}, follow_redirects=False
    )
    location = response.headers["location"]
    # The library appends the error in a second step: `?&error=...` (SPEC 2.4, [INF]).
    assert location.startswith("http://localhost/oauth?&error=access_denied&message=")
    assert "state" not in dict(parse_qsl(urlsplit(location).query))


def test_cancel_does_not_need_credentials_nor_issue_a_code(
    client: TestClient, app: SandboxApp
) -> None:
    client.post(
        query(**valid()),
        data={"username": "alice", "password": "alice-sandbox", "decision": "cancel"},
        follow_redirects=False,
    )
    assert app.sandbox.tokens.codes == {}


def test_wrong_password_shows_the_form_again_with_an_error(client: TestClient) -> None:
    response = client.post(
        query(**valid()),
        data={"username": "alice", "password": "hunter2-secret", "decision": "allow"},
        follow_redirects=False,
    )
    assert response.status_code == 200
    page = response.text
    assert re.search(r'role="alert"[^>]*>Incorrect username or password.<', page)
    assert 'name="username" value="alice"' in page  # the form is kept...
    assert "hunter2-secret" not in page  # ...but the password is never echoed
    assert response.headers["cache-control"] == "no-store"


def test_unknown_user_gets_the_same_error(client: TestClient) -> None:
    response = client.post(
        query(**valid()), data={"username": "mallory", "password": "x"}, follow_redirects=False
    )
    assert response.status_code == 200
    assert "Incorrect username or password." in response.text


def test_allow_redirects_with_code_and_state(client: TestClient) -> None:
    location = allow(client, valid(state="a b/c~é"))
    base, _, query_string = location.partition("?")
    assert base == "http://localhost/oauth"
    keys = [key for key, _ in parse_qsl(query_string)]
    assert keys == ["code", "state"]
    values = dict(parse_qsl(query_string))
    assert len(values["code"]) > 900  # long and opaque like MAL's (SPEC 2.4)
    assert values["state"] == "a b/c~é"
    # PHP's urlencode: spaces as "+", "~" and "/" escaped.
    assert query_string.endswith("&state=a+b%2Fc%7E%C3%A9")


def test_allow_without_state_sends_only_the_code(client: TestClient) -> None:
    location = allow(client, without(valid(), "state"))
    assert re.fullmatch(r"http://localhost/oauth\?code=[0-9a-f]+", location)


def test_empty_state_is_echoed_empty(client: TestClient) -> None:
    assert allow(client, valid(state="")).endswith("&state=")


def test_script_may_post_credentials_without_a_decision(client: TestClient) -> None:
    response = client.post(
        query(**valid()),
        data={"username": "bob", "password": "bob-sandbox"},
        follow_redirects=False,
    )
    assert response.status_code == 302
    assert "code=" in response.headers["location"]


def test_registered_query_string_is_kept(client: TestClient) -> None:
    location = allow(client, valid(client_id=QUERY_APP.client_id))
    assert location.startswith("http://localhost/cb?from=mal&code=")
    assert location.endswith("&state=st4te")


def test_custom_scheme_redirect_among_several(client: TestClient) -> None:
    location = allow(client, valid(client_id=MULTI_APP.client_id, redirect_uri="myapp://oauth/mal"))
    assert location.startswith("myapp://oauth/mal?code=")
    other = allow(
        client,
        valid(client_id=MULTI_APP.client_id, redirect_uri="http://127.0.0.1:8765/callback"),
    )
    assert other.startswith("http://127.0.0.1:8765/callback?code=")


def test_code_remembers_the_user_and_whether_redirect_uri_was_sent(
    client: TestClient, app: SandboxApp
) -> None:
    omitted = allow(client, valid(), user="carol")
    sent = allow(client, valid(redirect_uri="http://localhost/oauth"))
    codes = app.sandbox.tokens.codes
    first = codes[dict(parse_qsl(urlsplit(omitted).query))["code"]]
    second = codes[dict(parse_qsl(urlsplit(sent).query))["code"]]
    assert (first.user, first.redirect_uri) == ("carol", None)
    assert (second.user, second.redirect_uri) == ("alice", "http://localhost/oauth")


# ---------------------------------------------------------------- auto-approve


@pytest.mark.parametrize(
    "config", [SandboxConfig(anime_count=50, manga_count=50, auto_approve="bob")]
)
def test_auto_approve_redirects_at_once_for_that_user(client: TestClient, app: SandboxApp) -> None:
    response = client.get(query(**valid()), follow_redirects=False)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("http://localhost/oauth?code=")
    assert location.endswith("&state=st4te")
    (code,) = app.sandbox.tokens.codes.values()
    assert code.user == "bob"


def test_auto_approve_can_be_switched_at_run_time(client: TestClient, app: SandboxApp) -> None:
    app.sandbox.auto_approve = "carol"
    response = client.get(query(**valid()), follow_redirects=False)
    assert response.status_code == 302
    assert next(iter(app.sandbox.tokens.codes.values())).user == "carol"
    app.sandbox.auto_approve = None
    assert client.get(query(**valid()), follow_redirects=False).status_code == 200


def test_auto_approve_still_validates_the_request(client: TestClient, app: SandboxApp) -> None:
    app.sandbox.auto_approve = "alice"
    response = client.get(query(**without(valid(), "code_challenge")), follow_redirects=False)
    assert response.status_code == 400
