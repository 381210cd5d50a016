"""The example backend (examples/backend) against the sandbox: users sign in through the web
page's app mode, each sees their own account and list, tokens sit in the SQLite store (sealed
with a key), a refresh after expiry happens once, and signing out ends the session."""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx2
import pytest
import uvicorn

from malclient._serving import BackgroundServer, bind, origin
from malclient.sandbox.config import SandboxConfig
from malclient.sandbox.server import SandboxServer
from malclient.stores import SQLiteTokenStore, TokenKeyError, generate_key

HOUR = 3600
_APP = Path(__file__).resolve().parents[2] / "examples" / "backend" / "app.py"


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_backend", _APP)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


backend_example = _load_example()


class Backend:
    """The example app served on a loopback port, with the app registered at the sandbox."""

    def __init__(self, sandbox: SandboxServer, database: Path, token_key: str | None) -> None:
        sock = bind("127.0.0.1", 0)
        self.url = origin(*sock.getsockname()[:2])
        registered = httpx2.post(
            f"{sandbox.url}/_sandbox/apps",
            json={"redirect_uris": [f"{self.url}/login/callback"], "type": "web"},
        ).json()
        self.client_id: str = registered["client_id"]
        self.database = database
        self.config = backend_example.BackendConfig(
            public_url=self.url,
            client_id=self.client_id,
            client_secret=registered["client_secret"],
            database=database,
            auth_url=f"{sandbox.url}/v1/oauth2",
            api_url=f"{sandbox.url}/v2",
            rate=None,
            token_key=token_key,
        )
        app = backend_example.create_backend(self.config)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self.server = BackgroundServer(config, sock, "example backend")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    config = SandboxConfig(anime_count=300, manga_count=100, access_token_ttl=HOUR)
    with SandboxServer(config) as running:
        yield running


@pytest.fixture
def make_backend(sandbox: SandboxServer, tmp_path: Path) -> Iterator[Callable[..., Backend]]:
    started: list[Backend] = []

    def make(token_key: str | None = None) -> Backend:
        backend = Backend(sandbox, tmp_path / f"app{len(started)}.db", token_key)
        backend.server.start()
        started.append(backend)
        return backend

    yield make
    for backend in started:
        backend.server.stop()


def sign_in(backend: Backend, user: str) -> tuple[httpx2.Client, httpx2.Response]:
    """A browser of `user`: open /login/, sign in on the sandbox's page, Allow, back home.
    Returns the browser and the home page it landed on (with the redirects that led there)."""
    browser = httpx2.Client(base_url=backend.url, follow_redirects=True)
    form = browser.get("/login/")
    assert form.status_code == 200
    assert 'name="password"' in form.text  # MAL's (the sandbox's) login page
    home = browser.post(
        str(form.url),
        data={"username": user, "password": f"{user}-sandbox", "decision": "allow"},
    )
    assert home.status_code == 200, home.text
    assert str(home.url) == f"{backend.url}/"
    return browser, home


def stats(sandbox: SandboxServer) -> dict[str, Any]:
    data: dict[str, Any] = httpx2.get(f"{sandbox.url}/_sandbox/stats").json()
    return data


def refreshes(sandbox: SandboxServer, user: str) -> int:
    by_user = stats(sandbox)["grants_by_user"].get(user, {})
    return int(by_user.get("refresh_token", 0)) if isinstance(by_user, dict) else 0


def test_two_users_sign_in_and_each_sees_only_their_own_account_and_list(
    sandbox: SandboxServer, make_backend: Callable[..., Backend]
) -> None:
    backend = make_backend()
    (alice, _), (bob, _) = sign_in(backend, "alice"), sign_in(backend, "bob")
    with closing(alice), closing(bob):
        assert 'Signed in as <span id="user">alice</span>' in alice.get("/").text
        assert 'Signed in as <span id="user">bob</span>' in bob.get("/").text
        # Interleaved: a mix-up of sessions, managers or cached clients would show here.
        assert alice.get("/me").json()["name"] == "alice"
        assert bob.get("/me").json()["name"] == "bob"
        assert alice.get("/me").json()["name"] == "alice"
        alice_list, bob_list = alice.get("/list").json(), bob.get("/list").json()
    # The sandbox's own answer for each user, asked directly with their stored tokens.
    with SQLiteTokenStore(backend.database) as store:
        users = {u.user_name: u.user_id for u in store.users(backend.client_id)}
        assert set(users) == {"alice", "bob"}
        for name, shown in (("alice", alice_list), ("bob", bob_list)):
            token = store.get(backend.client_id, users[name])
            assert token is not None
            truth = httpx2.get(
                f"{sandbox.url}/v2/users/@me/animelist",
                params={"limit": 100, "nsfw": "true"},
                headers={"Authorization": token.authorization},
            ).json()["data"]
            assert [entry["id"] for entry in shown] == [e["node"]["id"] for e in truth]
    assert alice_list, "alice's sandbox list is not empty"
    assert {e["id"] for e in alice_list} != {e["id"] for e in bob_list}


