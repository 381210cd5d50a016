"""The only client module that touches the network: sends what `_protocol` and `auth` build.
Must not decide anything about MAL's answers (that is `_protocol`'s job). Issue 4 adds rate
limiting, retries and caching here, around `send` / `asend`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx2

from malclient._exceptions import ConnectError, Timeout, TransportError
from malclient._protocol import ApiRequest, ApiResponse
from malclient.auth.flow import FormPost

__all__ = [
    "DEFAULT_TIMEOUT",
    "asend",
    "new_async_client",
    "new_client",
    "post_form",
    "send",
]

# MAL answers in well under a second; its gateway gives up on hung requests after about a
# minute (SPEC 3.2, the 504 row), so half that is long enough to wait.
DEFAULT_TIMEOUT = 30.0


def new_client(timeout: float = DEFAULT_TIMEOUT) -> httpx2.Client:
    """One connection pool (keep-alive) for a session's calls."""
    return httpx2.Client(timeout=timeout, follow_redirects=False)


def new_async_client(timeout: float = DEFAULT_TIMEOUT) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(timeout=timeout, follow_redirects=False)


@contextmanager
def _network_errors(url: str) -> Iterator[None]:
    """httpx2's exceptions as ours, naming the server (never a header or form value)."""
    parts = urlsplit(url)
    where = parts.netloc or url
    try:
        yield
    except httpx2.TimeoutException as exc:
        raise Timeout(
            f"{where} did not answer in time ({type(exc).__name__}): MyAnimeList may be slow or "
            "unreachable; try again in a few minutes."
        ) from exc
    except httpx2.ConnectError as exc:
        raise ConnectError(
            f"Could not connect to {where} ({exc}): check the network connection, or the "
            "MAL_API_URL / MAL_AUTH_URL / --sandbox setting if it points at another server."
        ) from exc
    except httpx2.TransportError as exc:
        raise TransportError(
            f"The connection to {where} failed before a whole answer arrived "
            f"({type(exc).__name__}): try again."
        ) from exc


def _response(response: httpx2.Response) -> ApiResponse:
    return ApiResponse(status=response.status_code, headers=response.headers, body=response.content)


def send(http: httpx2.Client, request: ApiRequest) -> ApiResponse:
    with _network_errors(request.url):
        response = http.request(
            request.method,
            request.url,
            params=list(request.params) or None,
            content=request.body(),
            headers=dict(request.headers),
        )
    return _response(response)


async def asend(http: httpx2.AsyncClient, request: ApiRequest) -> ApiResponse:
    with _network_errors(request.url):
        response = await http.request(
            request.method,
            request.url,
            params=list(request.params) or None,
            content=request.body(),
            headers=dict(request.headers),
        )
    return _response(response)


def post_form(http: httpx2.Client, request: FormPost) -> ApiResponse:
    """POST a token request form-encoded, as MAL's token endpoint requires (SPEC 2.5)."""
    with _network_errors(request.url):
        response = http.post(request.url, content=request.body(), headers=dict(request.headers))
    return _response(response)
