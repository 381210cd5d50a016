"""What a database store costs next to keeping tokens in memory: token look-up latency (sync and
async) and refreshes per second (lock, re-read, save, commit: the store's part of a refresh,
without MAL's round trip) for SQLite and PostgreSQL, with and without encrypted token columns,
plus the Redis limiter's booking next to the in-process limiter's. Printed as ratios against
the in-memory store (and `RateLimiter`) measured in the same run. Servers are started from the
machine's binaries, as in the tests.

    python bench/stores.py                 # about 20 s
    python bench/stores.py --lookups 5000 --refreshes 1000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

# The tests' server launchers and token maker, so both start servers the same way.
_TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(_TESTS / "stores"), str(_TESTS)]

from servers import PostgresServer, RedisServer  # noqa: E402
from stores_support import CLIENT_ID, make_token  # noqa: E402

from malclient._ratelimit import RateLimiter  # noqa: E402
from malclient.session import MemoryTokenStore, TokenStore  # noqa: E402
from malclient.stores import (  # noqa: E402
    RedisRateLimiter,
    SQLTokenStore,
    generate_key,
    open_token_store,
)

USER = 4242


def per_call(action: Callable[[], object], count: int) -> float:
    """Median seconds per call over `count` calls (after a short warm-up)."""
    for _ in range(min(50, count)):
        action()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def refresh_cycle(store: TokenStore) -> Callable[[], object]:
    def cycle() -> None:
        with store.lock():
            current = store.load()
            assert current is not None
            store.save(make_token(USER))

    return cycle


def async_lookups(store: SQLTokenStore[Any] | None, memory: MemoryTokenStore, n: int) -> float:
    async def main() -> float:
        started = time.perf_counter()
        for _ in range(n):
            if store is None:
                memory.load()
                await asyncio.sleep(0)
            else:
                await store.aget(CLIENT_ID, USER)
        return (time.perf_counter() - started) / n

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--refreshes", type=int, default=300)
    parser.add_argument("--bookings", type=int, default=2000)
    args = parser.parse_args()

    with ExitStack() as stack:
        postgres = stack.enter_context(PostgresServer())
        redis_server = stack.enter_context(RedisServer())
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        key = generate_key()
        stores: dict[str, SQLTokenStore[Any]] = {
            "sqlite": open_token_store(workdir / "plain.sqlite3", key=""),
            "sqlite, encrypted": open_token_store(workdir / "sealed.sqlite3", key=key),
            "postgresql": open_token_store(postgres.create_database(), key=""),
            "postgresql, encrypted": open_token_store(postgres.create_database(), key=key),
        }
        for store in stores.values():
            stack.callback(store.close)
            store.put(make_token(USER))

        memory = MemoryTokenStore(make_token(USER))
        base_lookup = per_call(memory.load, args.lookups)
        base_refresh = per_call(refresh_cycle(memory), args.refreshes)
        base_async = async_lookups(None, memory, args.lookups)
        print(
            f"{'store':<24}{'look-up':>12}{'x memory':>10}{'async':>12}{'x memory':>10}"
            f"{'refreshes/s':>14}{'memory/this':>13}"
        )
        print(
            f"{'memory':<24}{base_lookup * 1e6:>10.1f}us{1:>10.1f}{base_async * 1e6:>10.1f}us"
            f"{1:>10.1f}{1 / base_refresh:>14.0f}{1:>13.1f}"
        )
        for name, store in stores.items():
            view = store.for_user(CLIENT_ID, USER)
            lookup = per_call(view.load, args.lookups)
            refresh = per_call(refresh_cycle(view), args.refreshes)
            alookup = async_lookups(store, memory, args.lookups)
            print(
                f"{name:<24}{lookup * 1e6:>10.1f}us{lookup / base_lookup:>10.1f}"
                f"{alookup * 1e6:>10.1f}us{alookup / base_async:>10.1f}"
                f"{1 / refresh:>14.0f}{refresh / base_refresh:>13.1f}"
            )

        local = RateLimiter(rate=1e9, burst=1)
        shared = RedisRateLimiter(redis_server.url, name="bench", rate=1e5, burst=1, margin=0)
        stack.callback(shared.close)
        base_book = per_call(local.acquire, args.bookings)
        book = per_call(shared.acquire, args.bookings)
        print(
            f"\nlimiter booking: in-process {base_book * 1e6:.1f}us, Redis {book * 1e6:.1f}us "
            f"({book / base_book:.0f}x; a request to MAL takes ~100000us)"
        )


if __name__ == "__main__":
    main()
