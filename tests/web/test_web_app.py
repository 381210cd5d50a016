"""The sign-in page over plain HTTP against the sandbox: privacy headers, the sealed cookie, the
pasted-address path, MAL's errors in the CLI's words, and the `mal:` block's YAML."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from starlette.testclient import TestClient
from web_support import (
    alert,
    authorize_link,
    block_of,
    flow_field,
    heading,
    login,
    parse_block,
    register,
    sign_in,
    start_form,
    whoami,
)

from malclient._exceptions import AccessDenied, ConfigError, InvalidClient
from malclient.auth import App, Token
from malclient.sandbox.server import SandboxServer
from malclient.web import WebConfig, create_app, key_from_text, kometa_block
from malclient.web.sealed import Flow, FlowUnreadable, Sealer
from malclient.web.server import WebServer

MINUTE = 60.0


def _cookie(response: httpx2.Response) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return jar


def _start(client: httpx2.Client, url: str, app: dict[str, str], **extra: str) -> httpx2.Response:
    return client.post(f"{url}/start", data=start_form(app, **extra))


@pytest.fixture
def callback_app(sandbox: SandboxServer, page: WebServer) -> dict[str, str]:
    return register(sandbox.url, [f"{page.url}/callback"])


# --- privacy ------------------------------------------------------------------------------------


def test_every_answer_is_uncached_unreferred_and_under_a_strict_csp(
    sandbox: SandboxServer, page: WebServer, callback_app: dict[str, str]
) -> None:
    with httpx2.Client() as client:
        answers = [
            client.get(f"{page.url}/"),
            _start(client, page.url, callback_app, mode="paste"),
            sign_in(client, page.url, callback_app),
            client.get(f"{page.url}/callback?code=x&state=y"),
            client.get(f"{page.url}/nothing-here"),
        ]
    for answer in answers:
        headers = answer.headers
        assert headers["cache-control"] == "no-store"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "unsafe" not in csp
        assert "frame-ancestors 'none'" in csp
        # Scripts and styles only by hash; forms may lead only here and to MAL's authorize page.
        assert re.search(r"script-src 'sha256-[^']+';", csp)
        assert re.search(r"style-src 'sha256-[^']+';", csp)
        assert f"form-action 'self' {page.url} {sandbox.url};" in csp
        # Nothing is loaded from anywhere: no external script, style, image, font or frame.
        assert not re.search(r"<(script|link|img|iframe)[^>]*\ssrc=|<link\b", answer.text)
    assert heading(answers[2].text) == "Signed in as alice"


def test_the_flow_cookie_is_sealed_httponly_lax_and_lives_ten_minutes(
    page: WebServer, callback_app: dict[str, str]
) -> None:
    with httpx2.Client() as client:
        started = _start(client, page.url, callback_app, mode="callback")
    assert started.status_code == 303
    query = parse_qs(urlsplit(started.headers["location"]).query)
    verifier, state = query["code_challenge"][0], query["state"][0]
    [(name, morsel)] = _cookie(started).items()
    assert name == Sealer.cookie_name(state)
    assert morsel["httponly"] is True
    assert morsel["samesite"].lower() == "lax"
    assert morsel["max-age"] == "600"
    assert morsel["path"] == "/"
    assert not morsel["secure"]  # plain http on loopback; see the https test
    # Opaque: none of what it carries can be read from it.
    for secret in (callback_app["client_secret"], callback_app["client_id"], verifier, state):
        assert secret not in morsel.value
        assert secret not in name


def test_behind_https_the_cookie_is_secure_and_the_callback_is_the_public_address() -> None:
    config = WebConfig(
        public_url="https://mal.example.org/signin/",
        auth_url="https://myanimelist.net/v1/oauth2",
    )
    with TestClient(create_app(config), base_url="https://mal.example.org") as client:
        form = client.get("/")
        started = client.post(
            "/start", data={"client_id": "a" * 32, "mode": "callback"}, follow_redirects=False
        )
    assert "https://mal.example.org/signin/callback" in form.text
    assert 'action="https://mal.example.org/signin/start"' in form.text
    location = started.headers["location"]
    assert location.startswith("https://myanimelist.net/v1/oauth2/authorize?")
    assert parse_qs(urlsplit(location).query)["redirect_uri"] == [
        "https://mal.example.org/signin/callback"
    ]
    [(_, morsel)] = _cookie(started).items()
    assert morsel["secure"] is True
    assert morsel["path"] == "/signin"


# --- the sealed cookie --------------------------------------------------------------------------


def test_a_sign_in_older_than_ten_minutes_is_refused(
    sandbox: SandboxServer, callback_app: dict[str, str]
) -> None:
    now = [1_900_000_000.0]
    with (
        WebServer(
            auth_url=f"{sandbox.url}/v1/oauth2",
            api_url=f"{sandbox.url}/v2",
            clock=lambda: now[0],
        ) as late,
        httpx2.Client() as client,
    ):
        app = register(sandbox.url, [f"{late.url}/callback"])
        started = _start(client, late.url, app, mode="callback")
        approved = client.post(started.headers["location"], data=login("alice"))
        now[0] += 10 * MINUTE + 1
        answer = client.get(approved.headers["location"])
    assert answer.status_code == 400
    assert heading(answer.text) == "This sign-in took too long"
    assert "more than 10 minutes ago" in alert(answer.text)
    assert block_of(answer.text) is None
    [(_, morsel)] = _cookie(answer).items()
    assert morsel["max-age"] == "0"  # cleared


def test_an_altered_or_foreign_cookie_is_refused(
    page: WebServer, callback_app: dict[str, str]
) -> None:
    with httpx2.Client() as client:
        started = _start(client, page.url, callback_app, mode="callback")
        approved = client.post(started.headers["location"], data=login("alice"))
        callback = approved.headers["location"]
        [(name, morsel)] = _cookie(started).items()
        value = morsel.value
        altered = value[:40] + ("A" if value[40] != "A" else "B") + value[41:]
        genuine = page.app.state.sealer.open(name, value)
        other_key = Sealer().seal(genuine)[1]  # as sealed by a restarted page
    answers = [
        httpx2.get(callback, headers={"Cookie": f"{name}={forged}"})
        for forged in (altered, other_key, value[:-8])
    ]
    for answer in answers:
        assert answer.status_code == 400
        assert "cannot be read" in alert(answer.text), answer.text
        assert block_of(answer.text) is None


def test_a_cookie_cannot_be_moved_to_another_sign_in() -> None:
    sealer = Sealer()
    first = App("c" * 32).start_authorization()
    second = App("c" * 32).start_authorization()
    _, value = sealer.seal(Flow(first, None, "callback"))
    assert first.state is not None
    assert second.state is not None
    with pytest.raises(FlowUnreadable):
        sealer.open(Sealer.cookie_name(second.state), value)
    assert sealer.open(Sealer.cookie_name(first.state), value).pending.verifier == first.verifier


def test_instances_sharing_mal_web_key_finish_each_others_sign_ins() -> None:
    text = "a shared key of more than thirty-two characters"
    one, two, stranger = Sealer(key_from_text(text)), Sealer(key_from_text(text)), Sealer()
    pending = App("c" * 32).start_authorization()
    assert pending.state is not None
    name, value = one.seal(Flow(pending, "s" * 64, "paste"))
    flow = two.open(name, value)
    assert (flow.pending.verifier, flow.client_secret, flow.mode) == (
        pending.verifier,
        "s" * 64,
        "paste",
    )
    with pytest.raises(FlowUnreadable):
        stranger.open(name, value)
    with pytest.raises(ConfigError, match="at least 32"):
        key_from_text("short")
    assert "s" * 64 not in repr(flow)
    assert pending.verifier not in repr(flow)


def test_two_tabs_can_sign_in_at_once_and_old_attempts_are_dropped(
    page: WebServer, callback_app: dict[str, str]
) -> None:
    with httpx2.Client() as client:
        client.cookies.set("malweb_damaged", "not-a-flow", domain="127.0.0.1")
        starts = [_start(client, page.url, callback_app, mode="callback") for _ in range(6)]
        kept = [name for name in client.cookies if name.startswith("malweb_")]
        assert len(kept) == 4  # the newest four; the damaged one is gone too
        # The two newest, finished in the other order, both work: each has its own cookie.
        approved = [
            client.post(started.headers["location"], data=login(user))
            for started, user in ((starts[5], "bob"), (starts[4], "carol"))
        ]
        done = [client.get(answer.headers["location"]) for answer in approved]
        oldest = client.post(starts[0].headers["location"], data=login("alice"))
        dropped = client.get(oldest.headers["location"])
    assert [heading(answer.text) for answer in done] == ["Signed in as bob", "Signed in as carol"]
    assert heading(dropped.text) == "This sign-in cannot be finished"


# --- MAL's errors -------------------------------------------------------------------------------


def test_a_wrong_secret_is_explained_as_the_cli_explains_it(
    page: WebServer, callback_app: dict[str, str]
) -> None:
    wrong = {**callback_app, "client_secret": "f" * 64}
    with httpx2.Client() as client:
        answer = sign_in(client, page.url, wrong)
    assert answer.status_code == 400
    assert heading(answer.text) == "MyAnimeList did not issue tokens"
    assert InvalidClient.default_explanation in alert(answer.text)
    assert "f" * 64 not in answer.text
    assert block_of(answer.text) is None


def test_cancel_without_a_sign_in_here_still_says_what_happened(page: WebServer) -> None:
    denied = (
        f"{page.url}/callback?state=not-ours&error=access_denied&message=The+resource+owner+"
        "or+authorization+server+denied+the+request.&hint=The+user+denied+the+request"
    )
    answer = httpx2.get(denied)
    assert heading(answer.text) == "Sign-in cancelled"
    assert AccessDenied.default_explanation in alert(answer.text)


def test_an_unreachable_mal_gives_a_clear_page(sandbox: SandboxServer) -> None:
    with (
        WebServer(auth_url="http://127.0.0.1:9/v1/oauth2", api_url="http://127.0.0.1:9/v2") as web,
        httpx2.Client() as client,
    ):
        started = _start(client, web.url, {"client_id": "c" * 32}, mode="callback")
        state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
        answer = client.get(f"{web.url}/callback?code=def50200abc&state={state}")
    assert answer.status_code == 502
    assert heading(answer.text) == "MyAnimeList could not be reached"
    assert "Could not connect to 127.0.0.1:9" in alert(answer.text)


def test_tokens_are_still_shown_when_mal_is_too_busy_to_confirm_them(
    sandbox: SandboxServer, page: WebServer, callback_app: dict[str, str]
) -> None:
    settings_url = f"{sandbox.url}/_sandbox/settings"
    httpx2.post(settings_url, json={"rate_limit": "rate=0.0001,burst=1,ban-after=1000"})
    try:
        httpx2.get(f"{sandbox.url}/v2/anime/1", headers={"X-MAL-CLIENT-ID": "x"})  # the burst
        with httpx2.Client() as client:
            answer = sign_in(client, page.url, callback_app)
    finally:
        httpx2.post(settings_url, json={"rate_limit": None})
    assert answer.status_code == 200
    assert heading(answer.text) == "Signed in"
    assert "did not confirm who these tokens belong to" in alert(answer.text)
    shown = block_of(answer.text)
    assert shown is not None
    assert whoami(sandbox.url, parse_block(shown)["mal"]["authorization"]["access_token"]) == (
        "alice"
    )


# --- the pasted address (Kometa's way) ----------------------------------------------------------


def test_the_pasted_address_finishes_and_a_wrong_paste_can_be_retried(
    sandbox: SandboxServer, page: WebServer
) -> None:
    app = register(sandbox.url, ["http://localhost/"])
    with httpx2.Client() as client:
        shown = _start(client, page.url, app, mode="paste")
        assert shown.status_code == 200
        link, flow = authorize_link(shown.text), flow_field(shown.text)
        # One registered URL: like Kometa, no redirect_uri is sent (SPEC 2.3).
        assert "redirect_uri" not in parse_qs(urlsplit(link).query)
        approved = client.post(link, data=login("carol"))
        address = approved.headers["location"]
        assert address.startswith("http://localhost/?code=")

        tries = [
            "http://localhost/",  # no code
            re.sub(r"state=[^&]+", "state=another", address),  # another sign-in's address
        ]
        for wrong in tries:
            retry = client.post(f"{page.url}/paste", data={"flow": flow, "address": wrong})
            assert retry.status_code == 400
            assert flow_field(retry.text) == flow  # still open
            assert not _cookie(retry)
        assert "no code" in alert(
            client.post(f"{page.url}/paste", data={"flow": flow, "address": tries[0]}).text
        )

        done = client.post(f"{page.url}/paste", data={"flow": flow, "address": f"  {address}\n"})
        again = client.post(f"{page.url}/paste", data={"flow": flow, "address": address})
    assert heading(done.text) == "Signed in as carol"
    shown_block = block_of(done.text)
    assert shown_block is not None
    assert whoami(
        sandbox.url, parse_block(shown_block)["mal"]["authorization"]["access_token"]
    ) == ("carol")
    assert heading(again.text) == "This sign-in cannot be finished"


def test_a_typed_redirect_url_is_used_in_both_steps(
    sandbox: SandboxServer, page: WebServer
) -> None:
    app = register(sandbox.url, ["http://localhost/", "http://localhost:8123/oauth"])
    with httpx2.Client() as client:
        shown = _start(
            client, page.url, app, mode="paste", redirect_uri="http://localhost:8123/oauth"
        )
        link, flow = authorize_link(shown.text), flow_field(shown.text)
        assert parse_qs(urlsplit(link).query)["redirect_uri"] == ["http://localhost:8123/oauth"]
        address = client.post(link, data=login("bob")).headers["location"]
        done = client.post(f"{page.url}/paste", data={"flow": flow, "address": address})
    assert heading(done.text) == "Signed in as bob"


# --- the form -----------------------------------------------------------------------------------


def test_an_unusable_client_id_shows_the_form_again_without_the_secret(page: WebServer) -> None:
    answer = httpx2.post(
        f"{page.url}/start",
        data={"client_id": "abc def", "client_secret": "very-secret-value", "mode": "callback"},
    )
    assert answer.status_code == 400
    assert "contains spaces" in alert(answer.text)
    assert 'value="abc def"' in answer.text
    assert "very-secret-value" not in answer.text
    assert not _cookie(answer)


def test_an_oversized_form_is_refused(page: WebServer) -> None:
    answer = httpx2.post(f"{page.url}/start", data={"client_id": "x" * 100_000})
    assert answer.status_code == 413


# --- the block ----------------------------------------------------------------------------------


def _token(access: str = "eyJ.a.b", refresh: str = "def502") -> Token:
    body = {"access_token": access, "refresh_token": refresh, "expires_in": 2678400}
    return Token.from_response({**body, "token_type": "Bearer"}, now=0)


def test_the_block_has_kometas_keys_in_kometas_order() -> None:
    text = kometa_block("5a1d6b7c0e9f4a3b8c2d7e6f1a0b9c8d", None, _token())
    assert text.splitlines() == [
        "mal:",
        "  client_id: 5a1d6b7c0e9f4a3b8c2d7e6f1a0b9c8d",
        "  client_secret:",
        "  localhost_url:",
        "  authorization:",
        "    access_token: eyJ.a.b",
        "    token_type: Bearer",
        "    expires_in: 2678400",
        "    refresh_token: def502",
    ]


_READERS = {
    "YAML 1.2": YAML(typ="safe", pure=True),
    "YAML 1.1": YAML(typ="safe", pure=True),
}
_READERS["YAML 1.1"].version = (1, 1)
_AWKWARD = ["yes", "No", "on", "null", "~", "0123", "1e5", "1_000", "12:30", "#x", "- a", "a: b"]


@settings(max_examples=150, deadline=None)
@given(
    client_id=st.one_of(st.sampled_from(_AWKWARD), st.text(min_size=1, max_size=40)),
    secret=st.one_of(st.none(), st.sampled_from(_AWKWARD), st.text(min_size=1, max_size=40)),
    access=st.text(min_size=1, max_size=60),
)
def test_any_value_reads_back_exactly(client_id: str, secret: str | None, access: str) -> None:
    text = kometa_block(client_id, secret, _token(access=access))
    for reader in _READERS.values():
        block = reader.load(text)["mal"]
        assert block["client_id"] == client_id
        assert block["client_secret"] == (secret or None)
        assert block["authorization"]["access_token"] == access
        assert block["authorization"]["expires_in"] == 2678400
