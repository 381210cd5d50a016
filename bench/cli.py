"""How fast is `mal`? Both parts measured against a baseline in the same run:

1. start-up: `mal --help` against `python -c pass`. Target (issue 5): at most 4x. Also
   `mal sandbox --help`, which loads the command framework.
2. export (issue 5: "time per 1,000 entries"): `mal list export --user bob` of bob's list
   (over 10,000 entries) from a sandbox in this process, as json, csv and xml, each a real
   subprocess with MAL_RATE=off, a temporary config and list mirror. The baseline is a
   subprocess that fetches the same pages with bare httpx2 and writes their entries with
   `json.dumps`. Times are medians of paired rounds (each round runs every variant, the
   order rotating), so other load on the machine hits all alike.
3. tables: `mal list show --user bob` as a table (stdout a pipe) against the same command with
   `--json`, both reading the same, already current list mirror (one request each): what
   drawing 10,500 rows costs on top of printing them.

    make bench            # or: python bench/cli.py --runs 30 --rounds 5
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from malclient.fields import ANIME_LIST_EXPORT
from malclient.sandbox.config import WEB_APP
from malclient.sandbox.server import SandboxServer

# The hand-written export: every page of the list, each entry written with json.dumps.
BASELINE = """
import json, sys, httpx2
api, client_id, user, fields, target = sys.argv[1:]
url, params = f"{api}/users/{user}/animelist", {"limit": 1000, "fields": fields, "nsfw": "true"}
count = 0
with httpx2.Client(headers={"X-MAL-CLIENT-ID": client_id}, timeout=60) as http:
    with open(target, "w", encoding="utf-8") as out:
        out.write("[")
        while url:
            page = http.get(url, params=params).raise_for_status().json()
            for entry in page["data"]:
                out.write(("\\n" if count == 0 else ",\\n") + json.dumps(entry, ensure_ascii=False))
                count += 1
            url, params = page.get("paging", {}).get("next"), None
        out.write("\\n]\\n")
print(f"Exported {count} anime entries", file=sys.stderr)
"""


def timed(command: list[str], runs: int, env: Mapping[str, str] | None = None) -> float:
    """Median wall time of `runs` runs, after one warm-up (file cache)."""
    subprocess.run(command, capture_output=True, check=True, env=env)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, env=env)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def startup(runs: int) -> None:
    python = timed([sys.executable, "-c", "pass"], runs)
    top = timed([sys.executable, "-m", "malclient", "--help"], runs)
    sub = timed([sys.executable, "-m", "malclient", "sandbox", "--help"], runs)
    print(f"python -c pass      : {python * 1000:7.1f} ms")
    print(f"mal --help          : {top * 1000:7.1f} ms  ratio {top / python:5.2f}  (target <= 4)")
    print(f"mal sandbox --help  : {sub * 1000:7.1f} ms  ratio {sub / python:5.2f}")


def exported(command: list[str], env: Mapping[str, str]) -> Callable[[], int]:
    """A run of `command`, returning the entry count it reports on stderr."""

    def run() -> int:
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        found = re.search(r"Exported (\d+) ", done.stderr)
        if done.returncode or not found:
            sys.exit(f"bench: {' '.join(command[:6])}… failed: {done.stderr.strip()}")
        return int(found.group(1))

    return run


def rounds_of(count: int, runs: dict[str, Callable[[], int]]) -> tuple[dict[str, float], int]:
    """Median seconds of each run (every round runs all, starting one later each time), and
    the entry count, which must be the same for all."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    counts: set[int] = set()
    names = list(runs)
    for n in range(count):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            started = time.perf_counter()
            counts.add(runs[name]())
            times[name].append(time.perf_counter() - started)
    if len(counts) != 1:
        sys.exit(f"bench: the runs wrote different entry counts: {sorted(counts)}")
    return {name: statistics.median(values) for name, values in times.items()}, counts.pop()


def export(rounds: int) -> None:
    with SandboxServer() as server, tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "MAL_RATE": "off",
            "MAL_CLIENT_ID": WEB_APP.client_id,
            "MAL_CONFIG": str(Path(folder) / "config.yml"),
            "MAL_MIRROR": str(Path(folder) / "lists.sqlite3"),
        }
        runs = {
            "baseline (httpx2 + json.dumps)": exported(
                [sys.executable, "-c", BASELINE, f"{server.url}/v2", WEB_APP.client_id, "bob",
                 str(ANIME_LIST_EXPORT), str(Path(folder) / "baseline.json")],
                env,
            ),
        }  # fmt: skip
        for fmt in ("json", "csv", "xml"):
            runs[f"mal list export --format {fmt}"] = exported(
                [sys.executable, "-m", "malclient", "list", "export", "--user", "bob",
                 "--format", fmt, "-o", str(Path(folder) / f"bob.{fmt}"), "--sandbox", server.url],
                env,
            )  # fmt: skip
        for run in runs.values():
            run()  # warms the sandbox's pages and the file cache for every variant alike
        times, entries = rounds_of(rounds, runs)
        show = [sys.executable, "-m", "malclient", "list", "show", "--user", "bob"]
        show += ["--sandbox", server.url]
        as_json = timed([*show, "--json"], rounds, env)
        table = timed(show, rounds, env)
    print(f"mal list show --user bob --json : {as_json:6.2f}s")
    print(f"mal list show --user bob (table): {table:6.2f}s  ratio {table / as_json:5.2f}")
    base = times["baseline (httpx2 + json.dumps)"] / entries * 1000
    print(f"export of bob's anime list: {entries} entries, sandbox over loopback, {rounds} rounds")
    print(f"{'':34}{'total':>10}{'per 1,000':>12}{'vs baseline':>13}")
    for name, seconds in times.items():
        per = seconds / entries * 1000
        print(f"{name:34}{seconds:>9.2f}s{per * 1000:>10.1f}ms{per / base:>12.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="start-up runs per command")
    parser.add_argument("--rounds", type=int, default=3, help="export rounds")
    args = parser.parse_args()
    startup(args.runs)
    export(args.rounds)


if __name__ == "__main__":
    main()
