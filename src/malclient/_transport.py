"""The only client module that touches the network: sends what `_protocol` and `auth` build,
and `Pipeline` wraps each send in politeness (pace, retries, cache) and logs it. Must not decide
what MAL's answers mean, or when to retry: `_protocol` and `_retry` do.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeAlias
from urllib.parse import parse_qsl, urlsplit

import anyio
import anyio.to_thread
import httpx2

from malclient._cache import ResponseCache
from malclient._exceptions import ConnectError, Timeout, TransportError
from malclient._protocol import ApiRequest, ApiResponse
from malclient._ratelimit import Limiter, RateLimiter
from malclient._retry import (
    NO_RETRIES,
    CoolDown,
    RetryPolicy,
    RetryStep,
    Transmit,
    Wait,
    attempts,
)
from malclient.auth.flow import FormPost

__all__ = [
    "DEFAULT_TIMEOUT",
    "CacheOption",
    "Pipeline",
    "RateOption",
    "RetryOption",
    "asend",
    "new_async_client",
    "new_client",
    "post_form",
    "send",
    "shown_target",
]

# One line per request at DEBUG; retries and cool-downs at WARNING. Never a header, never a
# form value: the target shown is the path plus a query with secret-looking values masked.
_log = logging.getLogger("malclient.http")

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


# --- politeness around send / asend ---------------------------------------------------------------

# MAL's queries carry no secrets (SPEC 3.3: auth is never in the URL), but a caller's typo could
# put one there: values of parameters named like these never reach a log line.
_SECRET_NAMES = re.compile(r"token|code|secret|passw|verifier|signature|auth", re.IGNORECASE)


def shown_target(request: ApiRequest) -> str:
    """The request's path and query as logs may show them."""
    pairs = parse_qsl(urlsplit(request.url).query, keep_blank_values=True) + list(request.params)
    if not pairs:
        return request.path
    query = "&".join(
        f"{name}={'***' if _SECRET_NAMES.search(name) else value}" for name, value in pairs
    )
    return f"{request.path}?{query}"


# What sessions accept. rate: requests per second, a shared `Limiter`, or None (unpaced).
# retries: a policy, a number of retries for transient failures (other settings default), or
# None/0 (send once).
# cache: True for the default file, a `ResponseCache`, or None/False.
RateOption: TypeAlias = float | Limiter | None
RetryOption: TypeAlias = int | RetryPolicy | None
CacheOption: TypeAlias = bool | ResponseCache | None


