"""MAL's OAuth error bodies turned into typed exceptions whose messages say what to do.

Owns the table of SPEC 2.5 (token endpoint) and 2.3 (authorize page); raises nothing itself and
never quotes a response body that is not an OAuth error (it could hold a token).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

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
    RedirectError,
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

# MAL's message for every refresh-token refusal (SPEC 2.5 rows 7b-7e).
REFRESH_INVALID = "the refresh token is invalid"

# (error, hint as `_normal` leaves it) -> what the user is told. SPEC 2.5, first failing row wins.
_TOKEN_HINTS: dict[tuple[str, str], tuple[type[TokenRequestError], str | None]] = {
    # 5b-5e: the code itself.
    ("invalid_request", "cannot decrypt the authorization code"): (AuthorizationCodeDamaged, None),
    ("invalid_request", "authorization code has expired"): (AuthorizationCodeExpired, None),
    # A reused code says "revoked" (MAL's library, not RFC 6749's invalid_grant; SPEC 2.5 notes).
    ("invalid_request", "authorization code has been revoked"): (AuthorizationCodeReused, None),
    ("invalid_request", "authorization code was not issued to this client"): (
        AuthorizationCodeWrongClient,
        None,
    ),
    # 5f, 5g: redirect_uri differs between the steps.
    ("invalid_request", "check the redirect_uri parameter"): (
        RedirectURIMismatch,
        "The sign-in was started with a redirect_uri but the token request sent none: use the "
        "same redirect_uri in both steps, or none in both.",
    ),
    ("invalid_request", "invalid redirect uri"): (RedirectURIMismatch, None),
    # 6b and the verifier's format check that precedes it.
    ("invalid_grant", "failed to verify code_verifier"): (CodeVerifierRejected, None),
    ("invalid_request", "code verifier must follow the specifications of rfc-7636"): (
        CodeVerifierRejected,
        "The code_verifier is malformed: it must be 43 to 128 characters of A-Z, a-z, 0-9 and "
        "- . _ ~ (RFC 7636). Sign in again with a fresh verifier.",
    ),
    # 7b-7e: refresh refusals are invalid_request with 401 (SPEC 2.5 notes).
    ("invalid_request", "cannot decrypt the refresh token"): (RefreshTokenDamaged, None),
    ("invalid_request", "token is not linked to client"): (RefreshTokenWrongClient, None),
    ("invalid_request", "token has expired"): (RefreshTokenExpired, None),
    ("invalid_request", "token has been revoked"): (RefreshTokenRevoked, None),
}

_MISSING = {
    "client_id": "The token request had no client_id: set it to the Client ID shown at "
    "https://myanimelist.net/apiconfig.",
    "code": "The token request had no authorization code: complete the sign-in with the "
    "address the browser ended on after clicking Allow.",
    "code_verifier": "The token request had no code_verifier: MyAnimeList requires PKCE, so "
    "send the verifier whose value went out as code_challenge in the authorize URL.",
    "refresh_token": "The refresh request had no refresh_token: sign in again to get one.",
}
_CHECK_PARAMETER = re.compile(r"check the (\w+) parameter")

_AUTHORIZE_ERRORS = {
    "invalid_client": "MyAnimeList does not know this client id, or the redirect_uri is not "
    "registered for the app (or the app has several and none was sent). Compare them with "
    "https://myanimelist.net/apiconfig.",
    "invalid_request": "The authorize URL is malformed; MyAnimeList requires a code_challenge "
    "of 43 to 128 characters with the plain method. Build it with `mal auth url`.",
    "unsupported_grant_type": "The authorize URL must ask for response_type=code. Build it "
    "with `mal auth url`.",
}


def _normal(text: str | None) -> str:
    """MAL's hint without backticks, case, extra spaces or the final full stop."""
    return " ".join((text or "").replace("`", "").split()).rstrip(".").lower()


def _header(headers: Mapping[str, str] | None, name: str) -> str:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return ""


