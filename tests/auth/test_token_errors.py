"""Every refusal of MAL's token endpoint (SPEC 2.5) becomes an exception that says what to do."""

from __future__ import annotations

import json

import pytest

from malclient._exceptions import (
    AuthorizationCodeDamaged,
    AuthorizationCodeExpired,
    AuthorizationCodeRejected,
    AuthorizationCodeReused,
    AuthorizationCodeWrongClient,
    CodeVerifierRejected,
    InvalidClient,
    MissingParameter,
    ReauthorizationRequired,
    RedirectURIMismatch,
    RefreshTokenDamaged,
    RefreshTokenExpired,
    RefreshTokenRejected,
    RefreshTokenRevoked,
    RefreshTokenWrongClient,
    TokenRequestError,
    UnexpectedTokenResponse,
    UnsupportedGrantType,
)
from malclient.auth import parse_token_response, token_error
from recorded import FIXTURES

M1 = (
    "The request is missing a required parameter, includes an invalid parameter value, includes "
    "a parameter more than once, or is otherwise malformed."
)
REFRESH_INVALID = "The refresh token is invalid."


def body(error: str, message: str, hint: str | None = None) -> bytes:
    fields = {"error": error, "message": message}
    if hint is not None:
        fields["hint"] = hint
    return json.dumps(fields, separators=(",", ":")).encode().replace(b"/", b"\\/")


def fixture(name: str) -> bytes:
    return (FIXTURES / f"oauth_token_error__{name}.json").read_bytes()


CLIENT_FAILED = body("invalid_client", "Client authentication failed")

# (SPEC 2.5 row, HTTP status, body, exception, words the user must read)
ROWS = [
    (
        "1",
        400,
        fixture("unsupported_grant_type"),
        UnsupportedGrantType,
        ["not form-encoded", "redirect URL points at the token endpoint"],
    ),
    (
        "2",
        400,
        body("invalid_request", M1, "Check the `client_id` parameter"),
        MissingParameter,
        ["no client_id", "Client ID"],
    ),
    (
        "3",
        401,
        CLIENT_FAILED,
        InvalidClient,
        ["wrong client secret", "has no secret", "client id is wrong"],
    ),
    ("4", 401, CLIENT_FAILED, InvalidClient, ["redirect_uri sent is not registered"]),
    (
        "5a",
        400,
        body("invalid_request", M1, "Check the `code` parameter"),
        MissingParameter,
        ["no authorization code"],
    ),
    (
        "5b",
        400,
        body("invalid_request", M1, "Cannot decrypt the authorization code"),
        AuthorizationCodeDamaged,
        ["cut short", "Copy the whole address again"],
    ),
    (
        "5c",
        400,
        body("invalid_request", M1, "Authorization code has expired"),
        AuthorizationCodeExpired,
        ["single-use and short-lived", "Sign in again"],
    ),
    (
        "5d",
        400,
        body("invalid_request", M1, "Authorization code has been revoked"),
        AuthorizationCodeReused,
        ["already used", "single-use and short-lived", "Sign in again"],
    ),
    (
        "5e",
        400,
        body("invalid_request", M1, "Authorization code was not issued to this client"),
        AuthorizationCodeWrongClient,
        ["another client id"],
    ),
    (
        "5f",
        400,
        body("invalid_request", M1, "Check the `redirect_uri` parameter"),
        RedirectURIMismatch,
        ["use the same redirect_uri in both steps, or none in both"],
    ),
    (
        "5g",
        400,
        body("invalid_request", M1, "Invalid redirect URI"),
        RedirectURIMismatch,
        ["use the same redirect_uri in both steps, or none in both"],
    ),
    (
        "6a",
        400,
        fixture("invalid_request_missing_code_verifier"),
        MissingParameter,
        ["no code_verifier", "PKCE"],
    ),
    (
        "6b",
        400,
        fixture("invalid_grant_code_verifier"),
        CodeVerifierRejected,
        ["only the plain method", "challenge must equal the verifier", "not the one used"],
    ),
    (
        "6b-format",
        400,
        body("invalid_request", M1, "Code Verifier must follow the specifications of RFC-7636."),
        CodeVerifierRejected,
        ["43 to 128 characters"],
    ),
    (
        "7a",
        400,
        body("invalid_request", M1, "Check the `refresh_token` parameter"),
        MissingParameter,
        ["no refresh_token"],
    ),
    (
        "7b",
        401,
        body("invalid_request", REFRESH_INVALID, "Cannot decrypt the refresh token"),
        RefreshTokenDamaged,
        ["not a MAL refresh token", "damaged", "mal auth login"],
    ),
    (
        "7c",
        401,
        fixture("refresh_not_linked_to_client"),
        RefreshTokenWrongClient,
        ["belong to another client id", "mal auth login"],
    ),
    (
        "7d",
        401,
        fixture("refresh_expired"),
        RefreshTokenExpired,
        ["older than its lifetime", "mal auth login"],
    ),
    (
        "7e",
        401,
        body("invalid_request", REFRESH_INVALID, "Token has been revoked"),
        RefreshTokenRevoked,
        ["removed the app", "newer refresh token replaced it", "mal auth login"],
    ),
]


