"""`Client` and `AsyncClient`: one session each (connection pool, tokens, pacing, retries) and the
resources over it. Owns how a client is built (client id, config file, token store; base URLs
and pace from arguments, else `MAL_*` variables, else MAL's). Sends only through the session.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, Self, TypeAlias

import httpx2

from malclient._exceptions import ConfigError
from malclient._protocol import ApiResponse, Flow, Send, call_flow
from malclient._ratelimit import parse_rate
from malclient._retry import RetryPolicy
from malclient._transport import DEFAULT_TIMEOUT, CacheOption, RateOption, RetryOption
from malclient.auth import DEFAULT_AUTH_URL, App
from malclient.resources import (
    Anime,
    AnimeList,
    AsyncAnime,
    AsyncAnimeList,
    AsyncForum,
    AsyncManga,
    AsyncMangaList,
    AsyncUsers,
    Forum,
    Manga,
    MangaList,
    Users,
)
from malclient.resources._calls import Call, Options
from malclient.session import AsyncSession, Session, TokenManager, TokenStore
from malclient.settings import DEFAULT_API_URL, Settings

__all__ = ["DEFAULT_RETRIES", "NOT_GIVEN", "AsyncClient", "Client"]


class _NotGiven(Enum):
    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"


# "Not given" where None means something (`rate=None`: no pacing).
NOT_GIVEN: Final = _NotGiven.NOT_GIVEN
NotGiven: TypeAlias = Literal[_NotGiven.NOT_GIVEN]

# Clients retry what can safely be retried, and cool down when MAL throttles (docs/politeness.md).
DEFAULT_RETRIES: Final = RetryPolicy()


# --- deciding -----------------------------------------------------------------------------------


def _base_url(value: str, variable: str) -> str:
    url = value.strip().rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"{variable} must be an http(s) address such as {DEFAULT_API_URL}")
    return url


def _credentials(
    client_id: str | None,
    client_secret: str | None,
    token_store: TokenStore | None,
    token_manager: TokenManager | None,
    auth_url: str | None,
    env: Mapping[str, str],
) -> TokenManager | str:
    """A signed-in user's tokens, or the client id alone (public data, SPEC 3.1)."""
    if token_manager is not None:
        if token_store is not None:
            raise ConfigError("Give a token_store or a token_manager, not both.")
        return token_manager
    if not client_id or not client_id.strip():
        raise ConfigError(
            "A client needs a client id (Client(client_id=...)), a token store, or a config "
            "file (Client.from_config(...)). Create a client id at "
            "https://myanimelist.net/apiconfig."
        )
    if token_store is None:
        return client_id.strip()
    url = _base_url(auth_url or env.get("MAL_AUTH_URL") or DEFAULT_AUTH_URL, "MAL_AUTH_URL")
    app = App(client_id=client_id, client_secret=client_secret, auth_url=url)
    return TokenManager(app, token_store)


def _rate(rate: RateOption | NotGiven, env: Mapping[str, str]) -> RateOption:
    # MAL_RATE paces scripts as it paces the CLI (docs/politeness.md).
    return parse_rate(env.get("MAL_RATE")) if rate is NOT_GIVEN else rate


def _for_settings(settings: Settings, api_url: str | None, auth_url: str | None) -> Settings:
    # Arguments win over MAL_API_URL / MAL_AUTH_URL, which `Settings.resolve` read.
    return dataclasses.replace(
        settings,
        api_url=_base_url(api_url, "api_url") if api_url else settings.api_url,
        auth_url=_base_url(auth_url, "auth_url") if auth_url else settings.auth_url,
    )


def _signed_in(call: Call, user: bool) -> None:
    if call.user and not user:
        raise ConfigError(
            f"{call.label} needs a signed-in user, but this client has only a client id: use "
            "Client.from_config(...) after `mal auth login`, or give a token store."
        )


def _undecoded(flow: Flow) -> Flow:
    """`flow` (`_protocol.call_flow`), returning a success's body as bytes instead of parsed.

    The models decode bytes in one pass, 2.7x faster than from parsed JSON (ARCHITECTURE.md):
    the body is kept here and the flow is handed an empty one, so it decides everything else
    (refresh on 401, errors) as usual and parses nothing.
    """
    body = b""
    outcome: Any = None
    error: Exception | None = None
    try:
        while True:
            try:
                step = flow.throw(error) if error is not None else flow.send(outcome)
            except StopIteration:
                return body
            error = None
            try:
                outcome = yield step
            except Exception as exc:  # the driver's failure: the flow decides what it means
                error = exc
                continue
            if isinstance(step, Send) and 200 <= outcome.status < 300:
                body = outcome.body
                outcome = ApiResponse(status=outcome.status, headers=outcome.headers, body=b"")
    finally:
        flow.close()


