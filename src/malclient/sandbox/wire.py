"""MAL's wire format: compact JSON with PHP `json_encode` escaping, and MAL's error bodies.

Every byte the sandbox answers with goes through here, so a client tested against the sandbox
sees `\\/` and `\\uXXXX` escapes exactly as MAL sends them (SPEC 1, 3.2, 2.5).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"

_encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode


def dumps(obj: Any) -> bytes:
    """Encode like PHP's `json_encode` defaults: compact, `/` as `\\/`, non-ASCII as `\\uXXXX`."""
    # A "/" can only occur inside JSON strings, so a plain replace is exact.
    return _encode(obj).replace("/", "\\/").encode("ascii")


_CONTENT_TYPE_HEADER = (b"content-type", JSON_CONTENT_TYPE.encode("latin-1"))


class MALResponse(Response):
    """A JSON response rendered with MAL's encoder.

    Builds its few headers directly instead of through `Response.init_headers`: every API
    answer passes here, and the benchmark (bench/sandbox.py) counts microseconds.
    """

    media_type = JSON_CONTENT_TYPE

    def __init__(
        self, content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status_code = status_code
        self.background = None
        self.body = content if isinstance(content, bytes) else dumps(content)
        self.raw_headers = [(b"content-length", str(len(self.body)).encode()), _CONTENT_TYPE_HEADER]
        if headers:
            self.raw_headers += [
                (key.lower().encode("latin-1"), value.encode("latin-1"))
                for key, value in headers.items()
            ]


def api_error(
    status: int,
    error: str,
    message: str | None = "",
    headers: Mapping[str, str] | None = None,
) -> MALResponse:
    """An API v2 error: `{"message": ..., "error": ...}`, `message` first, omitted when None."""
    body: dict[str, str] = {} if message is None else {"message": message}
    body["error"] = error
    return MALResponse(body, status_code=status, headers=headers)


def oauth_error(
    status: int,
    error: str,
    message: str,
    hint: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> MALResponse:
    """An OAuth error as MAL's server library writes it: error, message, hint (SPEC 2.5)."""
    body = {"error": error, "message": message}
    if hint is not None:
        body["hint"] = hint
    return MALResponse(body, status_code=status, headers=headers)


# The bodies MAL is observed to send for the common API errors (SPEC 3.2).
def forbidden() -> MALResponse:
    return api_error(403, "forbidden")


def not_found() -> MALResponse:
    return api_error(404, "not_found")


def bad_request(message: str | None) -> MALResponse:
    return api_error(400, "bad_request", message)


def invalid_token(expired: bool = False) -> MALResponse:
    challenge = 'Bearer error="invalid_token"'
    if expired:
        challenge += ',error_description="The access token expired"'
    return api_error(401, "invalid_token", None, headers={"WWW-Authenticate": challenge})
