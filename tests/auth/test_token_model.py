"""Tokens with absolute expiries, MAL's JWT claims, Kometa's stored block (SPEC 2.5, 10)."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from malclient._exceptions import UnexpectedTokenResponse
from malclient.auth import (
    REFRESH_TOKEN_LIFETIME,
    AccessTokenClaims,
    Token,
    decode_access_token,
    parse_token_response,
)
from recorded import FIXTURES

CLIENT_ID = "5a1d6b7c0e9f4a3b8c2d7e6f1a0b9c8d"
DAY = 86_400.0
NOW = 1_700_000_000.0


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: object) -> str:
    """A token shaped like MAL's: header.claims.signature (SPEC 2.5)."""
    header = b64(b'{"typ":"JWT","alg":"RS256"}')
    return f"{header}.{b64(json.dumps(claims).encode())}.{b64(b'signature' * 20)}"


ACCESS = jwt(
    {
        "aud": CLIENT_ID,
        "jti": "j",
        "iat": int(NOW),
        "nbf": int(NOW),
        "exp": int(NOW + 31 * DAY),
        "sub": "7012345",
        "scopes": [],
    }
)
REFRESH = "def50200" + "cd" * 400


def success(**overrides: object) -> bytes:
    body: dict[str, object] = {
        "token_type": "Bearer",
        "expires_in": 2678400,
        "access_token": ACCESS,
        "refresh_token": REFRESH,
    }
    body.update(overrides)
    return json.dumps(body).encode()


def test_expiry_is_absolute_from_the_clock_and_expires_in() -> None:
    token = parse_token_response(200, success(expires_in=3600), now=NOW)
    assert token.expires_in == 3600
    assert token.expires_at == NOW + 3600
    assert token.issued_at == NOW
    assert token.token_type == "Bearer"
    assert (token.access_token, token.refresh_token) == (ACCESS, REFRESH)


def test_refresh_expiry_is_estimated_as_31_days_from_issue() -> None:
    token = parse_token_response(200, success(expires_in=3600), now=NOW)
    assert REFRESH_TOKEN_LIFETIME == 31 * DAY
    assert token.refresh_expires_at == NOW + 31 * DAY
    shorter = parse_token_response(200, success(), now=NOW, refresh_lifetime=7 * DAY)
    assert shorter.refresh_expires_at == NOW + 7 * DAY


def test_the_client_comes_from_the_request_or_else_from_the_jwt() -> None:
    assert parse_token_response(200, success(), now=NOW).client_id == CLIENT_ID
    assert parse_token_response(200, success(), now=NOW, client_id="other").client_id == "other"


def test_mals_recorded_success_body_parses() -> None:
    body = (FIXTURES / "oauth_token_success__redacted.json").read_bytes()
    token = parse_token_response(200, body, now=NOW)
    assert token.access_token == "REDACTED_JWT"
    assert token.expires_at == NOW + 2678400
    assert token.claims is None


def test_mals_escaped_slashes_in_tokens_are_decoded() -> None:
    body = b'{"token_type":"Bearer","expires_in":10,"access_token":"a\\/b","refresh_token":"c\\/d"}'
    token = parse_token_response(200, body, now=NOW)
    assert (token.access_token, token.refresh_token) == ("a/b", "c/d")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>Welcome to the hotel wifi</body></html>",
        b'["not", "an", "object"]',
        b'{"token_type":"Bearer","expires_in":2678400,"access_token":"AAA',  # cut short
        success(access_token=""),
        success(access_token=None),
        success(refresh_token=12),
        success(expires_in="soon"),
        success(expires_in=-5),
        success(expires_in=True),
        success(token_type=None),
    ],
)
def test_a_success_status_without_a_usable_token_is_unexpected(body: bytes) -> None:
    with pytest.raises(UnexpectedTokenResponse) as caught:
        parse_token_response(200, body, now=NOW)
    assert "AAA" not in str(caught.value)
    assert "hotel" not in str(caught.value)


def test_a_missing_field_is_named() -> None:
    body = json.dumps({"token_type": "Bearer", "expires_in": 1, "access_token": "x"}).encode()
    with pytest.raises(UnexpectedTokenResponse, match="refresh_token"):
        parse_token_response(200, body, now=NOW)


def test_expired_honours_the_margin() -> None:
    token = parse_token_response(200, success(expires_in=3600), now=NOW)
    assert not token.expired(now=NOW + 3599)
    assert token.expired(now=NOW + 3600)
    assert token.expired(now=NOW + 3000, margin=600)
    assert not token.expired(now=NOW + 2999, margin=600)


