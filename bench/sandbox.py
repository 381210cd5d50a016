"""How fast is the sandbox? Its request rate on a mixed MAL workload, next to a bare ASGI app
that returns one fixed JSON body, both served by uvicorn (one worker) over loopback and loaded by
the same client in the same run. Target: ratio >= 0.5.

    make bench            # or: python bench/sandbox.py --seconds 10 --connections 32
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2

from malclient.sandbox.config import WEB_APP

HERE = Path(__file__).resolve().parent


@contextlib.contextmanager
def serving(command: list[str]) -> Iterator[str]:
    """Start a server process that prints its URL on its first line; stop it afterwards."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"(http://\S+)", line)
    if not match:
        process.kill()
        sys.exit(f"bench: server did not start: {line!r}")
    try:
        yield match.group(1)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)


def bearer_token(base: str) -> str:
    verifier = secrets.token_urlsafe(64)
    with httpx2.Client() as http:
        redirect = http.get(
            f"{base}/v1/oauth2/authorize",
            params={
                "response_type": "code",
                "client_id": WEB_APP.client_id,
                "code_challenge": verifier,
            },
        ).headers["location"]
        code = parse_qs(urlsplit(redirect).query)["code"][0]
        token = http.post(
            f"{base}/v1/oauth2/token",
            data={
                "client_id": WEB_APP.client_id,
                "client_secret": WEB_APP.client_secret,
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": verifier,
            },
        )
        token.raise_for_status()
        return str(token.json()["access_token"])


def workload(host: str, token: str, anime_ids: list[int]) -> list[bytes]:
    """A mix like a real app's, varied so that it is not one request served over and over:
    searches, details with fields, rankings and list pages at many offsets, the user's profile."""
    cid = WEB_APP.client_id
    terms = ["kai", "shin", "no+ko", "sekai", "hana", "kimi", "yume", "sora", "ken", "tsuki"]
    paths: list[tuple[str, bool]] = []
    for n, anime_id in enumerate(anime_ids):
        paths += [
            (
                f"/v2/anime?q={terms[n % len(terms)]}&limit=10&offset={n % 3 * 10}"
                "&fields=mean,num_episodes",
                False,
            ),
            (
                f"/v2/anime/{anime_id}?fields=alternative_titles,mean,genres,studios,num_episodes,"
                "status",
                False,
            ),
            (f"/v2/anime/ranking?ranking_type=all&limit=10&offset={n * 10}", False),
            (f"/v2/users/alice/animelist?fields=list_status&limit=10&offset={n % 30 * 10}", False),
            ("/v2/users/@me?fields=anime_statistics", True),
            (f"/v2/manga/ranking?ranking_type=manga&limit=10&offset={n * 10}&fields=mean", False),
        ]
    requests = []
    for path, needs_user in paths:
        auth = f"Authorization: Bearer {token}" if needs_user else f"X-MAL-CLIENT-ID: {cid}"
        requests.append(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n\r\n".encode())
    return requests


async def load(url: str, requests: list[bytes], seconds: float, connections: int) -> float:
    """Requests per second with `connections` keep-alive connections, one request in flight each."""
    parts = urlsplit(url)
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        i = offset
        while time.perf_counter() < deadline:
            writer.write(requests[i % len(requests)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            if status != 200:
                raise RuntimeError(f"bench: got HTTP {status}: {head!r}")
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            done += 1
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(connections)))
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()

    fixed_cmd = [sys.executable, str(HERE / "_fixed_app.py")]
    sandbox_cmd = [
        sys.executable,
        "-m",
        "malclient",
        "sandbox",
        "--port",
        "0",
        "--auto-approve",
        "alice",
    ]
    with serving(fixed_cmd) as url:
        host = urlsplit(url).netloc
        requests = workload(host, "x", list(range(1, 201)))
        warm = asyncio.run(load(url, requests, 1.0, args.connections))
        fixed = asyncio.run(load(url, requests, args.seconds, args.connections))
    with serving(sandbox_cmd) as url:
        host = urlsplit(url).netloc
        token = bearer_token(url)
        requests = workload(host, token, _anime_ids(url, 200))
        warm = asyncio.run(load(url, requests, 1.0, args.connections))
        ours = asyncio.run(load(url, requests, args.seconds, args.connections))
    del warm
    print(f"fixed-body ASGI app : {fixed:8.0f} req/s")
    print(f"sandbox, mixed load : {ours:8.0f} req/s")
    ratio = ours / fixed
    verdict = "met" if ratio >= 0.5 else "MISSED"
    print(f"ratio sandbox/fixed : {ratio:8.2f}  (target >= 0.50: {verdict})")


def _anime_ids(base: str, count: int) -> list[int]:
    with httpx2.Client() as http:
        page = http.get(
            f"{base}/v2/anime/ranking",
            params={"ranking_type": "bypopularity", "limit": count},
            headers={"X-MAL-CLIENT-ID": WEB_APP.client_id},
        ).json()
    return [edge["node"]["id"] for edge in page["data"]]


if __name__ == "__main__":
    main()