def _oauth_body(body: bytes) -> dict[str, str | None] | None:
    """`{"error", "message", "hint"}` when `body` is an OAuth error, else None."""
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("error"), str):
        return None
    fields: dict[str, str | None] = {}
    for key in ("error", "message", "hint"):
        value = decoded.get(key)
        fields[key] = value if isinstance(value, str) else None
    # RFC 6749's name, should a proxy or a future MAL use it; MAL says `message` (SPEC 2.5).
    description = decoded.get("error_description")
    if fields["message"] is None and isinstance(description, str):
        fields["message"] = description
    return fields


def _not_oauth(status: int, body: bytes, headers: Mapping[str, str] | None) -> TokenRequestError:
    kind = _header(headers, "content-type").lower()
    if not body.strip():
        what = "an empty body"
    elif "html" in kind or body.lstrip()[:1] == b"<":
        what = "an HTML page"
    else:
        what = "a body that is not an OAuth error"
    if status >= 500:
        advice = "MyAnimeList is having trouble: try again in a few minutes."
    elif status in (403, 429):
        advice = (
            "MyAnimeList may be blocking requests from this address for a while (too many "
            "requests, or a blocked client): wait, then try again."
        )
    elif status in (404, 405):
        advice = (
            "The token URL is wrong: check the auth URL setting (MAL_AUTH_URL or --sandbox); "
            "it must end in /v1/oauth2."
        )
    else:
        advice = "A proxy or captive portal may be in the way: try again later."
    return UnexpectedTokenResponse(
        f"MyAnimeList's token endpoint answered HTTP {status} with {what} instead of an OAuth "
        f"error. {advice}",
        status=status,
    )


def token_error(
    status: int, body: bytes, headers: Mapping[str, str] | None = None
) -> TokenRequestError:
    """The exception for a refused token request (either grant): every row of SPEC 2.5."""
    fields = _oauth_body(body)
    # OAuth errors never come as 404/405: that is another server's answer (an API-style
    # not_found from a wrong base URL, for one), whatever its body says.
    if fields is None or status in (404, 405):
        return _not_oauth(status, body, headers)
    error = fields["error"] or ""
    message, hint = fields["message"], fields["hint"]

    def build(cls: type[TokenRequestError], explanation: str | None = None) -> TokenRequestError:
        return cls(explanation, status=status, error=error, message=message, hint=hint)

    if error == "unsupported_grant_type":
        return build(UnsupportedGrantType)
    if error == "invalid_client":
        return build(InvalidClient)
    known = _TOKEN_HINTS.get((error, _normal(hint)))
    if known is not None:
        return build(*known)
    missing = _CHECK_PARAMETER.fullmatch(_normal(hint))
    if error == "invalid_request" and missing:
        name = missing.group(1)
        return MissingParameter(
            _MISSING.get(name, f"The token request had no {name}."),
            parameter=name,
            status=status,
            error=error,
            message=message,
            hint=hint,
        )
    if _normal(message) == REFRESH_INVALID:
        # A refresh refusal with a hint this table does not know: still dead (SPEC 2.5 7b-7e).
        return build(RefreshTokenRejected)
    if status >= 500:
        return build(
            UnexpectedTokenResponse,
            f"MyAnimeList's token endpoint failed (HTTP {status}): try again in a few minutes.",
        )
    return build(
        TokenRequestError,
        "MyAnimeList refused the token request with an error malclient does not recognise. "
        "Check the client id, secret and redirect URL, then sign in again.",
    )


def authorize_error(error: str, message: str | None, hint: str | None) -> RedirectError:
    """The exception for an error brought back from the authorize page (SPEC 2.3, 2.4)."""
    if error == "access_denied":
        return AccessDenied(error=error, message=message, hint=hint)
    return AuthorizationRefused(
        _AUTHORIZE_ERRORS.get(error), error=error, message=message, hint=hint
    )
