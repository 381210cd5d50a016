"""Every way the code comes back, end to end against a real sandbox on a loopback port.

The "browser" is scripted with httpx2: it opens the authorize URL, submits the sandbox's login
form (Allow or Cancel) and follows the redirect to malclient's loopback listener, exactly as a
person's browser would. The terminal is scripted too; the real one is driven through a
pseudo-terminal in test_cli_auth.py.
"""

from __future__ import annotations

import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx2
import pytest

from malclient import config, signin
from malclient._exceptions import (
    AccessDenied,
    AuthError,
    AuthorizationCodeReused,
    ConfigError,
    NoAuthorizationCode,
    StateMismatch,
)
from malclient.auth import KOMETA_VERIFIER_WARNING, Callback
from malclient.sandbox import SandboxConfig
from malclient.sandbox.config import WEB_APP
from malclient.sandbox.server import SandboxServer
from malclient.settings import Settings
from signin_support import (
    Browser,
    ScriptedTerminal,
    allow_or_cancel,
    free_port,
    grants,
    settings_for,
)

CONFIG_TEXT = """\
# Kometa configuration (trimmed)
libraries:
  Anime:
    collection_files:
      - default: basic   # keep this comment
mal:
  client_id: {client_id}
  client_secret: {client_secret}
  localhost_url:
  authorization:
    access_token:
    token_type:
    expires_in:
    refresh_token:
trakt:
  client_id: not-ours
"""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(anime_count=50, manga_count=50)) as server:
        yield server