def test_the_session_cookie_is_httponly_and_holds_no_user_id(
    make_backend: Callable[..., Backend],
) -> None:
    backend = make_backend()
    browser, home = sign_in(backend, "alice")
    with closing(browser):
        (came_back,) = [a for a in home.history if "/login/callback" in str(a.url)]
        value = browser.cookies.get("session", domain="127.0.0.1")
        # Only the session cookie is left: the sign-in's own one ended with it.
        assert [c.name for c in browser.cookies.jar] == ["session"]
    (set_session,) = [
        h for h in came_back.headers.get_list("set-cookie") if h.startswith("session=")
    ]
    assert "HttpOnly" in set_session
    assert "SameSite=lax" in set_session
    assert value is not None
    assert len(value) >= 40
    assert "7012345" not in value  # alice's MAL user id
    with closing(sqlite3.connect(backend.database)) as db:
        stored = [row[0] for row in db.execute("SELECT id_hash FROM example_sessions")]
    assert len(stored) == 1
    assert value not in stored
    anonymous = httpx2.get(f"{backend.url}/me")
    assert anonymous.status_code == 401
    assert "/login/" in anonymous.json()["error"]


def test_tokens_are_sealed_in_the_store_when_mal_token_key_is_set(
    make_backend: Callable[..., Backend], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = generate_key()
    monkeypatch.setenv("MAL_TOKEN_KEY", key)
    backend = make_backend()  # the store takes its key from MAL_TOKEN_KEY
    browser, _ = sign_in(backend, "alice")
    with closing(browser):
        assert browser.get("/me").json()["name"] == "alice"
    with SQLiteTokenStore(backend.database) as store:
        (user,) = store.users(backend.client_id)
        token = store.get(backend.client_id, user.user_id)
    assert token is not None
    assert user.user_name == "alice"
    raw = b"".join(p.read_bytes() for p in backend.database.parent.glob("app0.db*"))
    assert token.access_token.encode() not in raw
    assert token.refresh_token is not None
    assert token.refresh_token.encode() not in raw
    monkeypatch.delenv("MAL_TOKEN_KEY")
    with pytest.raises(TokenKeyError):
        SQLiteTokenStore(backend.database)


def test_after_the_access_token_expires_requests_work_and_refresh_once(
    sandbox: SandboxServer, make_backend: Callable[..., Backend]
) -> None:
    backend = make_backend()
    (alice, _), (bob, _) = sign_in(backend, "alice"), sign_in(backend, "bob")
    with closing(alice), closing(bob):
        assert alice.get("/me").status_code == 200
        before = {name: refreshes(sandbox, name) for name in ("alice", "bob")}
        httpx2.post(f"{sandbox.url}/_sandbox/clock", json={"advance": HOUR + 60}).raise_for_status()
        # Six requests at once per user: every one succeeds, MAL sees one refresh per user.
        with ThreadPoolExecutor(12) as pool:
            answers = list(
                pool.map(
                    lambda who: (who, (alice if who == "alice" else bob).get("/me")),
                    ["alice", "bob"] * 6,
                )
            )
        for who, answer in answers:
            assert answer.status_code == 200, answer.text
            assert answer.json()["name"] == who
        assert alice.get("/list").status_code == 200
    assert {name: refreshes(sandbox, name) - before[name] for name in before} == {
        "alice": 1,
        "bob": 1,
    }


def test_logout_forgets_the_session(make_backend: Callable[..., Backend]) -> None:
    backend = make_backend()
    browser, _ = sign_in(backend, "alice")
    with closing(browser):
        old = browser.cookies.get("session", domain="127.0.0.1")
        home = browser.post("/logout")
        assert home.status_code == 200
        assert "Not signed in" in home.text
        assert browser.get("/me").status_code == 401
    # The old cookie, replayed (copied before sign-out), opens nothing either.
    replay = httpx2.get(f"{backend.url}/me", cookies={"session": old or ""})
    assert replay.status_code == 401
    with closing(sqlite3.connect(backend.database)) as db:
        assert db.execute("SELECT count(*) FROM example_sessions").fetchone() == (0,)
