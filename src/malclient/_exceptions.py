"""Every exception malclient raises. Owns the messages' shape; decides nothing about when to raise.

Each message says what went wrong and what to do, and never contains a secret. When MAL answered,
its own words are kept as attributes (`status`, `error`, `message`, `hint`) and quoted.

    MALError
    ├── ConfigError                     the configuration cannot work as written
    │   ├── ConfigFileError             a config file cannot be read, parsed, locked or written
    │   ├── InvalidArgument             a call's argument MAL would refuse (also a ValueError)
    │   └── TokenKeyError               tokens at rest cannot be read with the key given
    ├── AuthError                       signing in or keeping tokens fresh failed
    │   ├── RedirectError               what came back from MAL's authorize page is not usable
    │   │   ├── AccessDenied            the user pressed Cancel (error=access_denied)
    │   │   ├── AuthorizationRefused    MAL refused the authorize request itself
    │   │   ├── NoAuthorizationCode     no code in what the user brought back
    │   │   └── StateMismatch           the code belongs to another sign-in
    │   ├── TokenRequestError           MAL's token endpoint refused a request
    │   │   ├── UnsupportedGrantType    not form-encoded, or redirect URL = token endpoint
    │   │   ├── MissingParameter        a required field was not sent
    │   │   ├── InvalidClient           wrong client id or secret, or unregistered redirect_uri
    │   │   ├── RedirectURIMismatch     redirect_uri differs between the two steps
    │   │   ├── CodeVerifierRejected    PKCE failed (MAL supports only `plain`)
    │   │   ├── AuthorizationCodeRejected
    │   │   │   ├── AuthorizationCodeDamaged      cut short or altered while copying
    │   │   │   ├── AuthorizationCodeExpired      older than a few minutes
    │   │   │   ├── AuthorizationCodeReused       codes are single-use
    │   │   │   └── AuthorizationCodeWrongClient  issued to another client id
    │   │   ├── RefreshTokenRejected    (also a ReauthorizationRequired)
    │   │   │   ├── RefreshTokenDamaged
    │   │   │   ├── RefreshTokenExpired
    │   │   │   ├── RefreshTokenRevoked
    │   │   │   └── RefreshTokenWrongClient
    │   │   └── UnexpectedTokenResponse not an OAuth answer: HTML page, bad JSON, no token
    │   └── ReauthorizationRequired     no way to refresh: sign in again (`mal auth login`)
    ├── APIError                        MAL's API v2 answered with an error status
    │   ├── BadRequest                  400
    │   ├── Unauthorized                401
    │   ├── Forbidden                   403
    │   │   ├── RateLimited             403: too many requests (SPEC 3.8), after any cool-downs
    │   │   └── Throttled               the same class as RateLimited, under its first name
    │   ├── NotFound                    404
    │   └── ServerError                 5xx
    ├── ResponseFormatError             MAL answered 200, but not in the shape expected
    ├── TokenStoreError                 the token database failed
    │   └── TokenKeyError               (also a ConfigError)
    └── TransportError                  no answer at all
        ├── ConnectError                could not connect
        └── Timeout                     MAL did not answer in time

    UserWarning
    └── RefreshTokenExpiringWarning     the refresh token ends soon and could not be renewed
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

__all__ = [
    "APIError",
    "AccessDenied",
    "AuthError",
    "AuthorizationCodeDamaged",
    "AuthorizationCodeExpired",
    "AuthorizationCodeRejected",
    "AuthorizationCodeReused",
    "AuthorizationCodeWrongClient",
    "AuthorizationRefused",
    "BadRequest",
    "CodeVerifierRejected",
    "ConfigError",
    "ConfigFileError",
    "ConnectError",
    "Forbidden",
    "InvalidArgument",
    "InvalidClient",
    "MALError",
    "MissingParameter",
    "NoAuthorizationCode",
    "NotFound",
    "RateLimited",
    "ReauthorizationRequired",
    "RedirectError",
    "RedirectURIMismatch",
    "RefreshTokenDamaged",
    "RefreshTokenExpired",
    "RefreshTokenExpiringWarning",
    "RefreshTokenRejected",
    "RefreshTokenRevoked",
    "RefreshTokenWrongClient",
    "ResponseFormatError",
    "ServerError",
    "StateMismatch",
    "Throttled",
    "Timeout",
    "TokenKeyError",
    "TokenRequestError",
    "TokenStoreError",
    "TransportError",
    "Unauthorized",
    "UnexpectedTokenResponse",
    "UnsupportedGrantType",
]

LOGIN_COMMAND = "mal auth login"


class MALError(Exception):
    """Base of every error malclient raises: `except MALError` catches them all."""


class ConfigError(MALError):
    """The configuration (file, environment, arguments) cannot work as written."""


class ConfigFileError(ConfigError):
    """A config file cannot be read, parsed, locked or written; the message says how to fix it.

    `path` is the file, `line`/`column` (1-based) the spot of a parse error. Never carries a
    secret: parse errors are reported by position, not by the offending text.
    """

    def __init__(
        self, message: str, *, path: Path, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column


class InvalidArgument(ConfigError, ValueError):
    """A call's argument MAL would refuse (a 2-letter search, an unknown field, a negative id),
    found before anything is sent. A ValueError too, so `except ValueError` keeps working."""


class AuthError(MALError):
    """Signing in or refreshing failed.

    Subclasses carry a default `explanation` (cause and fix); raisers may pass a sharper one.
    `status`, `error`, `message`, `hint` are MAL's raw answer, or None when MAL was not asked.
    """

    default_explanation: ClassVar[str] = "Signing in to MyAnimeList failed."

    def __init__(
        self,
        explanation: str | None = None,
        *,
        status: int | None = None,
        error: str | None = None,
        message: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.explanation = explanation or self.default_explanation
        self.status = status
        self.error = error
        self.message = message
        self.hint = hint
        super().__init__(self._render())

    def _next_step(self) -> str:
        return ""

    def _render(self) -> str:
        text = self.explanation + self._next_step()
        if not (self.error or self.message or self.hint):
            return text  # MAL's status alone adds nothing to the explanation
        said = " ".join(
            part
            for part in (
                f"HTTP {self.status}" if self.status is not None else "",
                self.error or "",
            )
            if part
        )
        if self.message:
            said += f': "{self.message}"' if said else f'"{self.message}"'
        if self.hint:
            said += f' (hint: "{self.hint}")'
        return f"{text} MAL answered {said}." if said else text


# --- the way back from the authorize page ------------------------------------------------------


class RedirectError(AuthError):
    """What the user brought back from MAL's authorize page cannot complete the sign-in."""

    default_explanation = (
        "The address brought back from MyAnimeList cannot complete the sign-in: copy the whole "
        "address the browser ended on after clicking Allow."
    )


