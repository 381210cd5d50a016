"""Real round trips: requests built by `malclient.auth`, answered by the sandbox's OAuth server.

Each SPEC 2.5 row is provoked the way a user would provoke it, and the sandbox's real body must
come back as the right exception; the happy paths end with a call to the API.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from malclient._exceptions import (
    AccessDenied,
    AuthorizationCodeDamaged,
    AuthorizationCodeExpired,
    AuthorizationCodeReused,
    AuthorizationCodeWrongClient,
    AuthorizationRefused,
    CodeVerifierRejected,
    InvalidClient,
    MissingParameter,
    ReauthorizationRequired,
    RedirectURIMismatch,
    RefreshTokenDamaged,
    RefreshTokenExpired,
    RefreshTokenRevoked,
    RefreshTokenWrongClient,
    TokenRequestError,
    UnexpectedTokenResponse,
    UnsupportedGrantType,
)
from malclient.auth import (
    KOMETA_FIXED_VERIFIER,
    App,
    FormPost,
    PendingAuthorization,
    Token,
    parse_token_response,
)
from malclient.sandbox import PUBLIC_APP, USERS, WEB_APP, SandboxApp, SandboxConfig, create_app

ORIGIN = "http://sandbox.test"
AUTH_URL = f"{ORIGIN}/v1/oauth2"
START = 1_700_000_000.0
ALICE = next(user for user in USERS if user.name == "alice")
WEB = App(WEB_APP.client_id, WEB_APP.client_secret, auth_url=AUTH_URL)
PUBLIC = App(PUBLIC_APP.client_id, auth_url=AUTH_URL)


@pytest.fixture
def sandbox() -> SandboxApp:
    # Consent given at once as alice; a frozen clock makes expiries exact; a small catalogue.
    return create_app(
        SandboxConfig(anime_count=50, manga_count=50, auto_approve="alice", clock_start=START)
    )


@pytest.fixture
def browser(sandbox: SandboxApp) -> Iterator[TestClient]:
    with TestClient(sandbox, base_url=ORIGIN) as client:
        yield client


def follow(browser: TestClient, pending: PendingAuthorization) -> str:
    """Open the authorize URL; return the address the browser ends on."""
    response = browser.get(pending.authorize_url, follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def send(browser: TestClient, request: FormPost, client_id: str | None = None) -> Token:
    """What a transport does: POST the form, hand status, body and headers to the parser."""
    sandbox: SandboxApp = browser.app  # type: ignore[assignment]
    now = sandbox.sandbox.clock.now()
    response = browser.post(request.url, content=request.body(), headers=dict(request.headers))
    return parse_token_response(
        response.status_code, response.content, response.headers, now=now, client_id=client_id
    )


def sign_in(browser: TestClient, app: App) -> Token:
    pending = app.start_authorization()
    callback = pending.accept(follow(browser, pending))
    return send(browser, app.token_request(pending, callback), app.client_id)


def advance(browser: TestClient, seconds: float) -> None:
    assert browser.post("/_sandbox/clock", json={"advance": seconds}).status_code == 200


def whoami(browser: TestClient, token: Token) -> str:
    response = browser.get("/v2/users/@me", headers={"Authorization": token.authorization})
    assert response.status_code == 200, response.text
    name = response.json()["name"]
    assert isinstance(name, str)
    return name


def refused(browser: TestClient, request: FormPost, expected: type[TokenRequestError]) -> None:
    with pytest.raises(expected) as caught:
        send(browser, request)
    error = caught.value
    assert type(error) is expected
    assert error.status in (400, 401)
    # MAL's raw words are kept.
    assert error.error
    assert error.message


def altered(request: FormPost, **changes: str | None) -> FormPost:
    """The same request with fields changed (None removes one): what a buggy client sends."""
    form = dict(request.form)
    for name, value in changes.items():
        if value is None:
            form.pop(name, None)
        else:
            form[name] = value
    return FormPost(request.url, form)


# --- happy paths --------------------------------------------------------------------------------


def test_web_app_signs_in_calls_the_api_and_refreshes(browser: TestClient) -> None:
    token = sign_in(browser, WEB)
    assert token.expires_at == START + 2_678_400
    assert token.refresh_expires_at == START + 31 * 86_400
    assert token.client_id == WEB_APP.client_id
    assert token.claims is not None
    assert token.claims.user_id == ALICE.id
    assert whoami(browser, token) == "alice"

    advance(browser, 3600)
    fresh = send(browser, WEB.refresh_request(token), WEB.client_id)
    assert fresh.access_token != token.access_token
    assert fresh.refresh_token != token.refresh_token
    assert fresh.issued_at == START + 3600
    assert whoami(browser, fresh) == "alice"


def test_public_app_with_its_redirect_uri_signs_in_without_a_secret(browser: TestClient) -> None:
    app = dataclasses.replace(PUBLIC, redirect_uri=PUBLIC_APP.redirect_uris[0])
    pending = app.start_authorization()
    address = follow(browser, pending)
    assert address.startswith(PUBLIC_APP.redirect_uris[0] + "?code=")
    request = app.token_request(pending, pending.accept(address))
    assert "client_secret" not in request.form
    assert request.form["redirect_uri"] == PUBLIC_APP.redirect_uris[0]
    token = send(browser, request, app.client_id)
    assert whoami(browser, token) == "alice"
    assert whoami(browser, send(browser, app.refresh_request(token))) == "alice"


def test_a_pasted_kometa_style_address_completes_the_sign_in(browser: TestClient) -> None:
    pending = WEB.start_authorization()
    address = follow(browser, pending)
    pasted = f'  "{address.removeprefix("http://")}"\n'  # Kometa's docs: "localhost/?code=..."
    token = send(browser, WEB.token_request(pending, pending.accept(pasted)))
    assert whoami(browser, token) == "alice"


def test_a_code_from_kometas_documented_url_completes_with_the_public_verifier(
    browser: TestClient,
) -> None:
    kometa = WEB.kometa_authorization()
    address = follow(browser, kometa)
    assert "state=" not in address
    callback = kometa.accept(address)
    request = WEB.token_request(kometa, callback)
    assert request.form["code_verifier"] == KOMETA_FIXED_VERIFIER
    assert kometa.uses_public_verifier
    assert whoami(browser, send(browser, request)) == "alice"


# --- the way back -------------------------------------------------------------------------------


def test_cancel_on_the_consent_page_is_access_denied_and_no_code(browser: TestClient) -> None:
    pending = WEB.start_authorization()
    response = browser.post(
        pending.authorize_url, data={"decision": "cancel"}, follow_redirects=False
    )
    with pytest.raises(AccessDenied) as caught:
        pending.accept(response.headers["location"])
    assert caught.value.message == "The resource owner or authorization server denied the request."


def test_an_unregistered_redirect_uri_shows_a_json_page_that_explains_itself(
    browser: TestClient,
) -> None:
    pending = dataclasses.replace(WEB, redirect_uri="http://localhost:9/").start_authorization()
    page = browser.get(pending.authorize_url, follow_redirects=False)
    assert page.status_code == 401
    with pytest.raises(AuthorizationRefused, match="not registered"):
        pending.accept(page.text)


# --- every row of SPEC 2.5 ----------------------------------------------------------------------


def exchange(browser: TestClient, app: App = WEB) -> tuple[PendingAuthorization, str]:
    pending = app.start_authorization()
    return pending, pending.accept(follow(browser, pending)).code


def test_row_1_a_json_body_is_unsupported_grant_type(browser: TestClient) -> None:
    pending, code = exchange(browser)
    request = WEB.token_request(pending, code)
    response = browser.post(request.url, json=dict(request.form))
    with pytest.raises(UnsupportedGrantType, match="not form-encoded"):
        parse_token_response(response.status_code, response.content, response.headers)


def test_row_1_a_browser_sent_to_the_token_url_is_unsupported_grant_type(
    browser: TestClient,
) -> None:
    response = browser.get(f"{AUTH_URL}/token?code=abc&state=x")
    with pytest.raises(UnsupportedGrantType, match="redirect URL points at the token endpoint"):
        parse_token_response(response.status_code, response.content, response.headers)


def test_row_2_no_client_id(browser: TestClient) -> None:
    pending, code = exchange(browser)
    request = altered(WEB.token_request(pending, code), client_id=None)
    refused(browser, request, MissingParameter)


@pytest.mark.parametrize(
    "app",
    [
        dataclasses.replace(WEB, client_secret="wrong" * 8),
        dataclasses.replace(WEB, client_secret=None),  # a web app that "has no secret"
        App("0" * 32, auth_url=AUTH_URL),  # unknown client id
    ],
    ids=["wrong-secret", "no-secret", "unknown-client"],
)
def test_row_3_bad_credentials_are_invalid_client(browser: TestClient, app: App) -> None:
    pending, code = exchange(browser)
    request = altered(
        WEB.token_request(pending, code),
        client_id=app.client_id,
        client_secret=app.client_secret,
    )
    refused(browser, request, InvalidClient)
    refused(browser, app.refresh_request("def50200abc"), InvalidClient)


def test_row_4_an_unregistered_redirect_uri_is_invalid_client(browser: TestClient) -> None:
    pending, code = exchange(browser)
    moved = dataclasses.replace(pending, redirect_uri="http://localhost:9/")
    refused(browser, WEB.token_request(moved, code), InvalidClient)


def test_row_5a_no_code(browser: TestClient) -> None:
    pending, code = exchange(browser)
    refused(browser, altered(WEB.token_request(pending, code), code=None), MissingParameter)


def test_row_5b_a_code_cut_short_while_copying(browser: TestClient) -> None:
    pending, code = exchange(browser)
    refused(browser, WEB.token_request(pending, code[:500]), AuthorizationCodeDamaged)


def test_row_5c_a_code_redeemed_too_late(browser: TestClient) -> None:
    pending, code = exchange(browser)
    advance(browser, 601)
    refused(browser, WEB.token_request(pending, code), AuthorizationCodeExpired)


def test_row_5d_a_code_redeemed_twice(browser: TestClient) -> None:
    pending, code = exchange(browser)
    send(browser, WEB.token_request(pending, code))
    refused(browser, WEB.token_request(pending, code), AuthorizationCodeReused)


def test_row_5e_a_code_redeemed_by_another_app(browser: TestClient) -> None:
    pending, code = exchange(browser, WEB)
    other = dataclasses.replace(pending, client_id=PUBLIC.client_id)
    refused(browser, PUBLIC.token_request(other, code), AuthorizationCodeWrongClient)


def test_row_5f_redirect_uri_sent_at_authorize_but_not_at_the_token_step(
    browser: TestClient,
) -> None:
    app = dataclasses.replace(WEB, redirect_uri=WEB_APP.redirect_uris[0])
    pending, code = exchange(browser, app)
    dropped = dataclasses.replace(pending, redirect_uri=None)
    refused(browser, app.token_request(dropped, code), RedirectURIMismatch)


def test_row_5g_redirect_uri_sent_only_at_the_token_step(browser: TestClient) -> None:
    pending, code = exchange(browser)
    added = dataclasses.replace(pending, redirect_uri=WEB_APP.redirect_uris[0])
    refused(browser, WEB.token_request(added, code), RedirectURIMismatch)


def test_row_6a_no_code_verifier(browser: TestClient) -> None:
    pending, code = exchange(browser)
    request = altered(WEB.token_request(pending, code), code_verifier=None)
    refused(browser, request, MissingParameter)


def test_row_6b_the_verifier_of_another_sign_in(browser: TestClient) -> None:
    pending, code = exchange(browser)
    other = dataclasses.replace(pending, verifier=WEB.start_authorization().verifier)
    refused(browser, WEB.token_request(other, code), CodeVerifierRejected)


def test_row_6b_an_s256_challenge_fails_because_mal_compares_plainly(browser: TestClient) -> None:
    pending = WEB.start_authorization()
    hashed = base64.urlsafe_b64encode(hashlib.sha256(pending.verifier.encode()).digest())
    url = pending.authorize_url.replace(
        f"code_challenge={pending.verifier}", f"code_challenge={hashed.rstrip(b'=').decode()}"
    ).replace("code_challenge_method=plain", "code_challenge_method=S256")
    address = browser.get(url, follow_redirects=False).headers["location"]
    code = pending.accept(address).code
    with pytest.raises(CodeVerifierRejected, match="only the plain method"):
        send(browser, WEB.token_request(pending, code))


def test_row_6b_a_malformed_verifier(browser: TestClient) -> None:
    pending, code = exchange(browser)
    request = altered(WEB.token_request(pending, code), code_verifier="short")
    refused(browser, request, CodeVerifierRejected)


def test_row_7a_no_refresh_token(browser: TestClient) -> None:
    request = altered(WEB.refresh_request("x"), refresh_token=None)
    refused(browser, request, MissingParameter)


def test_row_7b_a_damaged_refresh_token_needs_a_new_sign_in(browser: TestClient) -> None:
    token = sign_in(browser, WEB)
    refused(browser, WEB.refresh_request(token.refresh_token[:-10]), RefreshTokenDamaged)


def test_row_7c_tokens_of_another_client_id(browser: TestClient) -> None:
    token = sign_in(browser, WEB)
    refused(browser, PUBLIC.refresh_request(token), RefreshTokenWrongClient)


def test_row_7d_a_refresh_token_older_than_31_days(browser: TestClient) -> None:
    token = sign_in(browser, WEB)
    advance(browser, 31 * 86_400 + 1)
    assert token.refresh_expired(now=START + 31 * 86_400 + 1)
    with pytest.raises(RefreshTokenExpired) as caught:
        send(browser, WEB.refresh_request(token))
    assert isinstance(caught.value, ReauthorizationRequired)
    assert "mal auth login" in str(caught.value)


def test_row_7e_tokens_revoked_when_the_user_removes_the_app(browser: TestClient) -> None:
    token = sign_in(browser, WEB)
    assert browser.post("/_sandbox/users/alice/revoke").status_code == 200
    refused(browser, WEB.refresh_request(token), RefreshTokenRevoked)


def test_row_7e_an_old_refresh_token_replaced_by_a_newer_one(browser: TestClient) -> None:
    browser.post("/_sandbox/settings", json={"revoke_refresh_on_use": True})
    token = sign_in(browser, WEB)
    send(browser, WEB.refresh_request(token))
    with pytest.raises(RefreshTokenRevoked, match="newer refresh token replaced it"):
        send(browser, WEB.refresh_request(token))


def test_a_wrong_auth_url_is_explained_not_mistaken_for_an_oauth_error(
    browser: TestClient,
) -> None:
    lost = App(WEB_APP.client_id, WEB_APP.client_secret, auth_url=f"{ORIGIN}/v2")
    with pytest.raises(UnexpectedTokenResponse, match="/v1/oauth2"):
        send(browser, lost.refresh_request("def50200abc"))


def test_no_secret_reaches_any_error_message(browser: TestClient) -> None:
    token = sign_in(browser, WEB)
    pending, code = exchange(browser)
    secrets = [WEB_APP.client_secret, code, pending.verifier, token.refresh_token]
    messages = []
    for request in (
        altered(WEB.token_request(pending, code), client_secret="x"),
        altered(WEB.token_request(pending, code), code_verifier="y" * 43),
        PUBLIC.refresh_request(token),
    ):
        with pytest.raises(TokenRequestError) as caught:
            send(browser, request)
        messages.append(str(caught.value) + repr(caught.value) + json.dumps(vars(caught.value)))
    for message in messages:
        for secret in secrets:
            assert secret
            assert secret not in message
