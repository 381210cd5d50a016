"""What does the list mirror save? bob's unchanged 10,500-entry anime list against one sandbox over
loopback (a subprocess, rate policy off; the client's pacing off too), measured in the same run:

1. a full fetch through `Client` (every page, export fields), a full sync into the mirror, and a
   re-sync of the unchanged list: HTTP requests (target for the re-sync: 1) and wall time;
2. the first page of an incremental sync at 100 entries (malclient's choice) and at 1,000: bytes
   and time, since an unchanged list costs one request either way.

Times are medians of paired rounds (each round runs every variant, order rotating), so other load
on the machine hits all alike.

    python bench/mirror.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2

from malclient.client import Client
from malclient.fields import ANIME_LIST_EXPORT
from malclient.mirror import FIRST_PAGE, ListMirror
from malclient.sandbox.config import WEB_APP

LIST = "users_user_id_animelist_get"


@contextlib.contextmanager
def sandbox() -> Iterator[str]:
    """`mal sandbox` in its own process, so its work never shares the client's interpreter."""
    process = subprocess.Popen(
        [sys.executable, "-m", "malclient", "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        match = re.search(r"(http://\S+)", process.stdout.readline())
        if not match:
            sys.exit("bench: the sandbox did not start")
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=15)


def list_requests(origin: str, run: Callable[[], object]) -> int:
    httpx2.post(f"{origin}/_sandbox/stats/reset").raise_for_status()
    run()
    return int(httpx2.get(f"{origin}/_sandbox/stats").json()["requests"].get(LIST, 0))


def rounds_of(count: int, runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median seconds of each run; every round runs all of them, starting one later each time."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for n in range(count):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            started = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    body_bytes = 0

    def count_bytes(response: httpx2.Response) -> None:
        nonlocal body_bytes
        response.read()
        body_bytes += len(response.content)

    with (
        sandbox() as origin,
        tempfile.TemporaryDirectory() as folder,
        httpx2.Client(event_hooks={"response": [count_bytes]}) as http,
        Client(WEB_APP.client_id, api_url=f"{origin}/v2", rate=None, http=http) as client,
        ListMirror(Path(folder) / "mirror.db", client, "bob") as mirror,
    ):

        def fetch_all() -> int:
            return sum(1 for _ in client.animelist.list("bob", fields=ANIME_LIST_EXPORT))

        def first_page(limit: int) -> Callable[[], object]:
            return lambda: client.animelist.list(
                "bob", sort="list_updated_at", limit=limit, fields=ANIME_LIST_EXPORT
            )

        entries = fetch_all()  # warms the sandbox's page cache for every variant alike
        requests = {
            "full fetch (Client)": list_requests(origin, fetch_all),
            "full sync (mirror)": list_requests(origin, mirror.full_sync),
            "re-sync, unchanged": list_requests(origin, mirror.sync),
        }
        times = rounds_of(
            args.rounds,
            {
                "full fetch (Client)": fetch_all,
                "full sync (mirror)": mirror.full_sync,
                "re-sync, unchanged": mirror.sync,
            },
        )
        sizes = {}
        for limit in (FIRST_PAGE, 1000):
            body_bytes = 0
            first_page(limit)()
            sizes[limit] = body_bytes
        page_times = rounds_of(
            args.rounds * 3, {str(limit): first_page(limit) for limit in (FIRST_PAGE, 1000)}
        )

    base = times["full fetch (Client)"]
    print(f"bob's anime list: {entries} entries, sandbox over loopback, {args.rounds} rounds")
    print(f"{'':24}{'requests':>10}{'median':>12}{'vs full fetch':>15}")
    for name, seconds in times.items():
        print(f"{name:24}{requests[name]:>10}{seconds * 1000:>10.1f}ms{seconds / base:>14.3f}x")
    print(
        f"re-sync target: 1 request -> {requests['re-sync, unchanged']} "
        f"({'met' if requests['re-sync, unchanged'] == 1 else 'MISSED'}); "
        f"full fetch takes {base / times['re-sync, unchanged']:.0f}x as long"
    )
    print(f"first page of an incremental sync{'bytes':>15}{'median':>12}")
    for limit in (FIRST_PAGE, 1000):
        print(f"  limit={limit:<30}{sizes[limit]:>10}{page_times[str(limit)] * 1000:>10.1f}ms")
    print(
        f"  1000 vs {FIRST_PAGE}: {sizes[1000] / sizes[FIRST_PAGE]:.1f}x the bytes, "
        f"{page_times['1000'] / page_times[str(FIRST_PAGE)]:.1f}x the time"
    )


if __name__ == "__main__":
    main()