def _flow(session: Session | AsyncSession, call: Call) -> Flow:
    return _undecoded(
        call_flow(
            session.api_url,
            call.method,
            call.path,
            params=call.params,
            data=call.data,
            client_id=session.client_id,
        )
    )


class _Runner:
    """What resources send through: checks, then one call driven by the session."""

    __slots__ = ("options", "session")

    def __init__(self, session: Session, options: Options) -> None:
        self.session = session
        self.options = options

    @property
    def api_url(self) -> str:
        return self.session.api_url

    def send(self, call: Call) -> bytes:
        _signed_in(call, self.session.manager is not None)
        body: bytes = self.session.drive(_flow(self.session, call))
        return body


class _AsyncRunner:
    __slots__ = ("options", "session")

    def __init__(self, session: AsyncSession, options: Options) -> None:
        self.session = session
        self.options = options

    @property
    def api_url(self) -> str:
        return self.session.api_url

    async def send(self, call: Call) -> bytes:
        _signed_in(call, self.session.manager is not None)
        body: bytes = await self.session.drive(_flow(self.session, call))
        return body


# --- the clients --------------------------------------------------------------------------------


class Client:
    """MyAnimeList's API v2: `client.anime`, `.manga`, `.animelist`, `.mangalist`, `.users`,
    `.forum`. One connection pool (keep-alive); a context manager; safe to share across threads.

    `Client(client_id=...)` reads public data with `X-MAL-CLIENT-ID`; with a `token_store` (and
    the app's `client_secret` if it has one) or `Client.from_config(path)` it acts as the
    signed-in user, refreshing tokens when needed. Polite by default: `rate` requests per
    second (else `MAL_RATE`, else 2), `retries` for failures and throttles, optional `cache`
    (docs/politeness.md). `nsfw=True` asks MAL for every title (docs/client.md says why).
    """

    anime: Anime
    manga: Manga
    animelist: AnimeList
    mangalist: MangaList
    users: Users
    forum: Forum

    def __init__(
        self,
        client_id: str | None = None,
        *,
        client_secret: str | None = None,
        token_store: TokenStore | None = None,
        token_manager: TokenManager | None = None,
        api_url: str | None = None,
        auth_url: str | None = None,
        rate: RateOption | NotGiven = NOT_GIVEN,
        retries: RetryOption = DEFAULT_RETRIES,
        cache: CacheOption = None,
        timeout: float = DEFAULT_TIMEOUT,
        http: httpx2.Client | None = None,
        nsfw: bool = True,
    ) -> None:
        env = os.environ
        auth = _credentials(client_id, client_secret, token_store, token_manager, auth_url, env)
        session = Session(
            auth,
            api_url=_base_url(api_url or env.get("MAL_API_URL") or DEFAULT_API_URL, "MAL_API_URL"),
            http=http,
            timeout=timeout,
            rate=_rate(rate, env),
            retries=retries,
            cache=cache,
        )
        self._attach(session, nsfw)

    @classmethod
    def from_config(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        user: bool = True,
        api_url: str | None = None,
        auth_url: str | None = None,
        rate: RateOption | NotGiven = NOT_GIVEN,
        retries: RetryOption = DEFAULT_RETRIES,
        cache: CacheOption = None,
        timeout: float = DEFAULT_TIMEOUT,
        http: httpx2.Client | None = None,
        nsfw: bool = True,
    ) -> Self:
        """The user signed in with `mal auth login`: the config file's `mal:` block (default:
        `MAL_CONFIG`, else the user config directory), with the tokens refreshed and saved
        there as `mal auth` does. `user=False` uses only its client id."""
        settings = Settings.resolve(config=Path(path) if path is not None else None)
        return cls.from_settings(
            _for_settings(settings, api_url, auth_url),
            user=user,
            rate=rate,
            retries=retries,
            cache=cache,
            timeout=timeout,
            http=http,
            nsfw=nsfw,
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        user: bool = True,
        rate: RateOption | NotGiven = NOT_GIVEN,
        retries: RetryOption = DEFAULT_RETRIES,
        cache: CacheOption = None,
        timeout: float = DEFAULT_TIMEOUT,
        http: httpx2.Client | None = None,
        nsfw: bool = True,
    ) -> Self:
        """The client for resolved settings (what the `mal` command uses); `rate` defaults
        to `settings.rate`."""
        session = Session(
            settings if user else settings.app().client_id,
            api_url=settings.api_url,
            http=http,
            timeout=timeout,
            rate=settings.rate if rate is NOT_GIVEN else rate,
            retries=retries,
            cache=cache,
        )
        client = cls.__new__(cls)
        client._attach(session, nsfw)
        return client

    def _attach(self, session: Session, nsfw: bool) -> None:
        self._session = session
        runner = _Runner(session, Options(nsfw=nsfw))
        self.anime = Anime(runner)
        self.manga = Manga(runner)
        self.animelist = AnimeList(runner)
        self.mangalist = MangaList(runner)
        self.users = Users(runner)
        self.forum = Forum(runner)

    @property
    def session(self) -> Session:
        """The session underneath, for calls no resource offers: `session.request(...)`."""
        return self._session

    @property
    def api_url(self) -> str:
        return self._session.api_url

    @property
    def signed_in(self) -> bool:
        """True when calls carry a user's token, False with a client id alone."""
        return self._session.manager is not None

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._session!r})"


