"""The two token-endpoint requests, exactly as MAL wants them: form-encoded (SPEC 2.5)."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from malclient._exceptions import ConfigError, NoAuthorizationCode, ReauthorizationRequired
from malclient.auth import (
    FORM_CONTENT_TYPE,
    KOMETA_FIXED_VERIFIER,
    App,
    Callback,
    FormPost,
    Token,
)

CLIENT_ID = "5a1d6b7c0e9f4a3b8c2d7e6f1a0b9c8d"
SECRET = "0f3c9a8b7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4b3a2"
CODE = "def50200" + "ab" * 400
REFRESH = "def50200" + "cd" * 400
WEB = App(CLIENT_ID, SECRET)
PUBLIC = App(CLIENT_ID)


def sent_fields(body: bytes) -> dict[str, str]:
    """What a form parser on the server reads back."""
    parsed = parse_qs(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in parsed.values())
    return {name: values[0] for name, values in parsed.items()}


def test_web_app_exchange_sends_secret_code_and_verifier() -> None:
    pending = WEB.start_authorization()
    request = WEB.token_request(pending, CODE)
    assert request.url == "https://myanimelist.net/v1/oauth2/token"
    assert request.headers["Content-Type"] == FORM_CONTENT_TYPE
    assert sent_fields(request.body()) == {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "code": CODE,
        "code_verifier": pending.verifier,
    }


def test_public_app_exchange_sends_no_secret() -> None:
    pending = PUBLIC.start_authorization()
    fields = sent_fields(PUBLIC.token_request(pending, CODE).body())
    assert "client_secret" not in fields
    assert fields["client_id"] == CLIENT_ID


def test_redirect_uri_goes_to_the_token_step_iff_it_went_to_authorize() -> None:
    app = App(CLIENT_ID, redirect_uri="http://127.0.0.1:8765/callback")
    pending = app.start_authorization()
    assert sent_fields(app.token_request(pending, CODE).body())["redirect_uri"] == (
        "http://127.0.0.1:8765/callback"
    )
    plain = PUBLIC.start_authorization()
    assert "redirect_uri" not in sent_fields(PUBLIC.token_request(plain, CODE).body())


def test_the_redirect_uri_of_the_sign_in_is_used_even_if_the_app_changed_since() -> None:
    started = App(CLIENT_ID, redirect_uri="http://localhost/").start_authorization()
    later = App(CLIENT_ID, redirect_uri="http://localhost:9000/other")
    assert sent_fields(later.token_request(started, CODE).body())["redirect_uri"] == (
        "http://localhost/"
    )
    assert "redirect_uri" not in sent_fields(
        later.token_request(PUBLIC.start_authorization(), CODE).body()
    )


def test_the_code_is_redeemed_where_it_was_issued() -> None:
    app = App(CLIENT_ID, auth_url="http://127.0.0.1:5555/v1/oauth2")
    request = app.token_request(app.start_authorization(), Callback(CODE, "s"))
    assert request.url == "http://127.0.0.1:5555/v1/oauth2/token"
    assert sent_fields(request.body())["code"] == CODE


def test_characters_that_need_escaping_survive_the_form_encoding() -> None:
    code = "a+b/c=d&e f%"
    fields = sent_fields(PUBLIC.token_request(PUBLIC.start_authorization(), code).body())
    assert fields["code"] == code


def test_kometa_codes_are_exchanged_with_the_published_verifier_and_no_redirect_uri() -> None:
    app = App(CLIENT_ID, SECRET, redirect_uri="http://localhost/")
    fields = sent_fields(app.token_request(app.kometa_authorization(), CODE).body())
    assert fields == {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "code": CODE,
        "code_verifier": KOMETA_FIXED_VERIFIER,
    }


def test_finishing_with_another_client_id_is_refused_before_asking_mal() -> None:
    pending = App("a" * 32).start_authorization()
    with pytest.raises(ConfigError, match="same app for both steps"):
        App("b" * 32).token_request(pending, CODE)


@pytest.mark.parametrize("code", ["", "   ", Callback("")])
def test_an_empty_code_is_refused_before_asking_mal(code: str | Callback) -> None:
    with pytest.raises(NoAuthorizationCode):
        PUBLIC.token_request(PUBLIC.start_authorization(), code)


def test_web_app_refresh_sends_secret_and_refresh_token() -> None:
    request = WEB.refresh_request(REFRESH)
    assert request.url == "https://myanimelist.net/v1/oauth2/token"
    assert request.grant_type == "refresh_token"
    assert sent_fields(request.body()) == {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "refresh_token": REFRESH,
    }


def test_public_app_refresh_sends_no_secret() -> None:
    token = Token(access_token="a", refresh_token=REFRESH, expires_in=3600, expires_at=0.0)
    assert sent_fields(PUBLIC.refresh_request(token).body()) == {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "refresh_token": REFRESH,
    }


@pytest.mark.parametrize("refresh", ["", "  "])
def test_no_refresh_token_means_sign_in_again(refresh: str) -> None:
    with pytest.raises(ReauthorizationRequired, match="mal auth login"):
        WEB.refresh_request(refresh)


def test_repr_of_a_request_names_fields_but_hides_every_secret() -> None:
    pending = WEB.start_authorization()
    exchange = repr(WEB.token_request(pending, CODE))
    refresh = repr(WEB.refresh_request(REFRESH))
    for secret in (SECRET, CODE, pending.verifier, REFRESH):
        assert secret not in exchange
        assert secret not in refresh
    assert "code_verifier=<hidden>" in exchange
    assert "grant_type='refresh_token'" in refresh


def test_extra_headers_never_change_the_form_content_type() -> None:
    request = FormPost(
        "https://example.test/token",
        {"grant_type": "refresh_token"},
        {"content-type": "application/json", "User-Agent": "me"},
    )
    assert dict(request.headers) == {
        "Accept": "application/json",
        "User-Agent": "me",
        "Content-Type": FORM_CONTENT_TYPE,
    }


def test_a_request_cannot_be_changed_after_it_is_built() -> None:
    request = WEB.refresh_request(REFRESH)
    with pytest.raises(TypeError):
        request.form["client_secret"] = "other"  # type: ignore[index]
    with pytest.raises(TypeError):
        request.headers["Content-Type"] = "application/json"  # type: ignore[index]