def test_refresh_expiry_warning_uses_a_margin_of_days() -> None:
    token = parse_token_response(200, success(), now=NOW)
    assert not token.refresh_expired(now=NOW + 23 * DAY, margin=7 * DAY)
    assert token.refresh_expired(now=NOW + 24 * DAY, margin=7 * DAY)
    assert token.refresh_expired(now=NOW + 31 * DAY)


def test_repr_never_shows_token_values() -> None:
    token = parse_token_response(200, success(), now=NOW)
    assert ACCESS not in repr(token)
    assert REFRESH not in repr(token)
    assert ACCESS not in str(token)
    assert "access_token=<hidden>" in repr(token)


def test_authorization_header_is_bearer() -> None:
    token = parse_token_response(200, success(token_type="bearer"), now=NOW)
    assert token.authorization == f"Bearer {ACCESS}"


def test_kometa_block_has_exactly_its_four_keys_in_its_order() -> None:
    token = parse_token_response(200, success(), now=NOW)
    block = token.to_kometa()
    assert list(block) == ["access_token", "token_type", "expires_in", "refresh_token"]
    assert block["expires_in"] == 2678400
    assert isinstance(block["expires_in"], int)


# --- loading what was stored --------------------------------------------------------------------


def test_a_kometa_block_gets_an_absolute_expiry_from_the_jwt() -> None:
    token = Token.from_stored(access_token=ACCESS, refresh_token=REFRESH, expires_in=2678400)
    assert token.issued_at == NOW
    assert token.expires_at == NOW + 31 * DAY
    assert token.refresh_expires_at == NOW + REFRESH_TOKEN_LIFETIME
    assert token.client_id == CLIENT_ID


def test_a_jwt_without_iat_dates_the_issue_from_exp_and_expires_in() -> None:
    access = jwt({"aud": CLIENT_ID, "exp": NOW + 3600})
    token = Token.from_stored(access_token=access, refresh_token=REFRESH, expires_in=3600)
    assert token.issued_at == NOW
    assert token.expires_at == NOW + 3600
    assert token.refresh_expires_at == NOW + REFRESH_TOKEN_LIFETIME


def test_a_stored_issue_time_is_used_when_the_store_kept_one() -> None:
    token = Token.from_stored(
        access_token="opaque", refresh_token=REFRESH, expires_in=3600, issued_at=NOW - 10
    )
    assert token.expires_at == NOW + 3590
    assert token.refresh_expires_at == NOW - 10 + REFRESH_TOKEN_LIFETIME


def test_a_token_of_unknown_age_is_due_for_refresh_at_once() -> None:
    token = Token.from_stored(
        access_token="opaque", refresh_token=REFRESH, expires_in=2678400, now=NOW
    )
    assert token.expired(now=NOW)
    assert token.refresh_expires_at is None
    assert not token.refresh_expired(now=NOW + 365 * DAY)


def test_the_client_given_by_the_store_wins_over_the_jwt() -> None:
    token = Token.from_stored(
        access_token=ACCESS, refresh_token=REFRESH, expires_in=1, client_id="stored"
    )
    assert token.client_id == "stored"


# --- reading MAL's JWTs -------------------------------------------------------------------------


def test_mals_jwt_claims_are_read() -> None:
    assert decode_access_token(ACCESS) == AccessTokenClaims(
        client_id=CLIENT_ID, user_id=7012345, issued_at=NOW, expires_at=NOW + 31 * DAY
    )


def test_claims_in_other_shapes_are_tolerated() -> None:
    claims = decode_access_token(
        jwt({"aud": ["x", CLIENT_ID], "sub": 42, "iat": "1700000000.5", "exp": 1.7e9})
    )
    assert claims == AccessTokenClaims("x", 42, 1_700_000_000.5, 1.7e9)
    odd = decode_access_token(jwt({"aud": 5, "sub": "alice", "iat": True, "exp": "never"}))
    assert odd == AccessTokenClaims(None, None, None, None)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "REDACTED_JWT",
        "def50200abcdef",
        "a.b",
        "a.b.c.d",
        "a.!!!.c",
        f"x.{b64(b'not json')}.y",
        f"x.{b64(b'[1, 2]')}.y",
        f"x.{b64(bytes([0xFF, 0xFE]))}.y",
        "x." + b64(b'{"exp": NaN}') + ".y",
        "x." + "A" * 20_000 + ".y",
    ],
)
def test_anything_that_is_not_a_jwt_gives_no_claims(value: str) -> None:
    claims = decode_access_token(value)
    assert claims is None or claims.expires_at is None


@given(st.text())
def test_decoding_never_raises(value: str) -> None:
    decode_access_token(value)
