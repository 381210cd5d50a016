"""When to send a request again and how long to wait first. Pure: no clock, no sleep, no I/O.
`attempts` is one request's life as steps (send, wait, cool down); `_transport` runs it. What an
answer means for the caller stays `_protocol`'s job; this module only decides "again or not".
"""

from __future__ import annotations

import email.utils
import json
import math
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from malclient._exceptions import ConnectError, RateLimited, TransportError
from malclient._protocol import CLIENT_ID_HEADER, ApiRequest, ApiResponse

__all__ = [
    "IDEMPOTENT_METHODS",
    "NO_RETRIES",
    "CoolDown",
    "RetryPolicy",
    "RetryStep",
    "Transmit",
    "Wait",
    "attempts",
    "backoff",
    "classify",
    "cool_down_pause",
    "retry_after",
]

# Methods whose repetition leaves MAL as one call would. PATCH belongs here for MAL: its only
# PATCH (`my_list_status`, SPEC 4.6) sets the fields sent to absolute values. DELETE too: a
# repeated one removes nothing more, but answers 404 once the entry is gone (SPEC 4.7), which the
# list resources treat as success. POST is never repeated after a request may have arrived.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})

# Gateway and server failures worth another try; 501/505 say the request can never work.
_TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Times in seconds.

    `retries`: further attempts after a connection error, timeout or 5xx (idempotent methods
    only), each after a full-jitter wait below `backoff * 2**n`, at most `max_backoff`.
    `throttle_retries`: further attempts after MAL refused a request as too fast (403), each
    after a cool-down of about `cool_down * 2**n` (at most `max_cool_down`) during which the
    client's shared limiter slows down. A `Retry-After` header (MAL sends none, SPEC 3.8) is
    obeyed up to `max_retry_after`.
    """

    retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 30.0
    throttle_retries: int = 3
    cool_down: float = 5.0
    max_cool_down: float = 60.0
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.retries < 0 or self.throttle_retries < 0:
            raise ValueError("retries and throttle_retries cannot be negative")
        if min(self.backoff, self.max_backoff, self.cool_down, self.max_cool_down) < 0:
            raise ValueError("waits cannot be negative")


# One attempt, and MAL's answer goes to the caller as it is.
NO_RETRIES = RetryPolicy(retries=0, throttle_retries=0)


# --- reading an answer ----------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _is_html(response: ApiResponse) -> bool:
    kind = (_header(response.headers, "content-type") or "").lower()
    return "html" in kind or response.body.lstrip()[:1] == b"<"


def _error_code(body: bytes) -> str | None:
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError):
        return None
    error = decoded.get("error") if isinstance(decoded, dict) else None
    return error if isinstance(error, str) else None


def _has_credentials(request: ApiRequest) -> bool:
    names = {name.lower() for name in request.headers}
    return "authorization" in names or CLIENT_ID_HEADER.lower() in names


Verdict: TypeAlias = Literal["done", "transient", "throttle"]


def classify(response: ApiResponse, request: ApiRequest) -> Verdict:
    """`throttle`: MAL refused the request as too fast; `transient`: it may work next time.

    A 403 is a throttle only when the request carried credentials and the answer is MAL's
    `forbidden` or its HTML block page (SPEC 3.1, 3.8); a 403 without credentials is an auth
    problem that no wait cures. 429 is accepted as a throttle although MAL never sends it.
    """
    status = response.status
    if status == 429:
        return "throttle"
    if status == 403:
        if not _has_credentials(request):
            return "done"
        if _is_html(response) or _error_code(response.body) == "forbidden":
            return "throttle"
        return "done"
    if status in _TRANSIENT_STATUSES:
        return "transient"
    return "done"


def retry_after(response: ApiResponse) -> float | None:
    """Seconds asked for by a `Retry-After` header (seconds, or a date read against `Date`)."""
    value = _header(response.headers, "retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        when = _http_date(value)
        sent = _http_date(_header(response.headers, "date") or "")
        if when is None or sent is None:
            return None  # a date with no server time to compare it to: ignore it
        seconds = when - sent
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _http_date(text: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


# --- how long to wait -----------------------------------------------------------------------------


def backoff(policy: RetryPolicy, retry: int, random: Callable[[], float]) -> float:
    """Full jitter (uniform below an exponential ceiling): many clients retrying at once spread
    out instead of hitting MAL together again. `retry` counts from 0."""
    ceiling = min(policy.max_backoff, policy.backoff * 2.0**retry)
    return random() * ceiling


def cool_down_pause(policy: RetryPolicy, retry: int, random: Callable[[], float]) -> float:
    """Equal jitter: at least half the exponential pause, so a throttle is never retried at once."""
    pause = min(policy.max_cool_down, policy.cool_down * 2.0**retry)
    return pause / 2 + random() * pause / 2


# --- one request's life ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Transmit:
    """Driver: wait for the rate limiter, send `request`, send back the `ApiResponse` (or throw
    the `TransportError` into the flow). `attempt` counts from 1."""

    request: ApiRequest
    attempt: int


@dataclass(frozen=True)
class Wait:
    """Driver: sleep `seconds` before the next attempt (this request only)."""

    seconds: float
    reason: str


@dataclass(frozen=True)
class CoolDown:
    """Driver: MAL said "too fast"; slow the shared limiter and hold every request `seconds`."""

    seconds: float
    reason: str


RetryStep: TypeAlias = Transmit | Wait | CoolDown


def _what(request: ApiRequest) -> str:
    return f"{request.method} {request.path}"


def attempts(
    request: ApiRequest, policy: RetryPolicy, random: Callable[[], float]
) -> Generator[RetryStep, Any, ApiResponse]:
    """Send `request` until an answer is final; return that answer (errors included).

    Gives up by returning the last answer (a 5xx after `retries`), re-raising the last transport
    error, or, after throttle retries, raising `RateLimited` with what was tried.
    """
    idempotent = request.method in IDEMPOTENT_METHODS
    attempt = failures = throttles = 0
    cooled = 0.0
    while True:
        attempt += 1
        try:
            response: ApiResponse = yield Transmit(request, attempt)
        except TransportError as exc:
            # A refused connection never reached MAL, so any method may try again.
            repeatable = idempotent or isinstance(exc, ConnectError)
            if not repeatable or failures >= policy.retries:
                raise
            delay = backoff(policy, failures, random)
            failures += 1
            yield Wait(delay, f"{type(exc).__name__} (retry {failures} of {policy.retries})")
            continue

        verdict = classify(response, request)
        asked = retry_after(response)
        if verdict == "transient" and idempotent and failures < policy.retries:
            delay = backoff(policy, failures, random)
            if asked is not None:
                if asked > policy.max_retry_after:
                    return response
                delay = max(delay, asked)
            failures += 1
            yield Wait(delay, f"HTTP {response.status} (retry {failures} of {policy.retries})")
            continue
        if verdict == "throttle" and policy.throttle_retries:
            if throttles >= policy.throttle_retries or (
                asked is not None and asked > policy.max_retry_after
            ):
                raise _rate_limited(request, response, throttles, cooled)
            # A throttled request was refused unprocessed, so any method may be sent again.
            pause = cool_down_pause(policy, throttles, random)
            if asked is not None:
                pause = max(pause, asked)
            throttles += 1
            cooled += pause
            yield CoolDown(
                pause,
                f"HTTP {response.status} too many requests "
                f"(retry {throttles} of {policy.throttle_retries})",
            )
            continue
        return response


def _rate_limited(
    request: ApiRequest, response: ApiResponse, retries: int, cooled: float
) -> RateLimited:
    page = " with an HTML block page" if _is_html(response) else ""
    tried = (
        f" after {retries} cool-down{'s' if retries != 1 else ''} ({cooled:.0f} s in all)"
        if retries
        else ""
    )
    return RateLimited(
        f"MyAnimeList kept refusing {_what(request)} as too many requests (HTTP "
        f"{response.status}{page}){tried}. This address may be blocked for a while (minutes to "
        "hours): wait before trying again, then send fewer requests per second (the `rate` "
        "argument, or MAL_RATE=1 for the command line and scripts).",
        status=response.status,
        error=_error_code(response.body),
    )