class AccessDenied(RedirectError):
    """The user pressed Cancel on MAL's consent page (SPEC 2.4)."""

    default_explanation = (
        "The sign-in was cancelled on MyAnimeList's page, so no code was issued. Run the "
        "sign-in again and click Allow."
    )


class AuthorizationRefused(RedirectError):
    """MAL refused the authorize request itself (an error redirect or JSON page, SPEC 2.3)."""

    default_explanation = (
        "MyAnimeList refused the sign-in request. Check the client id and the app's redirect "
        "URL at https://myanimelist.net/apiconfig, then sign in again."
    )


class NoAuthorizationCode(RedirectError):
    """There is no `code` in what the user pasted or the browser delivered."""

    default_explanation = (
        "No authorization code found. After clicking Allow, the browser goes to the app's "
        "redirect URL with ?code=... appended (the page may not load; that is expected): copy "
        "that whole address."
    )


class StateMismatch(RedirectError):
    """The `state` brought back does not belong to the sign-in being completed."""

    default_explanation = (
        "This address belongs to a different sign-in than the one being completed (its state "
        "does not match). Start the sign-in again and use the newest address."
    )


# --- the token endpoint -------------------------------------------------------------------------


class TokenRequestError(AuthError):
    """MAL's token endpoint refused a request (SPEC 2.5, "Error responses")."""

    default_explanation = "MyAnimeList's token endpoint refused the request."


class UnsupportedGrantType(TokenRequestError):
    default_explanation = (
        "MyAnimeList did not see a grant type: the token request was not form-encoded (it must "
        "be application/x-www-form-urlencoded, not JSON or URL parameters), or the app's "
        "redirect URL points at the token endpoint (set it to your own address, such as "
        "http://localhost/, at https://myanimelist.net/apiconfig)."
    )


