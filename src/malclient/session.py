"""Tokens that stay fresh, and the authenticated sessions that use them.
Owns the token stores, `TokenManager` (one refresh for every thread, task and process) and the
drivers `Session` / `AsyncSession`. Decisions live in `_protocol` and `auth`, sending in
`_transport`. Must not print, or put a token into a log, message or repr.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import anyio.to_thread
import httpx2

from malclient import _transport
from malclient._cache import ResponseCache
from malclient._exceptions import (
    APIError,
    AuthError,
    ConfigError,
    MALError,
    MissingParameter,
    ReauthorizationRequired,
    RefreshTokenExpiringWarning,
    ServerError,
    TokenRequestError,
    TransportError,
    UnexpectedTokenResponse,
)
from malclient._protocol import ApiResponse, Flow, NeedToken, Refresh, Send, Step, Value, call_flow
from malclient._ratelimit import DEFAULT_RATE, Limiter, RateLimiter
from malclient._retry import RetryPolicy
from malclient._transport import CacheOption, Pipeline, RateOption, RetryOption
from malclient.auth import App, FormPost, Token, parse_token_response
from malclient.config import StoredTokens, locked, read_settings, write_authorization
from malclient.settings import DEFAULT_API_URL, Settings

__all__ = [
    "DEFAULT_MARGIN",
    "DEFAULT_RATE",
    "DEFAULT_REFRESH_WARNING",
    "AsyncSession",
    "ConfigTokenStore",
    "Limiter",
    "MemoryTokenStore",
    "RateLimiter",
    "ResponseCache",
    "RetryPolicy",
    "Session",
    "TokenManager",
    "TokenStore",
]

_log = logging.getLogger(__name__)

# Renew this long before the access token expires: a call must not leave with a token that
# dies on the way (mihon uses 60 s, SPEC 2.5 "Lifetimes"; clocks drift more than that).
DEFAULT_MARGIN = 300.0
# MAL's access and refresh tokens both live 31 days from issue (SPEC 2.5), so a weekly job that
# never needs a refresh would find both dead in its fifth week. Within this window of the
# refresh token's end the manager renews early, and warns if it cannot.
DEFAULT_REFRESH_WARNING = 7 * 86_400.0
# After a failed early renewal the access token still works: try again later, not every call.
_EARLY_RENEWAL_PAUSE = 3_600.0


def _fingerprint(secret: str) -> str:
    # Lets the manager remember a token without keeping another copy of it around.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:32]


def _when(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC")


# --- where tokens live ----------------------------------------------------------------------------


class TokenStore(Protocol):
    """Where a user's tokens are kept, shared by everything that uses them.

    `lock()` excludes every other writer of the same tokens (threads and processes) while the
    manager re-reads, refreshes and saves. Stores keyed by user (SQLite, PostgreSQL) fit too.
    """

    def load(self) -> Token | None: ...

    def save(self, token: Token) -> None: ...

    def lock(self) -> AbstractContextManager[object]: ...


class MemoryTokenStore:
    """Tokens held in this process only: for scripts that sign in on every run, and tests."""

    location = "memory"

    def __init__(self, token: Token | None = None) -> None:
        self._token = token
        self._lock = threading.RLock()

    def load(self) -> Token | None:
        return self._token

    def save(self, token: Token) -> None:
        self._token = token

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        with self._lock:
            yield

    def __repr__(self) -> str:
        return f"MemoryTokenStore(token={self._token!r})"


class ConfigTokenStore:
    """The `mal.authorization` block of a (Kometa) config file, shared by every process using it.

    Saving writes only that block, atomically; the issue time and `client_id` go to the
    sidecar (`config.py`), so tokens Kometa saved are read too. `lock()` is the file's
    cross-process lock: it blocks, so async code takes it in a worker thread.
    """

    def __init__(self, path: str | os.PathLike[str], client_id: str | None = None) -> None:
        self.path = Path(path)
        self.client_id = client_id

    @property
    def location(self) -> str:
        return str(self.path)

    def load(self) -> Token | None:
        stored = read_settings(self.path).authorization
        if stored is None:
            return None
        return Token.from_stored(
            access_token=stored.access_token,
            refresh_token=stored.refresh_token or "",
            expires_in=stored.expires_in or 0,
            token_type=stored.token_type,
            issued_at=stored.issued_at,
            client_id=stored.client_id,
        )

    def save(self, token: Token) -> None:
        write_authorization(
            self.path,
            StoredTokens(
                access_token=token.access_token,
                refresh_token=token.refresh_token,
                token_type=token.token_type,
                expires_in=token.expires_in,
                issued_at=token.issued_at,
                client_id=token.client_id or self.client_id,
            ),
        )

    def lock(self) -> AbstractContextManager[object]:
        return locked(self.path)

    def __repr__(self) -> str:
        return f"ConfigTokenStore(path={self.path!r}, client_id={self.client_id!r})"


# --- keeping them fresh ---------------------------------------------------------------------------


def _again(refusal: AuthError) -> AuthError:
    """A new exception equal to a remembered refusal (one object must not be raised twice)."""
    if isinstance(refusal, MissingParameter):
        return MissingParameter(
            refusal.explanation,
            parameter=refusal.parameter,
            status=refusal.status,
            error=refusal.error,
            message=refusal.message,
            hint=refusal.hint,
        )
    return type(refusal)(
        refusal.explanation,
        status=refusal.status,
        error=refusal.error,
        message=refusal.message,
        hint=refusal.hint,
    )


def _replaced(current: Token, stale: Token | None) -> bool:
    """True when `current` already replaces `stale`: someone else did the refresh."""
    return stale is not None and current.access_token != stale.access_token


class TokenManager:
    """Hands out a valid access token; refreshes when needed, once for all callers.

    `token()` refreshes proactively within `margin` seconds of expiry, and renews early when
    the refresh token ends within `refresh_warning` seconds (warning once if it cannot);
    `refresh(stale)` after MAL rejected `stale` (a 401).

    However many threads, async tasks and processes find the same token stale, MAL sees one
    refresh: a thread lock orders this process, the store's lock the others, and whoever comes
    second re-reads the store and uses the tokens saved there instead of spending a refresh
    token again (MAL may revoke a used one, SPEC 2.5). A refresh MAL refused is never retried:
    `ReauthorizationRequired` names `mal auth login`. A refusal or a network failure leaves
    the saved tokens untouched.
    """

    def __init__(
        self,
        app: App,
        store: TokenStore,
        *,
        margin: float = DEFAULT_MARGIN,
        clock: Callable[[], float] = time.time,
        refresh_warning: float = DEFAULT_REFRESH_WARNING,
        http: httpx2.Client | None = None,
        timeout: float = _transport.DEFAULT_TIMEOUT,
    ) -> None:
        self.app = app
        self.store = store
        self.margin = margin
        self.clock = clock
        self.refresh_warning = refresh_warning
        self._http = http
        self._timeout = timeout
        # Guards everything below; held across a refresh, so callers queue behind it.
        self._lock = threading.Lock()
        self._current: Token | None = None
        self._refused: tuple[str, AuthError] | None = None  # (refresh token's fingerprint, why)
        self._warned: set[str] = set()
        self._next_early_renewal = 0.0

    # Sync ------------------------------------------------------------------------------------

    def token(self) -> Token:
        """A token valid for at least `margin` seconds, refreshed first if need be."""
        current = self._current
        if current is not None and not self._due(current, self.clock()):
            return current
        with self._lock:
            now = self.clock()
            current = self._current
            if current is None:
                current = self._current = self._load()
            if current.expired(now, self.margin):
                return self._renew(current, now)
            if self._early_renewal_due(current, now):
                return self._renew_early(current, now)
            return current

    def refresh(self, stale: Token | None = None) -> Token:
        """New tokens after MAL rejected `stale`; with no argument, refresh now regardless.

        Callers holding the same stale token share one refresh: the second gets the first's
        result at once.
        """
        with self._lock:
            current = self._current
            if current is not None and _replaced(current, stale):
                return current
            return self._renew(stale, self.clock())

    # Async: the same work in a worker thread, so waiting never blocks the event loop ----------

    async def atoken(self) -> Token:
        current = self._current
        if current is not None and not self._due(current, self.clock()):
            return current
        return await anyio.to_thread.run_sync(self.token)

    async def arefresh(self, stale: Token | None = None) -> Token:
        current = self._current
        if current is not None and _replaced(current, stale):
            return current
        return await anyio.to_thread.run_sync(self.refresh, stale)

    # The work (always under self._lock) ------------------------------------------------------

    def _due(self, token: Token, now: float) -> bool:
        return token.expired(now, self.margin) or self._early_renewal_due(token, now)

    def _early_renewal_due(self, token: Token, now: float) -> bool:
        return now >= self._next_early_renewal and token.refresh_expired(now, self.refresh_warning)

    def _load(self) -> Token:
        token = self.store.load()
        if token is None:
            where = getattr(self.store, "location", None)
            raise ReauthorizationRequired(
                "No MyAnimeList tokens are saved"
                + (f" in {where}" if where else "")
                + ": nobody has signed in with this configuration yet."
            )
        return token

    def _renew(self, stale: Token | None, now: float) -> Token:
        with self.store.lock():
            stored = self._load()
            if (
                stale is not None
                and stored.access_token != stale.access_token
                and not stored.expired(now, self.margin)
            ):
                # Another process refreshed (or someone signed in again) meanwhile.
                _log.debug("Using the MyAnimeList tokens another program saved meanwhile.")
                self._current = stored
                return stored
            fresh = self._grant(stored)
            # Kept before saving: should saving fail, this process still has working tokens.
            self._current = fresh
            self.store.save(fresh)
        _log.info(
            "Renewed the MyAnimeList tokens (client %s); the access token now expires at %s.",
            fresh.client_id,
            _when(fresh.expires_at),
        )
        return fresh

    def _grant(self, stored: Token) -> Token:
        """One refresh grant for the newest saved pair (SPEC 2.5)."""
        fingerprint = _fingerprint(stored.refresh_token)
        if self._refused is not None and self._refused[0] == fingerprint:
            raise _again(self._refused[1])
        request = self.app.refresh_request(stored)
        sent_at = self.clock()  # a token is never younger than its request
        response = self._post(request)
        try:
            return parse_token_response(
                response.status,
                response.body,
                response.headers,
                now=sent_at,
                client_id=self.app.client_id,
            )
        except UnexpectedTokenResponse as exc:
            # Not MAL's verdict on the tokens: a failure to try again later, never remembered.
            if exc.status is not None and exc.status >= 500:
                raise ServerError(
                    f"MyAnimeList's token endpoint failed (HTTP {exc.status}) while renewing "
                    "the access token: try again in a few minutes. The saved tokens are "
                    "unchanged.",
                    status=exc.status,
                ) from exc
            raise
        except TokenRequestError as exc:
            # MAL refused: asking again with the same refresh token cannot succeed.
            self._refused = (fingerprint, exc)
            raise

    def _renew_early(self, current: Token, now: float) -> Token:
        """Renew a working pair whose refresh token ends soon; warn (once) if that fails."""
        try:
            return self._renew(current, now)
        except (AuthError, APIError, TransportError) as exc:
            self._next_early_renewal = now + _EARLY_RENEWAL_PAUSE
            self._warn_expiring(current, now, exc)
            return current

    def _warn_expiring(self, token: Token, now: float, reason: MALError) -> None:
        fingerprint = _fingerprint(token.refresh_token)
        if fingerprint in self._warned or token.refresh_expires_at is None:
            return
        self._warned.add(fingerprint)
        days = max(0.0, (token.refresh_expires_at - now) / 86_400)
        later = (
            ""
            if isinstance(reason, ReauthorizationRequired)
            else " It will be tried again later; to renew now, run `mal auth refresh`."
        )
        warnings.warn(
            f"The MyAnimeList refresh token expires on {_when(token.refresh_expires_at)} (in "
            f"{days:.1f} days); anything using these tokens stops working then. Renewing it "
            f"early failed: {reason}{later}",
            RefreshTokenExpiringWarning,
            stacklevel=4,
        )

    def _post(self, request: FormPost) -> ApiResponse:
        if self._http is not None:
            return _transport.post_form(self._http, request)
        # Refreshes are rare (hours apart): a pool of their own would only be left open.
        with _transport.new_client(self._timeout) as http:
            return _transport.post_form(http, request)

    def __repr__(self) -> str:
        return (
            f"TokenManager(app={self.app!r}, store={self.store!r}, margin={self.margin!r}, "
            f"refresh_warning={self.refresh_warning!r})"
        )


# --- sessions -------------------------------------------------------------------------------------


def _manager_for(settings: Settings) -> TokenManager:
    app = settings.app()
    return TokenManager(app, ConfigTokenStore(settings.config_path, app.client_id))


def _client_id_for(settings: Settings) -> str:
    return settings.app().client_id  # the same clear error when there is none


class _SessionBase:
    """What both sessions decide the same way: whose credentials, which API, which flow, and
    the politeness around each send (`_transport.Pipeline`)."""

    def __init__(
        self,
        auth: TokenManager | Settings | str,
        api_url: str | None,
        rate: RateOption = None,
        retries: RetryOption = None,
        cache: CacheOption = None,
    ) -> None:
        self.manager: TokenManager | None = None
        self.client_id: str | None = None
        if isinstance(auth, Settings):
            self.manager = _manager_for(auth)
            api_url = api_url or auth.api_url
        elif isinstance(auth, TokenManager):
            self.manager = auth
        elif isinstance(auth, str) and auth.strip():
            self.client_id = auth.strip()
        else:
            raise ConfigError(
                "A session needs a TokenManager (a signed-in user), Settings, or a client id; "
                "create a client id at https://myanimelist.net/apiconfig."
            )
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self.pipeline = Pipeline.from_options(rate=rate, retries=retries, cache=cache)

    def _flow(
        self,
        method: str,
        path: str,
        params: Mapping[str, Value] | None,
        data: Mapping[str, Value] | None,
    ) -> Flow:
        return call_flow(
            self.api_url, method, path, params=params, data=data, client_id=self.client_id
        )

    def __repr__(self) -> str:
        who = f"manager={self.manager!r}" if self.manager else f"client_id={self.client_id!r}"
        return f"{type(self).__name__}(api_url={self.api_url!r}, {who})"


class Session(_SessionBase):
    """Calls MAL's API v2 over one connection pool (keep-alive); safe to share across threads.

    With a `TokenManager` (or `Settings`, whose config holds the tokens) calls carry the user's
    token, refreshed when needed; with a client id alone, `X-MAL-CLIENT-ID` (public data only,
    SPEC 3.1). A context manager; closes only what it opened.

    Politeness is opt-in here (a session sends exactly what it is asked to; `Client` turns it
    on by default): `rate` paces requests (per second, or a `RateLimiter` shared with other
    sessions, sync or async), `retries` retries transient failures and throttles (a number or a
    `RetryPolicy`), `cache=True` keeps public answers on disk (or pass a `ResponseCache`).
    """

    def __init__(
        self,
        auth: TokenManager | Settings | str,
        *,
        api_url: str | None = None,
        http: httpx2.Client | None = None,
        timeout: float = _transport.DEFAULT_TIMEOUT,
        rate: RateOption = None,
        retries: RetryOption = None,
        cache: CacheOption = None,
    ) -> None:
        super().__init__(auth, api_url, rate, retries, cache)
        self._owns_http = http is None
        self._http = http if http is not None else _transport.new_client(timeout)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        user: bool = True,
        http: httpx2.Client | None = None,
        rate: RateOption = None,
        retries: RetryOption = None,
        cache: CacheOption = None,
    ) -> Session:
        """The session the CLI uses: the config file's tokens (or, `user=False`, the client id).

        Pass `rate=settings.rate` to pace as `MAL_RATE` says.
        """
        auth: Settings | str = settings if user else _client_id_for(settings)
        return cls(
            auth, api_url=settings.api_url, http=http, rate=rate, retries=retries, cache=cache
        )

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Value] | None = None,
        data: Mapping[str, Value] | None = None,
    ) -> Any:
        """Call `path` (e.g. `/users/@me`) and return the decoded JSON; raises `MALError`s."""
        return self.drive(self._flow(method, path, params, data))

    def drive(self, flow: Flow) -> Any:
        """Run a call flow (`_protocol.call_flow` or one wrapping it): send, refresh, resend.

        `request()` is this with the default flow; the client's resources drive their own to
        keep response bodies as bytes for msgspec.
        """
        outcome: Any = None
        error: MALError | None = None
        while True:
            try:
                step = flow.throw(error) if error is not None else flow.send(outcome)
            except StopIteration as done:
                return done.value
            error = None
            try:
                outcome = self._perform(step)
            except MALError as exc:
                error = exc  # the flow decides what a failure means

    def _perform(self, step: Step) -> Any:
        if isinstance(step, Send):
            return self.pipeline.send(self._http, step.request)
        assert self.manager is not None, "only user flows ask for tokens"
        if isinstance(step, NeedToken):
            return self.manager.token()
        assert isinstance(step, Refresh)
        return self.manager.refresh(step.stale)

    def close(self) -> None:
        self.pipeline.close()
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncSession(_SessionBase):
    """`Session` for asyncio: the same calls, awaited. Token refreshes run in a worker thread."""

    def __init__(
        self,
        auth: TokenManager | Settings | str,
        *,
        api_url: str | None = None,
        http: httpx2.AsyncClient | None = None,
        timeout: float = _transport.DEFAULT_TIMEOUT,
        rate: RateOption = None,
        retries: RetryOption = None,
        cache: CacheOption = None,
    ) -> None:
        super().__init__(auth, api_url, rate, retries, cache)
        self._owns_http = http is None
        self._http = http if http is not None else _transport.new_async_client(timeout)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        user: bool = True,
        http: httpx2.AsyncClient | None = None,
        rate: RateOption = None,
        retries: RetryOption = None,
        cache: CacheOption = None,
    ) -> AsyncSession:
        auth: Settings | str = settings if user else _client_id_for(settings)
        return cls(
            auth, api_url=settings.api_url, http=http, rate=rate, retries=retries, cache=cache
        )

    async def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Value] | None = None,
        data: Mapping[str, Value] | None = None,
    ) -> Any:
        return await self.drive(self._flow(method, path, params, data))

    async def drive(self, flow: Flow) -> Any:
        """The async `Session.drive`."""
        outcome: Any = None
        error: MALError | None = None
        while True:
            try:
                step = flow.throw(error) if error is not None else flow.send(outcome)
            except StopIteration as done:
                return done.value
            error = None
            try:
                outcome = await self._perform(step)
            except MALError as exc:
                error = exc

    async def _perform(self, step: Step) -> Any:
        if isinstance(step, Send):
            return await self.pipeline.asend(self._http, step.request)
        assert self.manager is not None, "only user flows ask for tokens"
        if isinstance(step, NeedToken):
            return await self.manager.atoken()
        assert isinstance(step, Refresh)
        return await self.manager.arefresh(step.stale)

    async def aclose(self) -> None:
        self.pipeline.close()
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