class AsyncClient:
    """`Client` for asyncio: the same resources and arguments; `await` single results,
    `async for` over lists. Token refreshes never block the event loop."""

    anime: AsyncAnime
    manga: AsyncManga
    animelist: AsyncAnimeList
    mangalist: AsyncMangaList
    users: AsyncUsers
    forum: AsyncForum

    def __init__(
        self,
        client_id: str | None = None,
        *,
        client_secret: str | None = None,
        token_store: TokenStore | None = None,
        token_manager: TokenManager | None = None,
        api_url: str | None = None,
        auth_url: str | None = None,
        rate: RateOption | NotGiven = NOT_GIVEN,
        retries: RetryOption = DEFAULT_RETRIES,
        cache: CacheOption = None,
        timeout: float = DEFAULT_TIMEOUT,
        http: httpx2.AsyncClient | None = None,
        nsfw: bool = True,
    ) -> None:
        env = os.environ
        auth = _credentials(client_id, client_secret, token_store, token_manager, auth_url, env)
        session = AsyncSession(
            auth,
            api_url=_base_url(api_url or env.get("MAL_API_URL") or DEFAULT_API_URL, "MAL_API_URL"),
            http=http,
            timeout=timeout,
            rate=_rate(rate, env),
            retries=retries,
            cache=cache,
        )
        self._attach(session, nsfw)

    @classmethod
    def from_config(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        user: bool = True,
        api_url: str | None = None,
        auth_url: str | None = None,
        rate: RateOption | NotGiven = NOT_GIVEN,
        retries: RetryOption = DEFAULT_RETRIES,
        cache: CacheOption = None,
        timeout: float = DEFAULT_TIMEOUT,
        http: httpx2.AsyncClient | None = None,
        nsfw: bool = True,
    ) -> Self:
        settings = Settings.resolve(config=Path(path) if path is not None else None)
        return cls.from_settings(
            _for_settings(settings, api_url, auth_url),
            user=user,
            rate=rate,
            retries=retries,
            cache=cache,
            timeout=timeout,
            http=http,
            nsfw=nsfw,
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        user: bool = True,
        rate: RateOption | NotGiven = NOT_GIVEN,
        retries: RetryOption = DEFAULT_RETRIES,
        cache: CacheOption = None,
        timeout: float = DEFAULT_TIMEOUT,
        http: httpx2.AsyncClient | None = None,
        nsfw: bool = True,
    ) -> Self:
        session = AsyncSession(
            settings if user else settings.app().client_id,
            api_url=settings.api_url,
            http=http,
            timeout=timeout,
            rate=settings.rate if rate is NOT_GIVEN else rate,
            retries=retries,
            cache=cache,
        )
        client = cls.__new__(cls)
        client._attach(session, nsfw)
        return client

    def _attach(self, session: AsyncSession, nsfw: bool) -> None:
        self._session = session
        runner = _AsyncRunner(session, Options(nsfw=nsfw))
        self.anime = AsyncAnime(runner)
        self.manga = AsyncManga(runner)
        self.animelist = AsyncAnimeList(runner)
        self.mangalist = AsyncMangaList(runner)
        self.users = AsyncUsers(runner)
        self.forum = AsyncForum(runner)

    @property
    def session(self) -> AsyncSession:
        return self._session

    @property
    def api_url(self) -> str:
        return self._session.api_url

    @property
    def signed_in(self) -> bool:
        return self._session.manager is not None

    async def aclose(self) -> None:
        await self._session.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._session!r})"
