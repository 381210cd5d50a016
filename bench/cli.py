"""How fast does `mal` start? `mal --help` against `python -c pass`, measured in the same run.
Target (issue 5): at most 4x. Also `mal sandbox --help`, which loads the command framework.

    make bench            # or: python bench/cli.py --runs 30
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def timed(command: list[str], runs: int) -> float:
    """Median wall time of `runs` runs, after one warm-up (file cache)."""
    subprocess.run(command, capture_output=True, check=True)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    python = timed([sys.executable, "-c", "pass"], args.runs)
    top = timed([sys.executable, "-m", "malclient", "--help"], args.runs)
    sub = timed([sys.executable, "-m", "malclient", "sandbox", "--help"], args.runs)
    print(f"python -c pass      : {python * 1000:7.1f} ms")
    print(f"mal --help          : {top * 1000:7.1f} ms  ratio {top / python:5.2f}  (target <= 4)")
    print(f"mal sandbox --help  : {sub * 1000:7.1f} ms  ratio {sub / python:5.2f}")


if __name__ == "__main__":
    main()
