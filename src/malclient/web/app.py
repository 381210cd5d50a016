"""The sign-in page as a Starlette app: the form, MAL's return to `/callback`, the pasted address;
in app mode, an operator's fixed app whose sign-ins end in the operator's callback.

Thin over `malclient.auth` (the same sign-in core as `mal auth login`) and `_transport`. Must not
keep a flow between requests (the browser carries it in a sealed cookie), write a file, or log
anything a flow contains; in app mode, keeping the tokens is the operator callback's business.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx2
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from malclient import _transport
from malclient._exceptions import (
    AccessDenied,
    APIError,
    AuthorizationRefused,
    ConfigError,
    MALError,
    NoAuthorizationCode,
    RedirectError,
    StateMismatch,
    Timeout,
    TokenRequestError,
    TransportError,
    Unauthorized,
    UnexpectedTokenResponse,
)
from malclient._protocol import ApiRequest, ApiResponse, build_request, read_response
from malclient.auth import (
    DEFAULT_AUTH_URL,
    App,
    Callback,
    FormPost,
    Token,
    parse_redirect,
    parse_token_response,
)
from malclient.settings import DEFAULT_API_URL, Settings
from malclient.web.block import kometa_block
from malclient.web.pages import (
    Result,
    error_page,
    form_page,
    paste_page,
    result_page,
    security_headers,
)
from malclient.web.sealed import (
    COOKIE_PREFIX,
    Flow,
    FlowError,
    FlowNotFound,
    FlowUnreadable,
    Mode,
    Sealer,
)

__all__ = ["SignedIn", "SignedInHandler", "WebConfig", "create_app"]

# Class names and code locations only: never a message, a URL or a header (they may hold codes).
_log = logging.getLogger("malclient.web")

# A form here is a client id, a secret and a pasted address of about 1,300 characters.
_MAX_BODY = 16_384
_FORM_TYPE = "application/x-www-form-urlencoded"
# Sign-ins one browser may have open at once (tabs, retries); older ones are dropped.
_KEPT_FLOWS = 4


@dataclass(frozen=True, repr=False)
class SignedIn:
    """An app-mode sign-in that worked: the user's tokens and who MAL says they belong to."""

    token: Token
    user_id: int
    user_name: str

    def __repr__(self) -> str:
        return f"SignedIn(user_id={self.user_id!r}, user_name={self.user_name!r})"


