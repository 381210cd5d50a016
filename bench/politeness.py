"""How close to MAL's limit does the default client go without being banned? Three clients fetch
anime details for the same number of seconds, each from its own sandbox (a subprocess on
loopback) with the same rate policy: the default client (2 req/s paced, retries and cool-downs),
a naive one with no pacing, and one sleeping a fixed second between calls. Printed: successful
requests as a share of what the policy allows in the window (rate x seconds + burst), and bans.
Targets: default >= 0.80 with 0 bans; naive banned; fixed-sleep <= 0.50.

    python bench/politeness.py              # about 15 s
    python bench/politeness.py --seconds 20 --policy rate=2,burst=5,ban-after=10
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass

import httpx2

from malclient import MALError
from malclient.sandbox.config import WEB_APP, RatePolicy
from malclient.session import DEFAULT_RATE, RetryPolicy, Session

DEFAULT_POLICY = "rate=2,burst=5,ban-after=10,ban-seconds=600"


@contextmanager
def sandboxes(count: int) -> Iterator[list[str]]:
    """`count` sandboxes started in parallel (each builds its catalogue at start)."""
    with ExitStack() as stack:
        processes = []
        for _ in range(count):
            process = subprocess.Popen(
                [sys.executable, "-u", "-m", "malclient", "sandbox", "--port", "0"],
                stdout=subprocess.PIPE,
                text=True,
            )
            stack.callback(_stop, process)
            processes.append(process)
        urls = []
        for process in processes:
            assert process.stdout is not None
            line = process.stdout.readline()
            match = re.search(r"(http://\S+)", line)
            if not match:
                sys.exit(f"bench: a sandbox did not start: {line!r}")
            urls.append(match.group(1))
        yield urls


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=15)


def anime_ids(url: str, count: int) -> list[int]:
    page = httpx2.get(
        f"{url}/v2/anime/ranking",
        params={"ranking_type": "bypopularity", "limit": min(count, 500)},
        headers={"X-MAL-CLIENT-ID": WEB_APP.client_id},
    ).json()
    return [edge["node"]["id"] for edge in page["data"]]


def arm(url: str, policy: str) -> None:
    """Turn the rate policy on and start counting from zero."""
    httpx2.post(f"{url}/_sandbox/settings", json={"rate_limit": policy}).raise_for_status()
    httpx2.post(f"{url}/_sandbox/stats/reset").raise_for_status()


@dataclass
class Result:
    name: str
    ok: int = 0
    refused: int = 0
    bans: int = 0
    throttled: int = 0


def run(
    name: str,
    url: str,
    session: Session,
    pause: float,
    ids: list[int],
    seconds: float,
    results: dict[str, Result],
) -> None:
    """Fetch details until the window closes; errors are counted, not fatal (as in a crawl)."""
    deadline = time.monotonic() + seconds
    with session:
        n = 0
        while time.monotonic() < deadline:
            with suppress(MALError):
                session.request("GET", f"/anime/{ids[n % len(ids)]}")
            n += 1
            if pause:
                time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
    results[name] = Result(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--policy", default=DEFAULT_POLICY)
    args = parser.parse_args()
    policy = RatePolicy.parse(args.policy)
    allowance = policy.rate * args.seconds + policy.burst

    clients: list[tuple[str, Callable[[str], Session], float]] = [
        (
            f"default ({DEFAULT_RATE:g}/s, retries)",
            lambda api: Session(
                WEB_APP.client_id, api_url=api, rate=DEFAULT_RATE, retries=RetryPolicy()
            ),
            0.0,
        ),
        ("naive (no pacing)", lambda api: Session(WEB_APP.client_id, api_url=api), 0.0),
        ("fixed sleep 1 s", lambda api: Session(WEB_APP.client_id, api_url=api), 1.0),
    ]
    results: dict[str, Result] = {}
    with sandboxes(len(clients)) as urls:
        ids = anime_ids(urls[0], 500)
        threads = []
        for (name, make, pause), url in zip(clients, urls, strict=True):
            arm(url, args.policy)
            threads.append(
                threading.Thread(
                    target=run,
                    args=(name, url, make(f"{url}/v2"), pause, ids, args.seconds, results),
                )
            )
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for (name, _, _), url in zip(clients, urls, strict=True):
            seen = httpx2.get(f"{url}/_sandbox/stats").json()
            result = results[name]
            result.ok = int(seen["statuses"].get("200", 0))
            result.throttled = int(seen["throttled"])
            result.refused = result.throttled + int(seen["banned"])
            # The sandbox starts a ban at every `ban-after`-th refusal it counts as a throttle.
            result.bans = result.throttled // policy.ban_after

    print(
        f"policy {args.policy}: {policy.rate:g} req/s, burst {policy.burst}; window "
        f"{args.seconds:g} s, so {allowance:g} requests allowed"
    )
    print(f"{'client':<26}{'ok':>6}{'refused':>9}{'bans':>6}{'req/s':>8}{'share':>8}")
    shares = {}
    for name, _, _ in clients:
        r = results[name]
        shares[name] = r.ok / allowance
        print(
            f"{name:<26}{r.ok:>6}{r.refused:>9}{r.bans:>6}{r.ok / args.seconds:>8.2f}"
            f"{shares[name]:>8.2f}"
        )
    default, naive, fixed = (results[name] for name, _, _ in clients)
    print(
        f"default share {shares[default.name]:.2f} (target >= 0.80: "
        f"{'met' if shares[default.name] >= 0.8 else 'MISSED'}), bans {default.bans} (target 0: "
        f"{'met' if default.bans == 0 else 'MISSED'}); naive bans {naive.bans} (expected >= 1: "
        f"{'yes' if naive.bans >= 1 else 'NO'}); fixed-sleep share {shares[fixed.name]:.2f} "
        f"(expected <= 0.50: {'yes' if shares[fixed.name] <= 0.5 else 'NO'})"
    )


if __name__ == "__main__":
    main()
