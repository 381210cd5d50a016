"""Does the franchise crawl use the client's pacing allowance when MAL is slow to answer?

The same crawl (alice's list titles and their relatives, no cache) against a sandbox that
answers every request after `--latency` seconds, with the client paced at `--rate` requests a
second: one request at a time (the baseline, as a plain loop would do it) against
`malclient.franchises.crawl`'s default of several in flight. Printed: wall time, requests a
second, the share of the pacing allowance used, and the speed-up. Target: the default uses
>= 0.8 of the allowance whenever latency x rate > 1 (a single request at a time cannot).

    python bench/franchises.py                  # about 30 s
    python bench/franchises.py --rate 2 --latency 0.8 --titles 40
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from malclient.client import Client
from malclient.franchises import WORKERS, RelationCache, crawl
from malclient.sandbox.config import WEB_APP, Faults, SandboxConfig
from malclient.sandbox.server import SandboxServer


def timed_crawl(origin: str, seeds: list[int], rate: float, workers: int, budget: int) -> float:
    with (
        tempfile.TemporaryDirectory() as folder,
        Client(WEB_APP.client_id, api_url=f"{origin}/v2", rate=rate) as client,
        RelationCache(Path(folder) / "relations.sqlite3", client.api_url) as cache,
    ):
        started = time.perf_counter()
        found = crawl(client, seeds, cache, max_requests=budget, workers=workers)
        elapsed = time.perf_counter() - started
    assert found.requests == budget, found.requests
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0, help="client pacing, requests/s")
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per answer")
    parser.add_argument("--titles", type=int, default=60, help="requests per crawl")
    args = parser.parse_args()
    faults = Faults.parse(f"slow=1,slow-seconds={args.latency}")
    with SandboxServer(SandboxConfig(anime_count=2000, manga_count=20, faults=faults)) as server:
        seeds = sorted(server.app.sandbox.catalogue.users["alice"].animelist)
        allowance = args.titles / args.rate
        print(
            f"franchise crawl: {args.titles} requests, answers after {args.latency} s, "
            f"client paced at {args.rate:g}/s (allowance: {allowance:.1f} s)"
        )
        results = {}
        for workers in (1, WORKERS):
            seconds = timed_crawl(server.url, seeds, args.rate, workers, args.titles)
            results[workers] = seconds
            label = "one at a time (baseline)" if workers == 1 else f"crawl, {workers} in flight"
            print(
                f"  {label:28} {seconds:6.2f} s  {args.titles / seconds:5.2f} req/s  "
                f"allowance used {allowance / seconds:4.2f}"
            )
        print(f"  speed-up {results[1] / results[WORKERS]:.2f}x")


if __name__ == "__main__":
    main()
