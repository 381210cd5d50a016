"""The app, the authorize URL and the pending sign-in kept between the two steps (SPEC 2.3)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from malclient._exceptions import ConfigError
from malclient.auth import (
    CODE_TTL,
    KOMETA_FIXED_VERIFIER,
    App,
    PendingAuthorization,
    new_verifier,
)

CLIENT_ID = "5a1d6b7c0e9f4a3b8c2d7e6f1a0b9c8d"
SECRET = "0f3c9a8b7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4b3a2"


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_authorize_url_asks_for_a_code_with_a_plain_challenge_and_state() -> None:
    pending = App(CLIENT_ID).start_authorization()
    url = pending.authorize_url
    assert url.startswith("https://myanimelist.net/v1/oauth2/authorize?")
    assert query(url) == {
        "response_type": ["code"],
        "client_id": [CLIENT_ID],
        "code_challenge": [pending.verifier],
        "code_challenge_method": ["plain"],
        "state": [pending.state],
    }


def test_redirect_uri_is_sent_only_when_configured() -> None:
    without = App(CLIENT_ID).start_authorization()
    assert "redirect_uri" not in query(without.authorize_url)
    with_uri = App(CLIENT_ID, redirect_uri="http://127.0.0.1:8765/callback")
    pending = with_uri.start_authorization()
    assert query(pending.authorize_url)["redirect_uri"] == ["http://127.0.0.1:8765/callback"]
    assert pending.redirect_uri == "http://127.0.0.1:8765/callback"


def test_custom_scheme_redirect_uri_survives_encoding() -> None:
    pending = App(CLIENT_ID, redirect_uri="myapp://oauth/mal?x=1&y=2").start_authorization()
    assert query(pending.authorize_url)["redirect_uri"] == ["myapp://oauth/mal?x=1&y=2"]


def test_a_sandbox_origin_moves_both_endpoints() -> None:
    app = App(CLIENT_ID, auth_url="http://127.0.0.1:5555/v1/oauth2/")
    pending = app.start_authorization()
    assert pending.authorize_url.startswith("http://127.0.0.1:5555/v1/oauth2/authorize?")
    assert pending.token_url == app.token_url == "http://127.0.0.1:5555/v1/oauth2/token"


def test_verifier_length_can_be_chosen() -> None:
    assert len(App(CLIENT_ID).start_authorization(verifier_length=43).verifier) == 43
    with pytest.raises(ValueError, match="43 to 128"):
        App(CLIENT_ID).start_authorization(verifier_length=200)


def test_each_sign_in_gets_its_own_verifier_and_state() -> None:
    app = App(CLIENT_ID)
    first, second = app.start_authorization(), app.start_authorization()
    assert first.verifier != second.verifier
    assert first.state != second.state


def test_state_can_be_left_out() -> None:
    pending = App(CLIENT_ID).start_authorization(state=False)
    assert pending.state is None
    assert "state" not in query(pending.authorize_url)


def test_kometa_sign_in_uses_the_published_verifier_and_no_state_or_redirect() -> None:
    pending = App(CLIENT_ID, SECRET, redirect_uri="http://localhost/").kometa_authorization()
    assert pending.verifier == KOMETA_FIXED_VERIFIER
    assert pending.uses_public_verifier
    assert query(pending.authorize_url) == {
        "response_type": ["code"],
        "client_id": [CLIENT_ID],
        "code_challenge": [KOMETA_FIXED_VERIFIER],
        "code_challenge_method": ["plain"],
    }
    assert not App(CLIENT_ID).start_authorization().uses_public_verifier


def test_a_pending_sign_in_expires_with_the_code_lifetime() -> None:
    pending = App(CLIENT_ID).start_authorization(now=1_000.0)
    assert not pending.expired(now=1_000.0 + CODE_TTL - 1)
    assert pending.expired(now=1_000.0 + CODE_TTL)
    assert pending.expired(now=1_100.0, ttl=60)


def test_a_pending_sign_in_survives_a_trip_through_json() -> None:
    app = App(CLIENT_ID, redirect_uri="http://localhost/", auth_url="http://sandbox.test/v1/oauth2")
    pending = app.start_authorization(now=12.5)
    restored = PendingAuthorization.from_dict(json.loads(json.dumps(pending.to_dict())))
    assert restored == pending
    assert restored.authorize_url == pending.authorize_url


@pytest.mark.parametrize(
    "damage",
    [
        {"verifier": None},
        {"verifier": "short"},
        {"client_id": ""},
        {"client_id": 42},
        {"created_at": "yesterday"},
        {"state": 7},
    ],
)
def test_a_damaged_saved_sign_in_says_to_start_again(damage: dict[str, object]) -> None:
    data: dict[str, object] = {**App(CLIENT_ID).start_authorization().to_dict(), **damage}
    with pytest.raises(ConfigError, match="start the sign-in again"):
        PendingAuthorization.from_dict(data)


def test_repr_of_a_pending_sign_in_hides_the_verifier() -> None:
    pending = App(CLIENT_ID).start_authorization()
    assert pending.verifier not in repr(pending)
    assert pending.verifier not in str(pending)
    assert "<hidden>" in repr(pending)


def test_a_pending_sign_in_refuses_a_verifier_mal_would_refuse() -> None:
    with pytest.raises(ValueError, match="43 to 128"):
        PendingAuthorization(client_id=CLIENT_ID, verifier="x" * 10, state=None)
    PendingAuthorization(client_id=CLIENT_ID, verifier=new_verifier(), state=None)


def test_repr_of_an_app_hides_the_secret_but_says_it_has_one() -> None:
    app = App(CLIENT_ID, SECRET)
    assert SECRET not in repr(app)
    assert "client_secret=<hidden>" in repr(app)
    assert "client_secret=None" in repr(App(CLIENT_ID))


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_a_blank_secret_means_a_public_app(blank: str | None) -> None:
    app = App(CLIENT_ID, blank)
    assert app.is_public
    assert app.client_secret is None
    assert not App(CLIENT_ID, SECRET).is_public


def test_copied_values_lose_surrounding_spaces_and_quotes() -> None:
    app = App(f' "{CLIENT_ID}" ', f"  {SECRET}\n", redirect_uri=" http://localhost/ ")
    assert (app.client_id, app.client_secret, app.redirect_uri) == (
        CLIENT_ID,
        SECRET,
        "http://localhost/",
    )


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"client_id": ""}, "client id is empty"),
        ({"client_id": "abc def"}, "spaces"),
        ({"client_id": 1234}, "quotes"),
        ({"client_id": CLIENT_ID, "client_secret": "ab\ncd"}, "spaces"),
        ({"client_id": CLIENT_ID, "auth_url": "myanimelist.net/v1/oauth2"}, "http"),
    ],
)
def test_an_unusable_app_setting_is_refused_with_the_fix(
    kwargs: dict[str, object], words: str
) -> None:
    with pytest.raises(ConfigError, match=words):
        App(**kwargs)  # type: ignore[arg-type]