@pytest.mark.parametrize(
    ("row", "status", "raw", "expected", "words"), ROWS, ids=[row[0] for row in ROWS]
)
def test_every_spec_row_maps_to_its_exception_and_advice(
    row: str, status: int, raw: bytes, expected: type[TokenRequestError], words: list[str]
) -> None:
    with pytest.raises(expected) as caught:
        parse_token_response(status, raw)
    error = caught.value
    assert type(error) is expected
    sent = json.loads(raw)
    assert (error.status, error.error, error.message, error.hint) == (
        status,
        sent["error"],
        sent["message"],
        sent.get("hint"),
    )
    text = str(error)
    for phrase in words:
        assert phrase in text
    assert sent["message"] in text  # MAL's own words are quoted too
    if "hint" in sent:
        assert sent["hint"] in text


def test_missing_parameter_names_the_field() -> None:
    error = token_error(400, body("invalid_request", M1, "Check the `scope` parameter"))
    assert isinstance(error, MissingParameter)
    assert error.parameter == "scope"
    assert "no scope" in str(error)


def test_every_refresh_refusal_demands_a_new_sign_in_and_is_never_retried() -> None:
    for hint in ("Cannot decrypt the refresh token", "Token is not linked to client"):
        error = token_error(401, body("invalid_request", REFRESH_INVALID, hint))
        assert isinstance(error, ReauthorizationRequired)
        assert isinstance(error, RefreshTokenRejected)
        assert str(error).count("Sign in again: run `mal auth login`.") == 1


def test_a_refresh_refusal_with_an_unknown_hint_still_demands_a_new_sign_in() -> None:
    error = token_error(401, body("invalid_request", REFRESH_INVALID, "Token is haunted"))
    assert type(error) is RefreshTokenRejected
    assert "mal auth login" in str(error)
    assert "Token is haunted" in str(error)


def test_code_refusals_share_a_base_class() -> None:
    for hint in ("Authorization code has expired", "Cannot decrypt the authorization code"):
        assert isinstance(
            token_error(400, body("invalid_request", M1, hint)), AuthorizationCodeRejected
        )


def test_hints_are_matched_whatever_their_punctuation_and_case() -> None:
    error = token_error(400, body("invalid_grant", "m", "failed to verify code_verifier"))
    assert isinstance(error, CodeVerifierRejected)


def test_an_unknown_oauth_error_quotes_mal_and_still_gives_a_next_step() -> None:
    error = token_error(400, body("invalid_scope", "The requested scope is invalid.", "Nope"))
    assert type(error) is TokenRequestError
    assert "The requested scope is invalid." in str(error)
    assert "sign in again" in str(error)


def test_a_server_failure_says_try_later_not_sign_in_again() -> None:
    raw = body("server_error", "The authorization server encountered an unexpected condition.")
    error = token_error(500, raw)
    assert isinstance(error, UnexpectedTokenResponse)
    assert "try again in a few minutes" in str(error)
    assert "sign in again" not in str(error).lower()
    assert error.error == "server_error"


def test_rfc_error_description_is_read_when_message_is_absent() -> None:
    raw = json.dumps({"error": "invalid_client", "error_description": "bad"}).encode()
    error = token_error(401, raw)
    assert isinstance(error, InvalidClient)
    assert error.message == "bad"


@pytest.mark.parametrize(
    ("status", "raw", "headers", "words"),
    [
        (503, b"<html><h1>503 Service Unavailable</h1></html>", {}, "an HTML page"),
        (502, b"", {}, "an empty body"),
        (500, b"oops", {"content-type": "text/plain"}, "try again in a few minutes"),
        (403, b"<!DOCTYPE html><p>blocked</p>", {"Content-Type": "text/html"}, "blocking"),
        (404, b'{"message":"","error":"not_found"}', {}, "/v1/oauth2"),
        (400, b'{"error": 5}', {}, "proxy"),
        (400, b"[1,2,3]", {}, "not an OAuth error"),
    ],
)
def test_bodies_that_are_not_oauth_errors_give_a_generic_actionable_error(
    status: int, raw: bytes, headers: dict[str, str], words: str
) -> None:
    with pytest.raises(UnexpectedTokenResponse) as caught:
        parse_token_response(status, raw, headers)
    text = str(caught.value)
    assert f"HTTP {status}" in text
    assert words in text
    assert caught.value.status == status
    if raw.strip():
        assert raw.decode() not in text  # a body is never echoed: it could hold a token


def test_no_message_contains_the_secrets_of_the_request() -> None:
    secret, code, verifier = "S" * 64, "C" * 900, "V" * 128
    for row in ROWS:
        text = str(token_error(row[1], row[2]))
        for value in (secret, code, verifier):
            assert value not in text
