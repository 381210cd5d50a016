"""API v2 calls as data: build the request, read the answer, decide "refresh, then resend once".
Pure: imports no HTTP library, reads no clock, sleeps never; `_transport.py` sends what this
builds, and thin sync and async drivers (`session.py`) run `call_flow` step by step.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeAlias
from urllib.parse import urlencode, urlsplit

from malclient._exceptions import (
    LOGIN_COMMAND,
    APIError,
    BadRequest,
    NotFound,
    ServerError,
    Throttled,
    TransportError,
    Unauthorized,
)
from malclient.auth.flow import FORM_CONTENT_TYPE
from malclient.auth.tokens import Token

__all__ = [
    "ApiRequest",
    "ApiResponse",
    "Flow",
    "NeedToken",
    "Refresh",
    "Send",
    "Step",
    "Value",
    "api_error",
    "build_request",
    "call_flow",
    "read_response",
    "token_rejected",
]

CLIENT_ID_HEADER = "X-MAL-CLIENT-ID"
_HIDDEN_HEADERS = frozenset({"authorization"})

# What callers may pass as a parameter or form value: MAL wants text, `true`/`false` for
# booleans (SPEC 3.4) and comma-separated lists for `fields` (SPEC 3.5).
Value: TypeAlias = str | int | float | bool | Sequence[str] | None


def _text(value: str | int | float | bool | Sequence[str]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return ",".join(str(item) for item in value)


def _pairs(values: Mapping[str, Value] | None) -> tuple[tuple[str, str], ...]:
    # None means "not sent", so optional arguments can be passed straight through.
    return tuple(
        (name, _text(value)) for name, value in (values or {}).items() if value is not None
    )


@dataclass(frozen=True)
class ApiResponse:
    """What came back, as any transport can give it: status, headers, the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, repr=False)
class ApiRequest:
    """One API call for a transport to send. `repr()` never shows the Authorization header."""

    method: str
    url: str
    params: tuple[tuple[str, str], ...] = ()
    form: tuple[tuple[str, str], ...] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))

    @property
    def path(self) -> str:
        """The URL's path: what messages may quote (never the query, never a header)."""
        return urlsplit(self.url).path

    def body(self) -> bytes | None:
        # List updates are forms: MAL answers JSON or multipart bodies with 400 (SPEC 5.3).
        return None if self.form is None else urlencode(self.form).encode("utf-8")

    def __repr__(self) -> str:
        shown = {
            name: "<hidden>" if name.lower() in _HIDDEN_HEADERS else value
            for name, value in self.headers.items()
        }
        return (
            f"ApiRequest(method={self.method!r}, url={self.url!r}, params={self.params!r}, "
            f"form={self.form!r}, headers={shown!r})"
        )


def _target(api_url: str, path: str) -> str:
    base = api_url.rstrip("/")
    if path.startswith(("https://", "http://")):
        # Paging links are absolute (SPEC 3.3). Only ever send the token to the API itself.
        if not path.startswith(base + "/"):
            raise ValueError(
                f"{path!r} is not an address of the API at {base}: malclient sends the access "
                "token only there."
            )
        return path
    return f"{base}/{path.lstrip('/')}"


def build_request(
    api_url: str,
    method: str,
    path: str,
    *,
    params: Mapping[str, Value] | None = None,
    data: Mapping[str, Value] | None = None,
    token: Token | None = None,
    client_id: str | None = None,
) -> ApiRequest:
    """A request for `path` (relative to `api_url`, or a paging link under it).

    Authenticates with the user's token when given, else with the client id alone (SPEC 3.1:
    public data needs no sign-in). One of the two is required.
    """
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = token.authorization
    elif client_id:
        headers[CLIENT_ID_HEADER] = client_id
    else:
        raise ValueError("an API request needs a user token or a client id")
    form = None
    if data is not None:
        form = _pairs(data)
        headers["Content-Type"] = FORM_CONTENT_TYPE
    return ApiRequest(
        method=method.upper(),
        url=_target(api_url, path),
        params=_pairs(params),
        form=form,
        headers=headers,
    )


# --- reading answers ----------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def _error_body(body: bytes) -> tuple[str | None, str | None]:
    """MAL's `{"message", "error"}` (SPEC 3.2), or (None, None) for anything else."""
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(decoded, dict):
        return None, None
    error, message = decoded.get("error"), decoded.get("message")
    return (
        error if isinstance(error, str) and error else None,
        message if isinstance(message, str) and message else None,
    )


def _looks_html(response: ApiResponse) -> bool:
    kind = _header(response.headers, "content-type").lower()
    return "html" in kind or response.body.lstrip()[:1] == b"<"


def token_rejected(response: ApiResponse) -> bool:
    """True when MAL refused the access token (SPEC 3.1: 401, `invalid_token`)."""
    return response.status == 401


# SPEC 3.8: no published quota; bursts get 403, blocks last minutes to hours.
_SLOW_DOWN = (
    "MAL refuses requests that come too fast; wait and slow down (about one request per "
    "second). A block can last from minutes to hours."
)


