"""The sign-in page in a real browser: Debian's Chromium, driven by Playwright's async API, against
the sandbox's own login and consent page. One browser for the module; screenshots of every page
go to tests/artifacts/web/ (git-ignored) at phone and desktop sizes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    Request,
    Route,
    async_playwright,
)
from web_support import parse_block, register, stats, whoami

from malclient.sandbox.server import SandboxServer
from malclient.web.server import WebServer

pytestmark = pytest.mark.anyio

CHROMIUM = "/usr/bin/chromium"  # Debian's package, installed by scripts/system-deps
# No network here: without these, Chromium tries to reach Google's services at start.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "web"
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def browser(anyio_backend: str) -> AsyncIterator[Browser]:
    assert Path(CHROMIUM).exists(), "Chromium is missing: run scripts/system-deps (make test does)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        # Playwright gives each launch a fresh temporary profile (its --user-data-dir).
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


class Watched:
    """A browser context whose pages report any Content-Security-Policy refusal or script error
    (the page's own style and script must pass its CSP)."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.problems: list[str] = []
        context.on("page", self.watch)

    def watch(self, page: Page) -> None:
        page.on(
            "console",
            lambda message: (
                self.problems.append(message.text)
                if message.type in ("error", "warning")
                and not message.text.startswith("Failed to load resource")
                else None
            ),
        )
        page.on("pageerror", lambda error: self.problems.append(str(error)))

    async def cookies(self) -> list[str]:
        return [cookie["name"] for cookie in await self.context.cookies()]


async def _context(browser: Browser, **options: Any) -> Watched:
    return Watched(await browser.new_context(**{**PHONE, **options}))


async def shoot(page: Page, name: str) -> None:
    """A full-page screenshot at phone size, then at desktop size."""
    await page.set_viewport_size(PHONE["viewport"])
    await page.screenshot(path=ARTIFACTS / f"{name}-phone.png", full_page=True)
    await page.set_viewport_size(DESKTOP["viewport"])
    await page.screenshot(path=ARTIFACTS / f"{name}-desktop.png", full_page=True)
    await page.set_viewport_size(PHONE["viewport"])


async def fill_form(page: Page, base: str, app: dict[str, Any]) -> None:
    await page.goto(f"{base}/")
    await page.get_by_label("Client ID").fill(app["client_id"])
    if app.get("client_secret"):
        await page.get_by_label("Client secret").fill(app["client_secret"])


async def mal_login(page: Page, user: str = "alice") -> None:
    """The sandbox's MAL login and consent page."""
    await page.wait_for_selector("input[name=username]")
    await page.fill("input[name=username]", user)
    await page.fill("input[name=password]", f"{user}-sandbox")


def code_grants(sandbox: SandboxServer) -> int:
    return int(stats(sandbox.url)["grants"].get("authorization_code", 0))


async def test_signs_in_and_shows_a_block_that_works(
    browser: Browser, sandbox: SandboxServer, page: WebServer
) -> None:
    app = register(sandbox.url, [f"{page.url}/callback"])
    watched = await _context(browser, permissions=["clipboard-read", "clipboard-write"])
    tab = await watched.context.new_page()
    await fill_form(tab, page.url, app)
    await shoot(tab, "form")
    await tab.get_by_role("button", name="Sign in with MyAnimeList").click()
    await mal_login(tab)
    await tab.click("button[name=decision][value=allow]")
    await tab.wait_for_selector("h1:has-text('Signed in as alice')")
    callback_url = tab.url
    assert callback_url.startswith(f"{page.url}/callback?code=")
    await shoot(tab, "result")
    await tab.emulate_media(color_scheme="dark")
    await tab.screenshot(path=ARTIFACTS / "result-dark-phone.png", full_page=True)
    await tab.emulate_media(color_scheme="light")

    shown = await tab.input_value("#block")
    block = parse_block(shown)["mal"]
    assert block["client_id"] == app["client_id"]
    assert block["client_secret"] == app["client_secret"]
    assert list(block["authorization"]) == [
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
    ]
    assert whoami(sandbox.url, block["authorization"]["access_token"]) == "alice"
    assert "in 31 days" in await tab.inner_text("dl")

    # Copy puts exactly the block on the clipboard; Download saves exactly the block.
    await tab.get_by_role("button", name="Copy").click()
    await tab.wait_for_selector("#copy_status:has-text('Copied')")
    assert await tab.evaluate("navigator.clipboard.readText()") == shown
    async with tab.expect_download() as info:
        await tab.click("#download")
    download = await info.value
    assert download.suggested_filename == "mal.yml"
    assert Path(await download.path()).read_text(encoding="utf-8") == shown

    # The flow's cookie is gone; the same callback again is refused (codes work once).
    assert not [name for name in await watched.cookies() if name.startswith("malweb_")]
    await tab.goto(callback_url)
    assert await tab.inner_text("h1") == "This sign-in cannot be finished"
    assert "finished once" in await tab.inner_text("[role=alert]")
    await shoot(tab, "error-replayed")
    assert watched.problems == []
    await watched.context.close()


async def test_cancel_on_mal_shows_a_clear_error_page(
    browser: Browser, sandbox: SandboxServer, page: WebServer
) -> None:
    app = register(sandbox.url, [f"{page.url}/callback"])
    before = code_grants(sandbox)
    watched = await _context(browser)
    tab = await watched.context.new_page()
    await fill_form(tab, page.url, app)
    await tab.get_by_role("button", name="Sign in with MyAnimeList").click()
    await mal_login(tab)
    await tab.click("button[name=decision][value=cancel]")
    await tab.wait_for_selector("h1:has-text('Sign-in cancelled')")
    message = await tab.inner_text("[role=alert]")
    assert "cancelled on MyAnimeList's page" in message
    assert "click Allow" in message
    assert await tab.get_by_role("link", name="Start again").is_visible()
    assert await tab.locator("#block").count() == 0
    assert not [name for name in await watched.cookies() if name.startswith("malweb_")]
    assert code_grants(sandbox) == before
    await shoot(tab, "error-cancelled")
    assert watched.problems == []
    await watched.context.close()


async def test_a_tampered_state_is_refused_and_no_tokens_are_issued(
    browser: Browser, sandbox: SandboxServer, page: WebServer
) -> None:
    app = register(sandbox.url, [f"{page.url}/callback"])
    before = code_grants(sandbox)
    watched = await _context(browser)
    tab = await watched.context.new_page()

    async def tamper(route: Route) -> None:
        if route.request.method != "POST":
            await route.continue_()
            return
        # MAL's answer to Allow is changed on the way: the way back carries another state
        # (a swapped state, or someone else's callback sent to this browser).
        answer = await route.fetch(max_redirects=0)
        genuine = answer.headers["location"]
        changed = re.sub(r"state=[^&]+", "state=tampered-with-this-state", genuine)
        await route.fulfill(response=answer, headers={**answer.headers, "location": changed})

    await tab.route(re.compile(r".*/v1/oauth2/authorize\?.*"), tamper)
    await fill_form(tab, page.url, app)
    await tab.get_by_role("button", name="Sign in with MyAnimeList").click()
    await mal_login(tab)
    await tab.click("button[name=decision][value=allow]")
    await tab.wait_for_selector("h1:has-text('This sign-in cannot be finished')")
    assert "state=tampered" in tab.url
    assert "No sign-in in progress in this browser matches" in await tab.inner_text("[role=alert]")
    assert await tab.locator("#block").count() == 0
    assert code_grants(sandbox) == before
    await shoot(tab, "error-tampered")
    assert watched.problems == []
    await watched.context.close()


async def test_kometa_way_pastes_the_address_that_did_not_load(
    browser: Browser, sandbox: SandboxServer, page: WebServer
) -> None:
    # A public app (no secret) registered with Kometa's http://localhost/ redirect URL.
    app = register(sandbox.url, ["http://localhost/"], kind="public")
    watched = await _context(browser)
    tab = await watched.context.new_page()
    await fill_form(tab, page.url, app)
    await tab.get_by_label("http://localhost/ or another address").check()
    await tab.get_by_role("button", name="Sign in with MyAnimeList").click()
    await tab.wait_for_selector("h1:has-text('paste the address')")
    await shoot(tab, "paste")
    async with tab.expect_popup() as opened:
        await tab.click("#authorize")
    mal = await opened.value
    await mal_login(mal, "bob")

    def lands_on_localhost(request: Request) -> bool:
        return request.url.startswith("http://localhost/?")

    # Nothing listens on http://localhost/: the tab shows an error, its address has the code.
    async with mal.expect_request(lands_on_localhost) as landed:
        await mal.click("button[name=decision][value=allow]")
    address = (await landed.value).url
    await mal.close()
    await tab.fill("#address", address)
    await tab.get_by_role("button", name="Finish signing in").click()
    await tab.wait_for_selector("h1:has-text('Signed in as bob')")
    block = parse_block(await tab.input_value("#block"))["mal"]
    assert block["client_id"] == app["client_id"]
    assert block["client_secret"] is None
    assert whoami(sandbox.url, block["authorization"]["access_token"]) == "bob"
    assert watched.problems == []
    await watched.context.close()


async def test_the_whole_sign_in_works_without_javascript(
    browser: Browser, sandbox: SandboxServer, page: WebServer
) -> None:
    app = register(sandbox.url, [f"{page.url}/callback"])
    watched = await _context(browser, java_script_enabled=False)
    tab = await watched.context.new_page()
    await fill_form(tab, page.url, app)
    await tab.get_by_role("button", name="Sign in with MyAnimeList").click()
    await mal_login(tab, "carol")
    await tab.click("button[name=decision][value=allow]")
    await tab.wait_for_selector("h1:has-text('Signed in as carol')")
    block = parse_block(await tab.input_value("#block"))["mal"]
    assert whoami(sandbox.url, block["authorization"]["access_token"]) == "carol"
    # Without a script there is no Copy button to fail; selecting and downloading still work.
    assert not await tab.get_by_role("button", name="Copy").is_visible()
    assert await tab.locator("#download").is_visible()
    await shoot(tab, "result-nojs")
    await watched.context.close()