# App mode's end: keep the tokens, open the app's own session, answer the browser (typically a
# redirect with a session cookie). The page adds its security headers and drops the flow cookie.
SignedInHandler = Callable[[Request, SignedIn], Awaitable[Response]]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class WebConfig:
    """Where the page lives and which MyAnimeList (or sandbox) it signs in to.

    `public_url` is the address browsers use (it may carry a path behind a reverse proxy); its
    `/callback` is the redirect URL users register. `key` (32 bytes) seals the flow cookies;
    None makes a random one for this process. `clock` is for tests.

    App mode (`on_signed_in` with the operator's `client_id` and `client_secret`): for an app
    that signs its own users in. Users type nothing: opening the page starts a sign-in with the
    operator's app (whose redirect URL is `callback_url`), and the tokens go to `on_signed_in`
    instead of onto a page. The secret stays on the server, never in a cookie.
    """

    public_url: str
    auth_url: str = DEFAULT_AUTH_URL
    api_url: str = DEFAULT_API_URL
    key: bytes | None = field(default=None, repr=False)
    timeout: float = _transport.DEFAULT_TIMEOUT
    clock: Callable[[], float] = field(default=time.time, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    on_signed_in: SignedInHandler | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        url = self.public_url.strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ConfigError(
                f"The public URL must be the http(s) address browsers open, such as "
                f"https://mal.example.org or http://127.0.0.1:8080, not {self.public_url!r}."
            )
        object.__setattr__(self, "public_url", url)
        if (self.on_signed_in is None) != (self.client_id is None):
            raise ConfigError(
                "App mode needs both the app's client_id and an on_signed_in callback (the "
                "default page takes neither: each visitor brings their own app)."
            )
        if self.client_id is not None:
            self.app()  # an unusable client id or secret fails at start, not at a sign-in

    @property
    def app_mode(self) -> bool:
        return self.on_signed_in is not None

    def app(self) -> App:
        """App mode's fixed app, coming back to this page."""
        return App(
            client_id=self.client_id or "",
            client_secret=self.client_secret,
            redirect_uri=self.callback_url,
            auth_url=self.auth_url,
        )

    @classmethod
    def from_settings(cls, settings: Settings, public_url: str, **kwargs: Any) -> WebConfig:
        """MAL's addresses from `Settings` (`--sandbox`, MAL_AUTH_URL, MAL_API_URL)."""
        return cls(
            public_url=public_url, auth_url=settings.auth_url, api_url=settings.api_url, **kwargs
        )

    @property
    def callback_url(self) -> str:
        return f"{self.public_url}/callback"

    @property
    def base_path(self) -> str:
        return urlsplit(self.public_url).path

    @property
    def secure(self) -> bool:
        return self.public_url.startswith("https://")


class _BodyTooLarge(Exception):
    pass


async def _read_form(request: Request) -> dict[str, str]:
    """The posted form (urlencoded, as browsers send it), refusing anything oversized."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != _FORM_TYPE:
        return {}
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_BODY:
            raise _BodyTooLarge
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


class _Page:
    """Builds the answers of one app, all HTML (`_Guard` adds the security headers)."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.base = config.public_url

    def html(self, text: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(text, status_code=status)

    def error(self, title: str, message: str, status: int = 400) -> HTMLResponse:
        return self.html(error_page(base=self.base, title=title, message=message), status)

    def form(self, status: int = 200, **values: str) -> HTMLResponse:
        return self.html(
            form_page(base=self.base, callback_url=self.config.callback_url, **values), status
        )


def _title(exc: MALError) -> tuple[str, int]:
    """A heading and HTTP status for a failure; the message is the CLI's own (`str(exc)`)."""
    if isinstance(exc, AccessDenied):
        return "Sign-in cancelled", 400
    if isinstance(exc, StateMismatch):
        return "This address belongs to another sign-in", 400
    if isinstance(exc, NoAuthorizationCode):
        return "No code came back", 400
    if isinstance(exc, AuthorizationRefused):
        return "MyAnimeList refused the sign-in", 400
    if isinstance(exc, UnexpectedTokenResponse):
        return "MyAnimeList gave an unexpected answer", 502
    if isinstance(exc, TokenRequestError):
        return "MyAnimeList did not issue tokens", 400
    if isinstance(exc, Timeout):
        return "MyAnimeList did not answer in time", 504
    if isinstance(exc, TransportError):
        return "MyAnimeList could not be reached", 502
    if isinstance(exc, APIError):
        return "MyAnimeList refused the new tokens", 502
    if isinstance(exc, ConfigError):
        return "These settings cannot work", 400
    return "The sign-in failed", 400


async def _post_form(http: httpx2.AsyncClient, post: FormPost) -> ApiResponse:
    # `_transport.post_form` has no async twin yet: send the same form through `asend`.
    request = ApiRequest("POST", post.url, form=tuple(post.form.items()), headers=post.headers)
    return await _transport.asend(http, request)


async def _whoami(
    http: httpx2.AsyncClient, api_url: str, token: Token
) -> tuple[dict[str, Any], str | None]:
    """`GET /users/@me` once, proving the tokens work (SPEC 4.10). A refusal of the token is an
    error; MAL being unreachable or busy only a warning (the tokens are most likely fine)."""
    request = build_request(api_url, "GET", "/users/@me", token=token)
    try:
        data = read_response(await _transport.asend(http, request), request, user=True)
    except Unauthorized:
        raise
    except (APIError, TransportError) as exc:
        return {}, (
            "MyAnimeList did not confirm who these tokens belong to, so they are untested: "
            f"{exc} Use the block anyway; `mal whoami` checks them later."
        )
    return (data if isinstance(data, dict) else {}), None


class _Http:
    """One connection pool to MAL for the page's lifetime (keep-alive, and no TLS setup per
    sign-in). It carries no flow: tokens go in each request's headers, and it keeps no cookies
    (one user's cookie from MAL must never reach another's request)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._client: httpx2.AsyncClient | None = None

    def client(self) -> httpx2.AsyncClient:
        if self._client is None:  # made in the running event loop, on first use
            self._client = _transport.new_async_client(self.timeout)
            self._client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


async def _redeem(
    config: WebConfig, http: httpx2.AsyncClient, app: App, flow: Flow, callback: Callback
) -> Token:
    post = app.token_request(flow.pending, callback)
    sent_at = config.clock()  # a token is never younger than its request
    answer = await _post_form(http, post)
    return parse_token_response(
        answer.status, answer.body, answer.headers, now=sent_at, client_id=app.client_id
    )


async def _complete(
    config: WebConfig, http: httpx2.AsyncClient, flow: Flow, callback: Callback
) -> Result:
    """Redeem the code where it was issued, prove the tokens work, build the block."""
    pending = flow.pending
    app = App(
        client_id=pending.client_id,
        client_secret=flow.client_secret,
        redirect_uri=pending.redirect_uri,
        auth_url=pending.auth_url,
    )
    token = await _redeem(config, http, app, flow, callback)
    user, warning = await _whoami(http, config.api_url, token)
    name, number = user.get("name"), user.get("id")
    return Result(
        block=kometa_block(app.client_id, app.client_secret, token),
        user_name=name if isinstance(name, str) and name else None,
        user_id=number if isinstance(number, int) and not isinstance(number, bool) else None,
        expires_at=token.expires_at,
        refresh_expires_at=token.refresh_expires_at,
        warnings=(warning,) if warning else (),
    )


async def _identify(
    config: WebConfig, http: httpx2.AsyncClient, flow: Flow, callback: Callback
) -> SignedIn:
    """App mode: redeem the code with the operator's app and learn whose tokens they are. The
    app files them under the user, so an unconfirmed user is a failure, not a warning."""
    app = config.app()
    if flow.pending.client_id != app.client_id:
        raise FlowUnreadable()  # a cookie from another app sealed with the same key
    token = await _redeem(config, http, app, flow, callback)
    user, warning = await _whoami(http, config.api_url, token)
    name, number = user.get("name"), user.get("id")
    if warning or not isinstance(number, int) or isinstance(number, bool) or not name:
        raise TransportError(
            "MyAnimeList issued tokens but did not say whose they are (/users/@me failed), so "
            "they were not kept. Sign in again in a minute."
        )
    return SignedIn(token=token, user_id=number, user_name=str(name))


def _routes(config: WebConfig, sealer: Sealer, http: _Http) -> list[Route]:
    page = _Page(config)
    cookie_path = config.base_path or "/"

    def keep(response: Response, flow: Flow) -> Response:
        name, value = sealer.seal(flow)
        response.set_cookie(
            name,
            value,
            max_age=int(sealer.ttl),
            path=cookie_path,
            secure=config.secure,
            httponly=True,
            samesite="lax",
        )
        return response

    def forget(response: Response, name: str | None) -> Response:
        if name:
            response.delete_cookie(
                name, path=cookie_path, secure=config.secure, httponly=True, samesite="lax"
            )
        return response

    async def finish(request: Request, flow: Flow, callback: Callback) -> Response:
        try:
            if config.on_signed_in is not None:
                signed_in = await _identify(config, http.client(), flow, callback)
            else:
                result = await _complete(config, http.client(), flow, callback)
        except MALError as exc:
            title, status = _title(exc)
            return page.error(title, str(exc), status)
        except FlowError as exc:
            return page.error(exc.title, str(exc))
        if config.on_signed_in is not None:
            return await config.on_signed_in(request, signed_in)
        return page.html(result_page(base=page.base, result=result, now=config.clock()))

    async def start_app_mode(request: Request) -> Response:
        # The operator's app, fixed: nothing to type, so opening the page starts the sign-in.
        # Only a cookie is set; the way back is guarded by `state` as in the default mode.
        flow = Flow(config.app().start_authorization(now=config.clock()), None, "callback")
        response = RedirectResponse(flow.pending.authorize_url, status_code=303)
        for stale in _abandoned(request.cookies):
            forget(response, stale)
        return keep(response, flow)

    async def home(request: Request) -> Response:
        return page.form()

    async def start(request: Request) -> Response:
        form = await _read_form(request)
        mode: Mode = "paste" if form.get("mode") == "paste" else "callback"
        client_id = form.get("client_id", "")
        typed_uri = form.get("redirect_uri", "").strip()
        redirect_uri = config.callback_url if mode == "callback" else (typed_uri or None)
        try:
            app = App(
                client_id=client_id,
                client_secret=form.get("client_secret") or None,
                redirect_uri=redirect_uri,
                auth_url=config.auth_url,
            )
        except ConfigError as exc:
            # The secret is not put back into the page: the user types it again.
            return page.form(
                400, client_id=client_id, mode=mode, redirect_uri=typed_uri, error=str(exc)
            )
        flow = Flow(app.start_authorization(now=config.clock()), app.client_secret, mode)
        if mode == "callback":
            response: Response = RedirectResponse(flow.pending.authorize_url, status_code=303)
        else:
            shown = paste_page(
                base=page.base,
                authorize_url=flow.pending.authorize_url,
                flow=flow.id,
                redirect_uri=redirect_uri,
            )
            response = page.html(shown)
        for stale in _abandoned(request.cookies):
            forget(response, stale)
        return keep(response, flow)

    def _abandoned(cookies: dict[str, str]) -> list[str]:
        """Flow cookies to drop when a new sign-in starts: dead ones, and all but the newest
        few, so that retries and abandoned tabs never swell the browser's requests."""
        alive: list[tuple[float, str]] = []
        dead: list[str] = []
        for name, value in cookies.items():
            if not name.startswith(COOKIE_PREFIX):
                continue
            try:
                alive.append((sealer.open(name, value).pending.created_at or 0.0, name))
            except FlowError:
                dead.append(name)
        alive.sort(reverse=True)
        return dead + [name for _, name in alive[_KEPT_FLOWS - 1 :]]

    async def callback(request: Request) -> Response:
        # From the raw scope: `request.url` goes through urllib's urlsplit, whose cache would
        # keep the last 128 callback addresses (code and state) alive after the response.
        query = "?" + request.scope["query_string"].decode("latin-1")
        state = request.query_params.get("state")
        name = Sealer.cookie_name(state) if state else None
        value = request.cookies.get(name) if name else None
        if name is None or value is None:
            # Not a sign-in of this browser. What MAL said (Cancel, an error) still helps most.
            try:
                parse_redirect(query)
            except RedirectError as exc:
                if not isinstance(exc, NoAuthorizationCode):
                    title, status = _title(exc)
                    return page.error(title, str(exc), status)
            problem = FlowNotFound()
            return page.error(problem.title, str(problem))
        try:
            flow = sealer.open(name, value)
            code = flow.pending.accept(query)
        except (FlowError, RedirectError) as exc:
            title, status = (exc.title, 400) if isinstance(exc, FlowError) else _title(exc)
            return forget(page.error(title, str(exc), status), name)
        # One use: the code is spent whatever happens next.
        return forget(await finish(request, flow, code), name)

    async def paste(request: Request) -> Response:
        form = await _read_form(request)
        name = COOKIE_PREFIX + form.get("flow", "")
        value = request.cookies.get(name)
        try:
            if value is None:
                raise FlowNotFound()
            flow = sealer.open(name, value)
        except FlowError as exc:
            return forget(page.error(exc.title, str(exc)), name if value else None)
        try:
            code = flow.pending.accept(form.get("address", ""))
        except (NoAuthorizationCode, StateMismatch) as exc:
            # A wrong paste is not the end: the sign-in stays open for another try.
            again = paste_page(
                base=page.base,
                authorize_url=flow.pending.authorize_url,
                flow=flow.id,
                redirect_uri=flow.pending.redirect_uri,
                error=str(exc),
            )
            return page.html(again, 400)
        except RedirectError as exc:
            title, status = _title(exc)
            return forget(page.error(title, str(exc), status), name)
        return forget(await finish(request, flow, code), name)

    async def back_home(request: Request) -> Response:
        return RedirectResponse(f"{page.base}/", status_code=303)

    if config.app_mode:
        return [
            Route("/", start_app_mode, methods=["GET"]),
            Route("/start", start_app_mode, methods=["GET", "POST"]),
            Route("/callback", callback, methods=["GET"]),
        ]
    return [
        Route("/", home, methods=["GET"]),
        Route("/start", start, methods=["POST"]),
        Route("/start", back_home, methods=["GET"]),
        Route("/callback", callback, methods=["GET"]),
        Route("/paste", paste, methods=["POST"]),
        Route("/paste", back_home, methods=["GET"]),
    ]


class _Guard:
    """Security headers on every answer; a plain error page, never a traceback, on a crash.

    A crash is logged as its exception class and code location only: messages and locals may
    hold a code or a token.
    """

    def __init__(self, app: ASGIApp, *, headers: dict[str, str], page: _Page) -> None:
        self.app = app
        self.headers = headers
        self.page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for key, value in self.headers.items():
                    if key not in headers:
                        headers[key] = value
            await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        except _BodyTooLarge:
            if not started:
                response = self.page.error(
                    "Too much data", "That form was far larger than a sign-in needs.", 413
                )
                await response(scope, receive, guarded_send)
        except Exception as exc:
            frame = traceback.extract_tb(exc.__traceback__)[-1:]
            where = f"{frame[0].filename}:{frame[0].lineno}" if frame else "?"
            _log.error("mal web: unexpected %s at %s", type(exc).__name__, where)
            if not started:
                response = self.page.error(
                    "Something went wrong",
                    "The page failed unexpectedly; nothing was kept. Start again.",
                    500,
                )
                await response(scope, receive, guarded_send)


def create_app(config: WebConfig) -> Starlette:
    """The page's ASGI app. Its state holds the config, the cookie key and the connection pool
    to MAL, never a flow."""
    sealer = Sealer(config.key, clock=config.clock)
    http = _Http(config.timeout)
    headers = security_headers(
        (_origin(config.public_url), _origin(config.auth_url + "/authorize"))
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await http.aclose()

    app = Starlette(
        routes=_routes(config, sealer, http),
        middleware=[Middleware(_Guard, headers=headers, page=_Page(config))],
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.sealer = sealer
    app.state.http = http
    return app