@pytest.fixture
def loopback_app(sandbox: SandboxServer) -> tuple[str, str, str]:
    """A web app registered with a loopback redirect URL on a free port: id, secret, URL."""
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    answer = httpx2.post(
        f"{sandbox.url}/_sandbox/apps", json={"redirect_uris": [redirect], "type": "web"}
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return body["client_id"], body["client_secret"], redirect


def test_loopback_capture_signs_in_through_the_login_form(
    sandbox: SandboxServer, loopback_app: tuple[str, str, str], tmp_path: Path
) -> None:
    client_id, secret, redirect = loopback_app
    path = tmp_path / "config.yml"
    path.write_text(CONFIG_TEXT.format(client_id=client_id, client_secret=secret))
    before = path.read_text()
    settings = settings_for(sandbox, path, client_id, secret)
    browser = Browser(before=["/favicon.ico", "/callback", "/elsewhere?code=x"])
    terminal = ScriptedTerminal()

    done = signin.SignIn(settings, terminal, redirect_uri=redirect, browser=browser).run()

    assert (done.how, done.user_name, done.user_id) == ("loopback", "alice", 7012345)
    page = browser.page()
    assert page.status_code == 200
    assert "Signed in as alice" in page.text
    assert "close this tab" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    # Requests that are not the callback got a 404 and the wait went on.
    assert browser.stray == [404, 404, 404]
    saved = config.read_settings(path)
    assert saved.authorization is not None
    assert saved.authorization.access_token == done.token.access_token
    assert saved.authorization.client_id == client_id
    # Only the authorization block changed.
    after = path.read_text().splitlines()
    assert [line for line in after if "token" not in line and "expires_in" not in line] == [
        line for line in before.splitlines() if "token" not in line and "expires_in" not in line
    ]
    assert signin.resume(settings) is None  # the pending sign-in is used up
    assert signin.remembered_redirect_uri(path) == redirect
    assert str(sandbox.port) in terminal.text  # the authorize URL was shown
    assert "waits for the browser at " + redirect in terminal.text


def test_cancel_on_the_consent_page_fails_clearly_and_writes_no_tokens(
    sandbox: SandboxServer, loopback_app: tuple[str, str, str], tmp_path: Path
) -> None:
    client_id, secret, redirect = loopback_app
    path = tmp_path / "config.yml"
    settings = settings_for(sandbox, path, client_id, secret)
    browser = Browser("cancel")
    spent = grants(sandbox).get("authorization_code", 0)

    with pytest.raises(AccessDenied, match="cancelled") as caught:
        signin.SignIn(settings, ScriptedTerminal(), redirect_uri=redirect, browser=browser).run()

    page = browser.page()
    assert page.status_code == 400
    assert "cancelled" in page.text
    assert "click Allow" in str(caught.value)
    assert config.read_settings(path).authorization is None
    assert grants(sandbox).get("authorization_code", 0) == spent


def test_a_callback_with_another_state_is_refused_and_writes_no_tokens(
    sandbox: SandboxServer, loopback_app: tuple[str, str, str], tmp_path: Path
) -> None:
    client_id, secret, redirect = loopback_app
    path = tmp_path / "config.yml"
    settings = settings_for(sandbox, path, client_id, secret)

    def forge_state(location: str) -> str:
        base, _, query = location.partition("?")
        fields = dict(parse_qsl(query))
        fields["state"] = "someone-elses-sign-in"
        return f"{base}?{urlencode(fields)}"

    browser = Browser(tamper=forge_state)
    with pytest.raises(StateMismatch, match="different sign-in"):
        signin.SignIn(settings, ScriptedTerminal(), redirect_uri=redirect, browser=browser).run()

    page = browser.page()
    assert page.status_code == 400
    assert "different sign-in" in page.text
    assert config.read_settings(path).authorization is None


def test_a_busy_port_falls_back_to_paste_with_an_explanation(
    sandbox: SandboxServer, loopback_app: tuple[str, str, str], tmp_path: Path
) -> None:
    client_id, secret, redirect = loopback_app
    port = urlsplit(redirect).port
    assert port is not None
    settings = settings_for(sandbox, tmp_path / "config.yml", client_id, secret)
    shown: list[str] = []
    terminal = ScriptedTerminal(
        interactive=True,
        lines=[lambda: allow_or_cancel(shown[0]).replace("?", "\n?", 1)],  # a wrapped paste
    )

    def browser(url: str) -> bool:
        shown.append(url)
        return False

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        done = signin.SignIn(settings, terminal, redirect_uri=redirect, browser=browser).run()

    assert (done.how, done.user_name) == ("paste", "alice")
    assert "another program already uses port" in terminal.text
    assert "does not load, that is expected" in terminal.text


def test_something_that_is_not_an_address_is_asked_for_again(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    settings = settings_for(sandbox, tmp_path / "config.yml", WEB_APP.client_id, None)
    settings = Settings.resolve(
        config=tmp_path / "config.yml",
        sandbox=sandbox.url,
        client_id=WEB_APP.client_id,
        client_secret=WEB_APP.client_secret,
        env={},
    )
    shown: list[str] = []
    terminal = ScriptedTerminal(
        interactive=True, lines=["", lambda: shown[0], lambda: allow_or_cancel(shown[0])]
    )

    def browser(url: str) -> bool:
        shown.append(url)
        return True

    done = signin.SignIn(settings, terminal, paste=True, browser=browser).run()

    assert done.how == "paste"
    assert "Nothing was given" in terminal.text
    assert "looks like the authorize URL itself" in terminal.text


def test_no_browser_coming_back_without_a_terminal_points_at_two_steps(
    sandbox: SandboxServer, loopback_app: tuple[str, str, str], tmp_path: Path
) -> None:
    client_id, secret, redirect = loopback_app
    settings = settings_for(sandbox, tmp_path / "config.yml", client_id, secret)
    with pytest.raises(NoAuthorizationCode, match=r"mal auth url"):
        signin.SignIn(
            settings, ScriptedTerminal(), redirect_uri=redirect, timeout=0.3, browser=None
        ).run()
    # The listener is gone: its port is free again.
    with socket.socket() as again:
        again.bind(("127.0.0.1", urlsplit(redirect).port or 0))


def test_without_a_terminal_or_a_listener_it_fails_before_showing_anything(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.yml"
    settings = settings_for(sandbox, path, WEB_APP.client_id, WEB_APP.client_secret)
    terminal = ScriptedTerminal()
    with pytest.raises(AuthError, match="standard input is not a terminal") as caught:
        signin.SignIn(settings, terminal, paste=True).run()
    assert "mal auth login --redirect-url" in str(caught.value)
    assert terminal.said == []
    assert signin.resume(settings) is None


def kometa_block(path: Path, localhost_url: str) -> None:
    path.write_text(
        CONFIG_TEXT.format(client_id=WEB_APP.client_id, client_secret=WEB_APP.client_secret)
    )
    config.write_settings(path, localhost_url=localhost_url)


def test_kometa_localhost_url_from_its_documented_url_is_completed_then_cleared(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.yml"
    settings = settings_for(sandbox, path, WEB_APP.client_id, WEB_APP.client_secret)
    # Kometa's docs: open /authorize with its fixed verifier, no state, no redirect_uri.
    landing = allow_or_cancel(settings.app().kometa_authorization().authorize_url)
    assert landing.startswith("http://localhost/?code=")
    kometa_block(path, landing.removeprefix("http://"))  # as Kometa's docs have it pasted
    settings = Settings.resolve(config=path, sandbox=sandbox.url, env={})
    terminal = ScriptedTerminal()

    done = signin.SignIn(settings, terminal, browser=None).run()

    assert (done.how, done.user_name) == ("localhost_url", "alice")
    assert KOMETA_VERIFIER_WARNING in terminal.text
    saved = config.read_settings(path)
    assert saved.localhost_url is None
    assert saved.authorization is not None
    assert "localhost_url:\n" in path.read_text()  # the key stays, emptied (Kometa's template)


def test_localhost_url_is_completed_with_the_pending_verifier_of_mal_auth_url(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.yml"
    kometa_block(path, "")
    settings = Settings.resolve(config=path, sandbox=sandbox.url, env={})
    pending = signin.start(settings)
    assert stat.S_IMODE(Path(f"{path}.malclient").stat().st_mode) == 0o600
    config.write_settings(path, localhost_url=allow_or_cancel(pending.authorize_url))
    settings = Settings.resolve(config=path, sandbox=sandbox.url, env={})
    terminal = ScriptedTerminal()

    done = signin.SignIn(settings, terminal, browser=None).run()

    assert done.how == "localhost_url"
    assert KOMETA_VERIFIER_WARNING not in terminal.text
    assert config.read_settings(path).localhost_url is None


def test_a_used_localhost_url_code_is_cleared_with_a_clear_error(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.yml"
    kometa_block(path, "")
    settings = Settings.resolve(config=path, sandbox=sandbox.url, env={})
    landing = allow_or_cancel(settings.app().kometa_authorization().authorize_url)
    config.write_settings(path, localhost_url=landing)
    signin.SignIn(
        Settings.resolve(config=path, sandbox=sandbox.url, env={}), ScriptedTerminal()
    ).run()
    config.write_settings(path, localhost_url=landing)  # pasted again by mistake
    terminal = ScriptedTerminal()

    with pytest.raises(AuthorizationCodeReused, match="already used"):
        signin.SignIn(Settings.resolve(config=path, sandbox=sandbox.url, env={}), terminal).run()

    assert config.read_settings(path).localhost_url is None
    assert "Cleared `localhost_url`" in terminal.text


def test_an_address_from_a_sign_in_nobody_is_waiting_for_says_to_start_again(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.yml"
    settings = settings_for(sandbox, path, WEB_APP.client_id, WEB_APP.client_secret)
    address = allow_or_cancel(settings.app().start_authorization().authorize_url)
    with pytest.raises(StateMismatch, match="Run `mal auth url` again"):
        signin.SignIn(settings, ScriptedTerminal()).run(address)
    assert config.read_settings(path).authorization is None


def test_a_sign_in_is_finished_at_the_server_that_started_it(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.yml"
    started = settings_for(sandbox, path, WEB_APP.client_id, WEB_APP.client_secret)
    pending = signin.start(started)
    elsewhere = Settings.resolve(
        config=path,
        sandbox="http://127.0.0.1:9",
        client_id=WEB_APP.client_id,
        client_secret=WEB_APP.client_secret,
        env={},
    )
    with httpx2.Client() as http, pytest.raises(ConfigError, match="same --sandbox"):
        signin.exchange(elsewhere, pending, Callback("code", pending.state), http)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("http://localhost:8123/callback", ("localhost", 8123, "/callback")),
        ("http://127.0.0.1:9000", ("127.0.0.1", 9000, "/")),
        ("http://[::1]:7000/cb", ("::1", 7000, "/cb")),
        ("http://localhost/", ("localhost", 80, "/")),
        ("https://localhost:8443/cb", None),  # the listener speaks plain HTTP
        ("http://example.com:8000/cb", None),
        ("myapp://oauth/mal", None),
        ("http://localhost:notaport/", None),
    ],
)
def test_which_redirect_urls_can_be_caught(uri: str, expected: tuple[str, int, str] | None) -> None:
    address = signin.loopback_address(uri)
    if expected is None:
        assert address is None
    else:
        assert address is not None
        assert (address.host, address.port, address.path) == expected


def test_the_line_editor_takes_lines_longer_than_a_terminal_buffer() -> None:
    echoed = bytearray()
    editor = signin._LineEditor(echoed.extend)
    long = "http://localhost/?code=" + "A" * 5000 + "&state=s"
    assert editor.feed(long[:3000].encode()) is None
    assert editor.feed(long[3000:].encode() + b"\r") == long
    assert bytes(echoed).startswith(b"http://localhost/")


def test_the_line_editor_handles_erasing_and_ignores_escape_sequences() -> None:
    editor = signin._LineEditor(lambda data: None)
    typed = b"wrong\x15" + b"\x1b[200~abd\x7fc\x1b[201~" + b"\x1b[D" + "é\x7f".encode() + b"\n"
    assert editor.feed(typed) == "abc"
    with pytest.raises(EOFError):
        signin._LineEditor(lambda data: None).feed(b"\x04")


def test_the_browser_can_come_back_while_the_paste_prompt_waits(
    sandbox: SandboxServer, loopback_app: tuple[str, str, str], tmp_path: Path
) -> None:
    client_id, secret, redirect = loopback_app
    settings = settings_for(sandbox, tmp_path / "config.yml", client_id, secret)
    terminal = ScriptedTerminal(interactive=True)  # never pastes: waits for the listener
    browser = Browser()

    done = signin.SignIn(settings, terminal, redirect_uri=redirect, browser=browser).run()

    assert (done.how, done.user_name) == ("loopback", "alice")
    assert browser.page().status_code == 200
    assert "paste it below" in terminal.text


def test_after_the_timeout_only_the_paste_prompt_is_left(
    sandbox: SandboxServer, loopback_app: tuple[str, str, str], tmp_path: Path
) -> None:
    client_id, secret, redirect = loopback_app
    port = urlsplit(redirect).port
    settings = settings_for(sandbox, tmp_path / "config.yml", client_id, secret)
    shown: list[str] = []
    refused: list[bool] = []

    def paste_later() -> str:
        landing = allow_or_cancel(shown[0])
        deadline = threading.Event()
        for _ in range(50):  # the listener stops within the timeout's poll interval
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port or 0)) != 0:
                    refused.append(True)
                    break
            deadline.wait(0.1)
        return landing

    terminal = ScriptedTerminal(interactive=True, lines=[paste_later])

    def browser(url: str) -> bool:
        shown.append(url)
        return True

    done = signin.SignIn(
        settings, terminal, redirect_uri=redirect, timeout=0.2, browser=browser
    ).run()

    assert done.how == "paste"
    assert refused == [True]


def test_a_bare_code_can_be_pasted(sandbox: SandboxServer, tmp_path: Path) -> None:
    settings = settings_for(
        sandbox, tmp_path / "config.yml", WEB_APP.client_id, WEB_APP.client_secret
    )
    shown: list[str] = []

    def code_only() -> str:
        landing = allow_or_cancel(shown[0])
        return dict(parse_qsl(urlsplit(landing).query))["code"]

    terminal = ScriptedTerminal(interactive=True, lines=["short", code_only])
    done = signin.SignIn(
        settings, terminal, paste=True, browser=lambda url: bool(shown.append(url))
    ).run()

    assert (done.how, done.user_name) == ("paste", "alice")
    assert "neither the address the browser ended on nor a code" in terminal.text
