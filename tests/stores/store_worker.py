"""One worker process of an app serving many users (tests/stores/test_store_acceptance.py).

Usage: store_worker.py JSON, with keys:
  origin, store, users [[id, name], ...], worker, calls, threads, ready, go,
  limiter (optional: {"url", "name", "rate", "burst"}),
  crash (optional: "before-answer" | "after-grant" | "before-commit").
Opens the token store, builds one Session per user (all on one connection pool), says it is
ready, waits for the go file, then makes `calls` calls of /users/@me, round-robin over the
users, from `threads` threads. Prints one JSON line: calls, failures, first/last call times.
With `crash`, it makes one call and stops dead at that point of the refresh, printing a line
so that the test can SIGKILL it there.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx2

from malclient.auth import App, Token
from malclient.sandbox import WEB_APP
from malclient.session import Session, TokenManager
from malclient.stores import RedisRateLimiter, UserTokens, open_token_store


def _stop_here(what: str) -> bool:
    print(what, flush=True)
    time.sleep(3600)  # the test kills us now
    return True


class _StopAfterSave:
    """A user's store that stops after saving refreshed tokens, before the lock commits them."""

    def __init__(self, inner: UserTokens) -> None:
        self.inner = inner

    def load(self) -> Token | None:
        return self.inner.load()

    def save(self, token: Token) -> None:
        self.inner.save(token)
        _stop_here("saved-not-committed")

    def lock(self) -> AbstractContextManager[object]:
        return self.inner.lock()


def main(spec: dict[str, Any]) -> None:
    origin = spec["origin"]
    crash = spec.get("crash")
    store = open_token_store(spec["store"], lock_timeout=30)
    app = App(WEB_APP.client_id, WEB_APP.client_secret, auth_url=f"{origin}/v1/oauth2")
    hooks: dict[str, list[Any]] = {"request": [], "response": []}
    if crash == "before-answer":
        hooks["request"].append(
            lambda request: request.url.path.endswith("/token") and _stop_here("refreshing")
        )
    elif crash == "after-grant":
        hooks["response"].append(
            lambda response: response.request.url.path.endswith("/token") and _stop_here("granted")
        )
    http = httpx2.Client(
        timeout=30, event_hooks=hooks, limits=httpx2.Limits(max_connections=spec["threads"] + 4)
    )
    limiter = None
    if spec.get("limiter"):
        options = spec["limiter"]
        limiter = RedisRateLimiter(
            options["url"], name=options["name"], rate=options["rate"], burst=options["burst"]
        )
    sessions = []
    for user_id, name in spec["users"]:
        view: Any = store.for_user(WEB_APP.client_id, user_id)
        if crash == "before-commit":
            view = _StopAfterSave(view)
        manager = TokenManager(app, view, http=http)
        manager.token()  # loaded before the start, as a long-running worker would have it
        sessions.append((name, Session(manager, api_url=f"{origin}/v2", http=http, rate=limiter)))

    calls = spec["calls"]
    worker = spec["worker"]
    counter = iter(range(calls))
    take = threading.Lock()
    failures: list[str] = []
    times: list[float] = []

    def work() -> None:
        while True:
            with take:
                n = next(counter, None)
            if n is None:
                return
            name, session = sessions[(n + worker * 7) % len(sessions)]
            try:
                got = session.request("GET", "/users/@me")["name"]
                if got != name:
                    failures.append(f"asked as {name}, answered as {got}")
            except Exception as exc:  # counted, and the test fails on it
                failures.append(f"{name}: {type(exc).__name__}: {exc}")
            times.append(time.time())

    Path(spec["ready"]).touch()
    deadline = time.monotonic() + 120
    while not Path(spec["go"]).exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal within 120 s")
        time.sleep(0.005)
    started = time.time()
    threads = [threading.Thread(target=work) for _ in range(spec["threads"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(
        json.dumps(
            {
                "calls": len(times),
                "failures": failures,
                "started": started,
                "first": min(times, default=started),
                "last": max(times, default=started),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