class MissingParameter(TokenRequestError):
    """A required form field was not sent; `parameter` names it."""

    default_explanation = "The token request lacked a required field."

    def __init__(
        self,
        explanation: str | None = None,
        *,
        parameter: str = "",
        status: int | None = None,
        error: str | None = None,
        message: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.parameter = parameter
        super().__init__(explanation, status=status, error=error, message=message, hint=hint)


class InvalidClient(TokenRequestError):
    default_explanation = (
        "MyAnimeList did not accept the app's credentials: wrong client secret, or this app "
        "type has no secret (leave it out for android/ios/other apps), or the client id is "
        "wrong, or the redirect_uri sent is not registered for the app. Compare them with "
        "https://myanimelist.net/apiconfig."
    )


class RedirectURIMismatch(TokenRequestError):
    default_explanation = (
        "The redirect_uri differs between the authorize URL and the token request: use the "
        "same redirect_uri in both steps, or none in both."
    )


class CodeVerifierRejected(TokenRequestError):
    default_explanation = (
        "MyAnimeList could not verify the PKCE code_verifier. MAL supports only the plain "
        "method: the code_challenge must equal the verifier (S256 fails). Or the verifier is "
        "not the one used for this code: complete the sign-in with the verifier of the same "
        "authorize URL, or sign in again."
    )


class AuthorizationCodeRejected(TokenRequestError):
    """The authorization code cannot be exchanged; sign in again for a new one."""

    default_explanation = (
        "MyAnimeList rejected the authorization code. Sign in again to get a new one."
    )


class AuthorizationCodeDamaged(AuthorizationCodeRejected):
    default_explanation = (
        "MyAnimeList could not read the authorization code: it was cut short or altered while "
        "copying (MAL's codes are about 1,000 characters), or it was issued by another server. "
        "Copy the whole address again, or sign in again."
    )


class AuthorizationCodeExpired(AuthorizationCodeRejected):
    default_explanation = (
        "The authorization code has expired: codes are single-use and short-lived (minutes). "
        "Sign in again and complete it right away."
    )


class AuthorizationCodeReused(AuthorizationCodeRejected):
    default_explanation = (
        "The authorization code was already used: codes are single-use and short-lived. Sign "
        "in again for a new code."
    )


class AuthorizationCodeWrongClient(AuthorizationCodeRejected):
    default_explanation = (
        "The authorization code was issued to another client id: complete the sign-in with "
        "the client id that opened the authorize URL, or sign in again with this one."
    )


class UnexpectedTokenResponse(TokenRequestError):
    """Not an OAuth answer at all: an HTML error page, broken JSON, a success without a token."""

    default_explanation = (
        "MyAnimeList's token endpoint gave an answer malclient does not understand. MAL may be "
        "down or a proxy may be in the way: try again later."
    )


# --- signing in again ---------------------------------------------------------------------------


class ReauthorizationRequired(AuthError):
    """The tokens cannot be refreshed; only a new sign-in helps. The message names the command."""

    default_explanation = "There is no usable refresh token."
    command: ClassVar[str] = LOGIN_COMMAND

    def _next_step(self) -> str:
        return f" Sign in again: run `{self.command}`."


class RefreshTokenRejected(TokenRequestError, ReauthorizationRequired):
    """MAL refused the refresh token (SPEC 2.5 rows 7b-7e). Never retry: sign in again."""

    default_explanation = "MyAnimeList refused the refresh token."


class RefreshTokenDamaged(RefreshTokenRejected):
    default_explanation = (
        "MyAnimeList could not read the refresh token: this is not a MAL refresh token (a "
        "damaged or cut-short copy, or one issued by another server)."
    )


class RefreshTokenExpired(RefreshTokenRejected):
    default_explanation = (
        "The refresh token has expired: it is older than its lifetime (31 days on MAL), so "
        "the tokens cannot be renewed any more."
    )


class RefreshTokenRevoked(RefreshTokenRejected):
    default_explanation = (
        "The refresh token was revoked: the user removed the app on MyAnimeList, or a newer "
        "refresh token replaced it (always keep the newest pair)."
    )


class RefreshTokenWrongClient(RefreshTokenRejected):
    default_explanation = (
        "These tokens belong to another client id: refresh them with the client id that "
        "signed in, or sign in again with this one."
    )


# --- the API ------------------------------------------------------------------------------------


class APIError(MALError):
    """MAL's API v2 answered with an error status. `error`/`message` are its body (SPEC 3.2)."""

    def __init__(
        self,
        explanation: str | None = None,
        *,
        status: int,
        error: str | None = None,
        message: str | None = None,
    ) -> None:
        self.status = status
        self.error = error
        self.message = message
        text = explanation or f"MyAnimeList's API answered HTTP {status}."
        said = [part for part in (error, message) if part]
        if said:
            text += " [MAL said: " + "; ".join(said) + "]"
        super().__init__(text)


class BadRequest(APIError):
    """400: a parameter MAL does not accept (SPEC 3.2)."""


class Unauthorized(APIError):
    """401: the access token is invalid or expired (SPEC 3.1)."""


class Forbidden(APIError):
    """403: no credentials, or MAL is blocking the caller (SPEC 3.1, 3.8)."""


class RateLimited(Forbidden):
    """403 because of too many requests: MAL answers bursts with 403, never 429 (SPEC 3.8).

    With retries on, it reaches the caller only after the client's cool-downs failed too.
    """


# The first name of this class; kept so `except Throttled` goes on working.
Throttled = RateLimited


class NotFound(APIError):
    """404: no such anime, manga, user or topic."""


class ServerError(APIError):
    """5xx: MAL failed; a retry later may succeed."""


class ResponseFormatError(MALError, ValueError):
    """MAL answered 200 with JSON that does not fit the expected model (e.g. a field of a new
    type), or not JSON at all. The message names the JSON path; the body is never quoted."""


class TokenStoreError(MALError):
    """The token database failed: unreachable, locked for too long, or newer than this library."""


class TokenKeyError(TokenStoreError, ConfigError):
    """The tokens at rest cannot be read or written with the key given (`MAL_TOKEN_KEY`).

    Raised instead of ever handing out a garbled token: a missing, malformed or wrong key.
    """


# --- no answer ----------------------------------------------------------------------------------


class TransportError(MALError):
    """No usable answer from MAL: the connection failed, was cut or timed out."""


class ConnectError(TransportError):
    """Could not connect to MAL (DNS, refused, TLS)."""


class Timeout(TransportError):
    """MAL did not answer in time."""


# --- warnings -----------------------------------------------------------------------------------


class RefreshTokenExpiringWarning(UserWarning):
    """The refresh token ends soon and could not be renewed: sign in again before it does."""
