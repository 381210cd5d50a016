"""One of several processes sharing a config file (tests/test_tokens_concurrency.py).

Usage: tokens_worker.py CONFIG ORIGIN READY_FILE GO_FILE CLOCK_OFFSET THREADS
Loads the saved tokens, says it is ready, waits for the go file, then calls /users/@me from
THREADS threads at once and prints {"names": [...], "errors": [...]} as one JSON line.
With CLOCK_OFFSET 0 it builds its session the way the CLI does (`Session.from_settings`).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from malclient.session import ConfigTokenStore, Session, TokenManager
from malclient.settings import Settings


def main(config: str, origin: str, ready: str, go: str, offset: float, threads: int) -> None:
    settings = Settings.resolve(config=config, sandbox=origin, env={})
    if offset:
        app = settings.app()
        manager = TokenManager(
            app,
            ConfigTokenStore(settings.config_path, app.client_id),
            clock=lambda: time.time() + offset,
        )
        session = Session(manager, api_url=settings.api_url)
    else:
        session = Session.from_settings(settings)
    names: list[str] = []
    errors: list[str] = []
    start = threading.Barrier(threads)

    def work() -> None:
        start.wait()
        try:
            names.append(session.request("GET", "/users/@me")["name"])
        except Exception as exc:  # reported, and the test fails on it
            errors.append(f"{type(exc).__name__}: {exc}")

    with session:
        workers = [threading.Thread(target=work) for _ in range(threads)]
        Path(ready).touch()
        deadline = time.monotonic() + 60
        while not Path(go).exists():
            if time.monotonic() > deadline:
                raise SystemExit("no go signal within 60 s")
            time.sleep(0.002)
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
    print(json.dumps({"names": names, "errors": errors}), flush=True)


if __name__ == "__main__":
    config, origin, ready, go, offset, threads = sys.argv[1:7]
    main(config, origin, ready, go, float(offset), int(threads))
