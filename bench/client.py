"""What does `Client` cost over hand-written httpx2 code? Both against one sandbox over loopback
(a subprocess, rate policy off; the client's own pacing off too), measured in the same run:

1. per-request overhead: the same anime-details calls through `Client` and through a bare
   `httpx2.Client` that decodes into the same models. Target: ratio <= 1.2.
2. bob's whole anime list (>= 10,000 entries) with every list field: HTTP requests (target
   ceil(N / 1000)), wall time next to a hand-written loop over the same pages parsing into the
   same models (target <= 1.3), and peak memory of both (tracemalloc, a separate pass).

Ratios are medians of paired rounds (each round runs both, order alternating), so other load on
the machine skews both sides of a round alike.

    python bench/client.py [--requests 200] [--rounds 15]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx2

from malclient.client import Client
from malclient.fields import ANIME_FIELDS, DEFAULT_FIELDS, DETAILS_ONLY, Fields
from malclient.models import Anime, AnimeListEntry, Page, decode
from malclient.sandbox.config import WEB_APP

HEADERS = {"X-MAL-CLIENT-ID": WEB_APP.client_id}
DETAIL_FIELDS = "num_episodes,mean,genres"
# Every field the user-list endpoint answers: node fields minus details-only ones, and every key
# of the entry's list_status.
LIST_FIELDS = Fields.anime(
    *sorted(ANIME_FIELDS - DETAILS_ONLY - DEFAULT_FIELDS - {"my_list_status"}),
    list_status=[
        "start_date",
        "finish_date",
        "priority",
        "num_times_rewatched",
        "rewatch_value",
        "tags",
        "comments",
    ],
)
ListPage = Page[AnimeListEntry]


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


def api_requests(origin: str) -> int:
    counts = httpx2.get(f"{origin}/_sandbox/stats").json()["requests"]
    return sum(n for name, n in counts.items() if name not in ("token", "authorize"))


def reset(origin: str) -> None:
    httpx2.post(f"{origin}/_sandbox/stats/reset").raise_for_status()


def paired(rounds: int, ours: Callable[[], object], theirs: Callable[[], object]) -> Timing:
    """Both runs once per round, in alternating order, so drift and other load on the machine
    hit both alike; the ratio is the median of the rounds' ratios."""
    mine: list[float] = []
    base: list[float] = []
    for n in range(rounds):
        order = [(ours, mine), (theirs, base)]
        for run, slot in order if n % 2 == 0 else reversed(order):
            started = time.perf_counter()
            run()
            slot.append(time.perf_counter() - started)
    ratio = statistics.median(a / b for a, b in zip(mine, base, strict=True))
    return Timing(statistics.median(mine), statistics.median(base), ratio)


@dataclass(frozen=True)
class Timing:
    ours: float  # median seconds per run
    theirs: float
    ratio: float  # median of per-round ratios


def peak_memory(run: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# --- 1. per-request overhead --------------------------------------------------------------------


def overhead(origin: str, requests: int, rounds: int) -> float:
    api = f"{origin}/v2"
    ids = [
        edge["node"]["id"]
        for edge in httpx2.get(
            f"{api}/anime/ranking",
            params={"ranking_type": "bypopularity", "limit": 500},
            headers=HEADERS,
        ).json()["data"]
    ][:requests]

    with Client(WEB_APP.client_id, api_url=api, rate=None) as client, httpx2.Client() as http:

        def through_client() -> None:
            for anime_id in ids:
                client.anime.get(anime_id, fields=DETAIL_FIELDS)

        def bare() -> None:
            for anime_id in ids:
                response = http.get(
                    f"{api}/anime/{anime_id}", params={"fields": DETAIL_FIELDS}, headers=HEADERS
                )
                response.raise_for_status()
                decode(response.content, Anime)

        through_client(), bare()  # warm both connections and decoders
        timing = paired(rounds, through_client, bare)
    print(f"1. per-request overhead ({len(ids)} anime details x {rounds} rounds, medians)")
    print(f"   httpx2 + decode  {timing.theirs / len(ids) * 1e3:7.3f} ms/request")
    print(f"   Client           {timing.ours / len(ids) * 1e3:7.3f} ms/request")
    print(f"   ratio            {timing.ratio:7.3f}   (target <= 1.2)")
    return timing.ratio


# --- 2. bob's whole list ------------------------------------------------------------------------


def whole_list(origin: str, rounds: int) -> tuple[bool, float]:
    api = f"{origin}/v2"
    with Client(WEB_APP.client_id, api_url=api, rate=None) as client, httpx2.Client() as http:

        def through_client() -> int:
            return sum(1 for _ in client.animelist.list("bob", fields=LIST_FIELDS))

        def by_hand() -> int:
            count = 0
            url: str | None = f"{api}/users/bob/animelist"
            params: dict[str, str] | None = {
                "limit": "1000",
                "nsfw": "true",
                "fields": str(LIST_FIELDS),
            }
            while url:
                response = http.get(url, params=params, headers=HEADERS)
                response.raise_for_status()
                page = decode(response.content, ListPage)
                count += len(page.data)
                url, params = page.next_url, None
            return count

        reset(origin)
        entries = through_client()
        requests = api_requests(origin)
        assert by_hand() == entries
        timing = paired(rounds, through_client, by_hand)
        client_peak, hand_peak = peak_memory(through_client), peak_memory(by_hand)
    wanted = math.ceil(entries / 1000)
    print(f"2. bob's whole anime list, every list field ({entries:,} entries x {rounds} rounds)")
    print(f"   requests         {requests:7d}   (target ceil(N/1000) = {wanted})")
    print(f"   httpx2 loop      {timing.theirs * 1e3:7.0f} ms   peak {hand_peak:6.1f} MiB")
    print(f"   Client           {timing.ours * 1e3:7.0f} ms   peak {client_peak:6.1f} MiB")
    print(f"   ratio            {timing.ratio:7.3f}   (target <= 1.3)")
    return requests == wanted, timing.ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with sandbox() as origin:
        per_request = overhead(origin, args.requests, args.rounds)
        counted, listing = whole_list(origin, args.rounds)
    ok = per_request <= 1.2 and counted and listing <= 1.3
    print("all targets met" if ok else "TARGET MISSED")


if __name__ == "__main__":
    main()