def api_error(response: ApiResponse, request: ApiRequest, *, user: bool) -> APIError:
    """The exception for an error status: what went wrong with this call and what to do.

    `user` says whether the call carried a user's token (else only the client id).
    """
    status = response.status
    error, message = _error_body(response.body)
    html = _looks_html(response)
    what = f"{request.method} {request.path}"

    def build(cls: type[APIError], explanation: str) -> APIError:
        return cls(explanation, status=status, error=error, message=message)

    if status == 400:
        if (message or "").lower() == "invalid client id":
            return build(
                BadRequest,
                "MyAnimeList does not know this client id (HTTP 400): copy the Client ID of "
                "your app from https://myanimelist.net/apiconfig.",
            )
        if error == "invalid_content":
            return build(
                BadRequest,
                "MyAnimeList does not accept this title on lists yet (it is not approved): "
                "try again once MAL has approved it.",
            )
        return build(
            BadRequest,
            f"MyAnimeList refused the parameters of {what} (HTTP 400): check the values sent.",
        )
    if status == 401:
        if not user:
            return build(
                Unauthorized,
                f"{what} needs a signed-in user, but only a client id was sent. "
                f"Sign in with `{LOGIN_COMMAND}` and use the saved tokens.",
            )
        return build(
            Unauthorized,
            f"MyAnimeList rejected the access token for {what} (HTTP 401). Sign in again: run "
            f"`{LOGIN_COMMAND}`.",
        )
    if status in (403, 429):
        # Every call carries credentials, so a 403 is MAL's answer to bursts or a block (SPEC
        # 3.8); its block page may be HTML instead of `{"error":"forbidden"}`. Throttled is a
        # Forbidden, so `except Forbidden` still catches it.
        page = " with an HTML block page" if html else ""
        return build(Throttled, f"MyAnimeList refused {what} (HTTP {status}{page}). {_SLOW_DOWN}")
    if status == 404:
        return build(
            NotFound,
            f"MyAnimeList has nothing at {request.path} (HTTP 404): check the id or name.",
        )
    if status >= 500:
        page = " with a gateway error page" if html else ""
        return build(
            ServerError,
            f"MyAnimeList failed to answer {what} (HTTP {status}{page}): it is down or "
            "overloaded; try again in a few minutes.",
        )
    return build(APIError, f"MyAnimeList's API answered {what} with HTTP {status}.")


def read_response(response: ApiResponse, request: ApiRequest, *, user: bool) -> Any:
    """The decoded JSON of a success (None for an empty body), or the exception for an error."""
    if not 200 <= response.status < 300:
        raise api_error(response, request, user=user)
    if not response.body.strip():
        return None
    try:
        return json.loads(response.body)
    except (ValueError, RecursionError):
        # Never quote the body. A cut connection or a captive portal gives this: no usable answer.
        kind = "an HTML page" if _looks_html(response) else "a body that is not JSON"
        raise TransportError(
            f"MyAnimeList answered {request.method} {request.path} with HTTP "
            f"{response.status} but {kind} (a cut connection, proxy or captive portal?): try "
            "again."
        ) from None


# --- the call as a sequence of steps --------------------------------------------------------------


@dataclass(frozen=True)
class NeedToken:
    """Driver: send back a valid `Token` (refreshed first if it is about to expire)."""


@dataclass(frozen=True)
class Refresh:
    """Driver: MAL rejected `stale`; send back a new `Token` (one refresh for all callers)."""

    stale: Token


@dataclass(frozen=True)
class Send:
    """Driver: send `request` and send back its `ApiResponse`."""

    request: ApiRequest


Step: TypeAlias = NeedToken | Refresh | Send
Flow: TypeAlias = Generator[Step, Any, Any]


def call_flow(
    api_url: str,
    method: str,
    path: str,
    *,
    params: Mapping[str, Value] | None = None,
    data: Mapping[str, Value] | None = None,
    client_id: str | None = None,
) -> Flow:
    """One API call, with a user's token or (given `client_id`) the client id alone.

    With a token: on a 401 the token is refreshed once and the call resent once (SPEC 3.1); a
    second 401 means the new token is refused too, so no further refresh is tried.
    Issue 4 adds retries and waits here as more steps; drivers need not change.
    """
    if client_id is not None:
        request = build_request(
            api_url, method, path, params=params, data=data, client_id=client_id
        )
        response: ApiResponse = yield Send(request)
        return read_response(response, request, user=False)
    token: Token = yield NeedToken()
    request = build_request(api_url, method, path, params=params, data=data, token=token)
    response = yield Send(request)
    if token_rejected(response):
        token = yield Refresh(token)
        request = build_request(api_url, method, path, params=params, data=data, token=token)
        response = yield Send(request)
        if token_rejected(response):
            error, message = _error_body(response.body)
            raise Unauthorized(
                f"MyAnimeList rejected the access token right after it was refreshed "
                f"({request.method} {request.path}, HTTP 401): the tokens were probably "
                "revoked (the app was removed from the account on MyAnimeList?). Sign in "
                f"again: run `{LOGIN_COMMAND}`.",
                status=response.status,
                error=error,
                message=message,
            )
    return read_response(response, request, user=True)
