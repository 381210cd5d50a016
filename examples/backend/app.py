"""An example backend serving many MyAnimeList users with one app: sign-in, sessions, calls.

Owns its routes and its sessions only. Sign-in is the web page's app mode, tokens live in a
`SQLiteTokenStore`, refreshes are the `TokenManager`'s; it never sees or logs a token itself.
Run it against `mal sandbox` as examples/backend/README.md shows.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from malclient import Client
from malclient._exceptions import ReauthorizationRequired
from malclient.auth import DEFAULT_AUTH_URL, App
from malclient.session import RateLimiter, TokenManager
from malclient.settings import DEFAULT_API_URL
from malclient.stores import SQLiteTokenStore
from malclient.web import SignedIn, WebConfig, create_app

SESSION_COOKIE = "session"
SESSION_TTL = 30 * 86400.0  # a month, about as long as MAL's refresh tokens (SPEC 2.5)


@dataclass(frozen=True)
class BackendConfig:
    """The operator's app and where things live. `public_url` is what browsers open; register
    `<public_url>/login/callback` as the app's redirect URL. `rate` is the whole process's
    budget (requests per second) for all users together: MAL throttles per app, not per user."""

    public_url: str
    client_id: str
    client_secret: str | None = field(repr=False)
    database: Path
    auth_url: str = DEFAULT_AUTH_URL
    api_url: str = DEFAULT_API_URL
    rate: float | None = 2.0
    session_ttl: float = SESSION_TTL
    token_key: str | None = field(default=None, repr=False)  # else MAL_TOKEN_KEY

    @property
    def secure(self) -> bool:
        return self.public_url.startswith("https://")


@dataclass(frozen=True)
class SessionUser:
    id: int
    name: str


class Sessions:
    """Session id → MAL user (id and name), in a table of the token store's own SQLite file.

    Beside the tokens rather than in memory: every worker process of the app sees every session,
    and a restart signs nobody out. Only a hash of each id is stored, so a copy of the file opens
    no session (and the tokens in it are sealed when MAL_TOKEN_KEY is set).
    """

    def __init__(self, path: Path, ttl: float, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.ttl = ttl
        self.clock = clock
        with self._db() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS example_sessions ("
                " id_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL, user_name TEXT NOT NULL,"
                " expires_at REAL NOT NULL)"
            )

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        # One short connection per call: sessions are one-row statements, and this is safe in
        # any thread. `with db` commits.
        with closing(sqlite3.connect(self.path, timeout=30)) as db, db:
            yield db

    @staticmethod
    def _hash(session_id: str) -> str:
        return hashlib.sha256(session_id.encode()).hexdigest()

    def create(self, user: SessionUser) -> str:
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        with self._db() as db:
            db.execute("DELETE FROM example_sessions WHERE expires_at <= ?", (now,))
            db.execute(
                "INSERT INTO example_sessions VALUES (?, ?, ?, ?)",
                (self._hash(session_id), user.id, user.name, now + self.ttl),
            )
        return session_id

    def user(self, session_id: str | None) -> SessionUser | None:
        if not session_id:
            return None
        with self._db() as db:
            row = db.execute(
                "SELECT user_id, user_name FROM example_sessions"
                " WHERE id_hash = ? AND expires_at > ?",
                (self._hash(session_id), self.clock()),
            ).fetchone()
        return None if row is None else SessionUser(int(row[0]), str(row[1]))

    def delete(self, session_id: str | None) -> None:
        if session_id:
            with self._db() as db:
                db.execute(
                    "DELETE FROM example_sessions WHERE id_hash = ?", (self._hash(session_id),)
                )


class Clients:
    """One `Client` per signed-in user in this process, sharing one connection pool and one
    request budget. Each has its own `TokenManager` over the store, so a refresh happens once
    for all threads here (the manager's lock) and all processes (the store's lock)."""

    def __init__(self, config: BackendConfig, store: SQLiteTokenStore) -> None:
        self.config = config
        self.store = store
        self.app = App(
            client_id=config.client_id,
            client_secret=config.client_secret,
            auth_url=config.auth_url,
        )
        self.http = httpx2.Client()
        self.limiter = RateLimiter(config.rate) if config.rate else None
        self._clients: dict[int, Client] = {}
        self._lock = threading.Lock()

    def get(self, user_id: int) -> Client:
        with self._lock:
            client = self._clients.get(user_id)
            if client is None:
                tokens = self.store.for_user(self.config.client_id, user_id)
                client = Client(
                    token_manager=TokenManager(self.app, tokens),
                    api_url=self.config.api_url,
                    rate=self.limiter,
                    http=self.http,
                )
                self._clients[user_id] = client
            return client

    def forget(self, user_id: int) -> None:
        """Drop the cached client (new tokens were just saved, or the old ones are dead)."""
        with self._lock:
            client = self._clients.pop(user_id, None)
        if client is not None:
            client.close()

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()
        self.http.close()


def _page(title: str, body: str) -> HTMLResponse:
    text = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>"
    )
    return HTMLResponse(text, headers={"Cache-Control": "no-store"})


def create_backend(config: BackendConfig) -> Starlette:
    """The example app: `/`, `/login/` (sign-in), `/me`, `/list`, `POST /logout`."""
    store = SQLiteTokenStore(config.database, key=config.token_key)
    sessions = Sessions(config.database, config.session_ttl)
    clients = Clients(config, store)

    def set_session(response: Response, session_id: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            session_id,
            max_age=int(config.session_ttl),
            path="/",
            secure=config.secure,
            httponly=True,  # scripts never see it
            samesite="lax",  # other sites' forms (a forged POST /logout) do not carry it
        )

    async def signed_in(request: Request, user: SignedIn) -> Response:
        """The page's app mode ends here: keep the tokens, open a session, go home."""
        await store.aput(user.token, user_id=user.user_id, user_name=user.user_name)
        clients.forget(user.user_id)  # a cached manager would still hold the old tokens
        sessions.delete(request.cookies.get(SESSION_COOKIE))  # a new id at each sign-in
        response = RedirectResponse("/", status_code=303)
        set_session(response, sessions.create(SessionUser(user.user_id, user.user_name)))
        return response

    login = create_app(
        WebConfig(
            public_url=f"{config.public_url.rstrip('/')}/login",
            auth_url=config.auth_url,
            api_url=config.api_url,
            client_id=config.client_id,
            client_secret=config.client_secret,
            on_signed_in=signed_in,
        )
    )

    def current_user(request: Request) -> SessionUser | None:
        return sessions.user(request.cookies.get(SESSION_COOKIE))

    def not_signed_in() -> JSONResponse:
        return JSONResponse({"error": "Not signed in: open /login/ first."}, status_code=401)

    def call_mal(request: Request, call: Callable[[Client], Any]) -> Response:
        user = current_user(request)
        if user is None:
            return not_signed_in()
        user_id = user.id
        try:
            return JSONResponse(call(clients.get(user_id)))
        except ReauthorizationRequired:
            # MAL refused the refresh (the user revoked the app, or a month went by unused):
            # the stored tokens are dead, and only a new sign-in helps.
            clients.forget(user_id)
            store.delete(config.client_id, user_id)
            sessions.delete(request.cookies.get(SESSION_COOKIE))
            return JSONResponse(
                {"error": "MyAnimeList no longer accepts this sign-in: open /login/ again."},
                status_code=401,
            )

    def home(request: Request) -> Response:
        user = current_user(request)
        if user is None:
            return _page(
                "Example backend",
                '<h1>Not signed in</h1><p><a id="login" href="/login/">Sign in with '
                "MyAnimeList</a></p>",
            )
        return _page(
            "Example backend",
            f'<h1>Signed in as <span id="user">{html.escape(user.name)}</span></h1>'
            '<p><a href="/me">/me</a> · <a href="/list">/list</a></p>'
            '<form method="post" action="/logout"><button>Sign out</button></form>',
        )

    def me(request: Request) -> Response:
        def ask(client: Client) -> dict[str, Any]:
            user = client.users.me()
            return {"id": user.id, "name": user.name}

        return call_mal(request, ask)

    def anime_list(request: Request) -> Response:
        def ask(client: Client) -> list[dict[str, Any]]:
            page = client.animelist.list(limit=100)  # the first page only: one request
            return [
                {
                    "id": entry.node.id,
                    "title": entry.node.title,
                    "status": entry.list_status.status if entry.list_status else None,
                    "score": entry.list_status.score if entry.list_status else None,
                }
                for entry in page.data
            ]

        return call_mal(request, ask)

    def logout(request: Request) -> Response:
        # Ends this browser's session; the tokens stay for the user's other sessions.
        sessions.delete(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(
            SESSION_COOKIE, path="/", secure=config.secure, httponly=True, samesite="lax"
        )
        return response

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with login.router.lifespan_context(login):
            try:
                yield
            finally:
                clients.close()
                store.close()

    app = Starlette(
        routes=[
            Route("/", home, methods=["GET"]),
            Mount("/login", app=login),
            Route("/me", me, methods=["GET"]),
            Route("/list", anime_list, methods=["GET"]),
            Route("/logout", logout, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.sessions = sessions
    return app


def main() -> None:
    import uvicorn

    from malclient.sandbox.config import WEB_APP

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--public-url", help="the address browsers open (default: host:port)")
    parser.add_argument("--sandbox", help="a `mal sandbox` URL instead of MyAnimeList")
    parser.add_argument("--database", default=os.environ.get("MAL_TOKEN_STORE", "backend.db"))
    args = parser.parse_args()
    env = os.environ
    client_id = env.get("MAL_CLIENT_ID")
    client_secret = env.get("MAL_CLIENT_SECRET")
    if args.sandbox and not client_id:  # the sandbox's documented web app
        client_id, client_secret = WEB_APP.client_id, WEB_APP.client_secret
    if not client_id:
        parser.error("set MAL_CLIENT_ID (and MAL_CLIENT_SECRET) to your app's, or use --sandbox")
    sandbox = args.sandbox.rstrip("/") if args.sandbox else None
    config = BackendConfig(
        public_url=args.public_url or f"http://{args.host}:{args.port}",
        client_id=client_id,
        client_secret=client_secret or None,
        database=Path(args.database),
        auth_url=f"{sandbox}/v1/oauth2" if sandbox else env.get("MAL_AUTH_URL", DEFAULT_AUTH_URL),
        api_url=f"{sandbox}/v2" if sandbox else env.get("MAL_API_URL", DEFAULT_API_URL),
    )
    print(f"Serving {config.public_url}/")
    print(f"The app's redirect URL must be {config.public_url}/login/callback")
    # No access log: the callback's request line carries the one-time code.
    uvicorn.run(create_backend(config), host=args.host, port=args.port, access_log=False)


if __name__ == "__main__":
    main()