class Pipeline:
    """Everything between a session and the wire, for every request of one client.

    In order: answer from the cache (public GETs only, when one is given); wait for the rate
    limiter; send; on a connection error, timeout, 5xx or throttle, do what `_retry.attempts`
    decides; keep a public answer in the cache, or forget what a successful list write made
    stale. Each part is optional; `Pipeline()` sends once, unpaced, like `send`.
    The limiter is the part meant to be shared (between a sync and an async session too).
    """

    def __init__(
        self,
        *,
        limiter: Limiter | None = None,
        retry: RetryPolicy | None = None,
        cache: ResponseCache | None = None,
        random: Callable[[], float] = random.random,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limiter = limiter
        self.retry = retry or NO_RETRIES
        self.cache = cache
        self._random = random
        self._sleep = sleep
        self._owns_cache = False

    @classmethod
    def from_options(
        cls, *, rate: RateOption = None, retries: RetryOption = None, cache: CacheOption = None
    ) -> Pipeline:
        """The pipeline for a session's `rate=`, `retries=` and `cache=` arguments."""
        if rate is None or isinstance(rate, Limiter):
            limiter = rate
        elif isinstance(rate, bool) or not isinstance(rate, int | float):
            raise TypeError(f"rate must be requests per second or a Limiter, not {rate!r}")
        else:
            limiter = RateLimiter(float(rate)) if rate else None
        if isinstance(retries, bool):
            raise TypeError("retries must be a number of retries or a RetryPolicy")
        policy: RetryPolicy | None = retries if not isinstance(retries, int) else None
        if isinstance(retries, int) and retries:
            # 0 turns every retry off; n > 0 sets the transient ones (throttles keep theirs).
            policy = RetryPolicy(retries=retries)
        owned = cache is True
        store = ResponseCache() if cache is True else (cache or None)
        pipeline = cls(limiter=limiter, retry=policy, cache=store)
        pipeline._owns_cache = owned
        return pipeline

    def close(self) -> None:
        """Close the cache if this pipeline opened it (`cache=True`)."""
        if self._owns_cache and self.cache is not None:
            self.cache.close()

    # Sync --------------------------------------------------------------------------------------

    def send(self, http: httpx2.Client, request: ApiRequest) -> ApiResponse:
        hit = self._cached(request)
        if hit is not None:
            return hit
        flow = attempts(request, self.retry, self._random)
        outcome: ApiResponse | None = None  # what the flow gets back (None after a wait)
        error: TransportError | None = None
        while True:
            try:
                step = flow.throw(error) if error is not None else flow.send(outcome)
            except StopIteration as done:
                return self._settled(request, done.value)
            outcome = error = None
            if isinstance(step, Transmit):
                if self.limiter is not None:
                    self.limiter.acquire()
                started = time.perf_counter()
                try:
                    outcome = send(http, step.request)
                except TransportError as exc:
                    error = exc
                self._log_attempt(step, outcome, error, started)
            elif (pause := self._pause(request, step)) > 0:
                self._sleep(pause)

    # Async: the same steps, awaited ------------------------------------------------------------

    async def asend(self, http: httpx2.AsyncClient, request: ApiRequest) -> ApiResponse:
        hit = self._cached(request)
        if hit is not None:
            return hit
        flow = attempts(request, self.retry, self._random)
        outcome: ApiResponse | None = None  # what the flow gets back (None after a wait)
        error: TransportError | None = None
        while True:
            try:
                step = flow.throw(error) if error is not None else flow.send(outcome)
            except StopIteration as done:
                final: ApiResponse = done.value
                if self.cache is None:
                    return final
                # Storing a 1 MB list page takes tens of milliseconds: not on the event loop.
                return await anyio.to_thread.run_sync(self._settled, request, final)
            outcome = error = None
            if isinstance(step, Transmit):
                if self.limiter is not None:
                    await self.limiter.aacquire()
                started = time.perf_counter()
                try:
                    outcome = await asend(http, step.request)
                except TransportError as exc:
                    error = exc
                self._log_attempt(step, outcome, error, started)
            elif (pause := self._pause(request, step)) > 0:
                await anyio.sleep(pause)

    # Shared by both ----------------------------------------------------------------------------

    def _cached(self, request: ApiRequest) -> ApiResponse | None:
        if self.cache is None:
            return None
        hit = self.cache.get(request)
        if hit is not None:
            _log.debug(
                "%s %s -> %d from the cache", request.method, shown_target(request), hit.status
            )
        return hit

    def _settled(self, request: ApiRequest, response: ApiResponse) -> ApiResponse:
        if self.cache is not None:
            if request.method == "GET":
                self.cache.put(request, response)
            elif 200 <= response.status < 300:
                self.cache.invalidate(request)
        return response

    def _pause(self, request: ApiRequest, step: RetryStep) -> float:
        """Log a wait and return how long this request must sleep itself.

        A cool-down goes to the shared limiter, which holds every request (this one included,
        at its next `acquire`); without a limiter the request sleeps on its own.
        """
        assert isinstance(step, Wait | CoolDown)
        target = f"{request.method} {shown_target(request)}"
        if isinstance(step, Wait):
            _log.warning("%s: %s; trying again in %.2f s", target, step.reason, step.seconds)
            return step.seconds
        if self.limiter is None:
            _log.warning(
                "%s: MyAnimeList refused it as too fast (%s); waiting %.1f s",
                target,
                step.reason,
                step.seconds,
            )
            return step.seconds
        self.limiter.cool_down(step.seconds)
        _log.warning(
            "%s: MyAnimeList refused it as too fast (%s); holding all requests for %.1f s, "
            "then pacing at %.2f requests/s",
            target,
            step.reason,
            step.seconds,
            self.limiter.rate,
        )
        return 0.0

    def _log_attempt(
        self,
        step: Transmit,
        response: ApiResponse | None,
        error: TransportError | None,
        started: float,
    ) -> None:
        if not _log.isEnabledFor(logging.DEBUG):
            return
        elapsed = (time.perf_counter() - started) * 1000
        request = step.request
        result = str(response.status) if response is not None else type(error).__name__
        again = f" (attempt {step.attempt})" if step.attempt > 1 else ""
        _log.debug(
            "%s %s -> %s in %.1f ms%s",
            request.method,
            shown_target(request),
            result,
            elapsed,
            again,
        )

    def __repr__(self) -> str:
        return f"Pipeline(limiter={self.limiter!r}, retry={self.retry!r}, cache={self.cache!r})"
