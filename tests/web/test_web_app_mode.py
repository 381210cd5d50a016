"""The page's app mode against the sandbox: the operator's fixed app, nothing typed, the tokens
handed to the operator's callback (never shown), and the same guards on the way back."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from web_support import heading, login, register, whoami

from malclient._exceptions import ConfigError
from malclient._serving import BackgroundServer, bind, origin
from malclient.sandbox.server import SandboxServer
from malclient.web import SignedIn, WebConfig, create_app
from malclient.web.sealed import COOKIE_PREFIX


@dataclass
class AppModePage:
    url: str
    app: dict[str, str]
    received: list[SignedIn] = field(default_factory=list)


@pytest.fixture(scope="module")
def app_page(sandbox: SandboxServer) -> Iterator[AppModePage]:
    sock = bind("127.0.0.1", 0)
    url = origin(*sock.getsockname()[:2]) + "/signin"
    page = AppModePage(url, register(sandbox.url, [f"{url}/callback"]))

    async def on_signed_in(request: Request, user: SignedIn) -> Response:
        page.received.append(user)
        response = RedirectResponse("/welcome", status_code=303)
        response.set_cookie("app_session", f"session-of-{user.user_id}", httponly=True)
        return response

    config = WebConfig(
        public_url=url,
        auth_url=f"{sandbox.url}/v1/oauth2",
        api_url=f"{sandbox.url}/v2",
        client_id=page.app["client_id"],
        client_secret=page.app["client_secret"],
        on_signed_in=on_signed_in,
    )
    signin = create_app(config)

    # Mounted under a path, as an app embeds it (a mount does not run the page's lifespan).
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with signin.router.lifespan_context(signin):
            yield

    outer = Starlette(routes=[Mount("/signin", app=signin)], lifespan=lifespan)
    served = uvicorn.Config(outer, log_level="warning", access_log=False)
    with BackgroundServer(served, sock, "app-mode page"):
        yield page


def test_app_mode_needs_both_the_client_id_and_the_callback() -> None:
    async def handler(request: Request, user: SignedIn) -> Response:
        return Response()

    with pytest.raises(ConfigError, match="client_id"):
        WebConfig(public_url="http://127.0.0.1:8080", client_id="abc")
    with pytest.raises(ConfigError, match="on_signed_in"):
        WebConfig(public_url="http://127.0.0.1:8080", on_signed_in=handler)
    config = WebConfig(
        public_url="http://127.0.0.1:8080",
        client_id="abc",
        client_secret="the-operators-secret",
        on_signed_in=handler,
    )
    assert "the-operators-secret" not in repr(config)


def test_opening_the_page_starts_the_operators_sign_in_without_a_form(
    app_page: AppModePage,
) -> None:
    with httpx2.Client() as browser:
        started = browser.get(f"{app_page.url}/")
        assert started.status_code == 303
        query = parse_qs(urlsplit(started.headers["location"]).query)
        assert query["client_id"] == [app_page.app["client_id"]]
        assert query["redirect_uri"] == [f"{app_page.url}/callback"]
        (cookie,) = started.headers.get_list("set-cookie")
        assert cookie.startswith(COOKIE_PREFIX)
        assert "Path=/signin" in cookie
        assert "HttpOnly" in cookie
        # The default page's other ways in are not offered: nothing to type, nothing to paste.
        assert browser.post(f"{app_page.url}/paste").status_code == 404
        assert browser.post(f"{app_page.url}/start").status_code == 303


def test_a_sign_in_ends_in_the_operators_callback_with_the_user_and_tokens(
    sandbox: SandboxServer, app_page: AppModePage
) -> None:
    app_page.received.clear()
    with httpx2.Client() as browser:
        started = browser.get(f"{app_page.url}/")
        approved = browser.post(started.headers["location"], data=login("bob"))
        assert approved.status_code == 302
        back = browser.get(approved.headers["location"])
    assert back.status_code == 303
    assert back.headers["location"] == "/welcome"
    # The page's guards still apply to the operator's answer: no caching, no referrer.
    assert back.headers["cache-control"] == "no-store"
    assert back.headers["referrer-policy"] == "no-referrer"
    cookies = back.headers.get_list("set-cookie")
    (user,) = app_page.received
    assert any(c.startswith(f"app_session=session-of-{user.user_id}") for c in cookies)
    # The sign-in's cookie is dropped: the code was spent.
    assert any(c.startswith(COOKIE_PREFIX) and "Max-Age=0" in c for c in cookies)
    assert (user.user_name, user.user_id) == ("bob", 7012346)
    assert whoami(sandbox.url, user.token.access_token) == "bob"
    assert user.token.client_id == app_page.app["client_id"]
    assert user.token.access_token not in repr(user)
    assert user.token.access_token not in back.text


def test_a_foreign_or_cancelled_return_never_reaches_the_callback(
    app_page: AppModePage,
) -> None:
    app_page.received.clear()
    with httpx2.Client() as browser:
        started = browser.get(f"{app_page.url}/")
        cancelled = browser.post(
            started.headers["location"], data={**login("alice"), "decision": "cancel"}
        )
        refused = browser.get(cancelled.headers["location"])
        assert refused.status_code == 400
        assert heading(refused.text) == "Sign-in cancelled"
    with httpx2.Client() as stranger:  # someone else's link: no flow cookie in this browser
        forged = stranger.get(f"{app_page.url}/callback?code=abc&state=xyz")
        assert forged.status_code == 400
    assert app_page.received == []
