"""How many sign-ins per second does `mal web` finish? Concurrent flows (form, MAL's login page,
Allow, back to /callback, the token exchange, /users/@me, the result page) against `mal web`
and `mal sandbox`, each a process on loopback. Next to it, the same sign-ins done directly
against the sandbox (what `mal auth login` sends), on the same servers in the same run.
Printed: flows per second for both, the ratio (the page's cost), latency and errors.
Target: zero errors; ratio >= 0.5.

    python bench/web.py                       # 300 flows, 100 at a time
    python bench/web.py --flows 1000 --concurrency 200
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator

import httpx2

from malclient.auth import App, parse_token_response

USERS = ("alice", "bob", "carol")
_BLOCK = re.compile(r'<textarea id="block"[^>]*>(.*?)</textarea>', re.DOTALL)


@contextlib.contextmanager
def serving(command: list[str]) -> Iterator[str]:
    """A server process that names its URL on its first line; stopped afterwards."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    assert process.stdout is not None
    match = re.search(r"(http://[0-9.:]+)", process.stdout.readline())
    try:
        if not match:
            sys.exit(f"bench: {' '.join(command[2:4])} did not start")
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=15)
        process.stdout.close()


def _login(user: str) -> dict[str, str]:
    return {"username": user, "password": f"{user}-sandbox", "decision": "allow"}


async def through_page(page: str, app: dict[str, str], user: str) -> None:
    async with httpx2.AsyncClient(timeout=60) as client:
        await client.get(f"{page}/")
        form = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
        started = await client.post(f"{page}/start", data={**form, "mode": "callback"})
        authorize = started.headers["location"]
        await client.get(authorize)
        approved = await client.post(authorize, data=_login(user))
        done = await client.get(approved.headers["location"])
        if done.status_code != 200 or f"Signed in as {user}" not in done.text:
            raise RuntimeError(f"the page answered HTTP {done.status_code}")
        if not _BLOCK.search(done.text):
            raise RuntimeError("no mal: block on the result page")


async def direct(sandbox: str, app: dict[str, str], user: str) -> None:
    """The same sign-in without the page: what `mal auth login` sends (sans-I/O core)."""
    signer = App(app["client_id"], app["client_secret"], auth_url=f"{sandbox}/v1/oauth2")
    pending = signer.start_authorization()
    async with httpx2.AsyncClient(timeout=60) as client:
        await client.get(pending.authorize_url)
        approved = await client.post(pending.authorize_url, data=_login(user))
        callback = pending.accept(approved.headers["location"])
        post = signer.token_request(pending, callback)
        answer = await client.post(post.url, content=post.body(), headers=dict(post.headers))
        token = parse_token_response(answer.status_code, answer.content, answer.headers)
        me = await client.get(
            f"{sandbox}/v2/users/@me", headers={"Authorization": token.authorization}
        )
        if me.json().get("name") != user:
            raise RuntimeError("the tokens belong to someone else")


async def run(
    flow: Callable[[dict[str, str], str], Awaitable[None]],
    apps: list[dict[str, str]],
    flows: int,
    concurrency: int,
) -> tuple[float, list[float], list[str]]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    errors: list[str] = []

    async def one(number: int) -> None:
        async with gate:
            started = time.perf_counter()
            try:
                await flow(apps[number % len(apps)], USERS[number % len(USERS)])
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(number) for number in range(flows)))
    return time.perf_counter() - started, latencies, errors


def _report(name: str, elapsed: float, latencies: list[float], errors: list[str]) -> float:
    rate = len(latencies) / elapsed
    cuts = statistics.quantiles(latencies, n=20)
    print(
        f"  {name:<22} {rate:7.1f} flows/s   p50 {cuts[9] * 1000:6.0f} ms   "
        f"p95 {cuts[18] * 1000:6.0f} ms   errors {len(errors)}"
    )
    for error in sorted(set(errors))[:5]:
        print(f"      {error}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    python = [sys.executable, "-m", "malclient"]
    with (
        serving([*python, "sandbox", "--port", "0"]) as sandbox,
        serving([*python, "web", "--port", "0", "--sandbox", sandbox]) as page,
    ):
        apps = [
            httpx2.post(
                f"{sandbox}/_sandbox/apps",
                json={"redirect_uris": [f"{page}/callback"], "type": "web"},
            ).json()
            for _ in range(10)
        ]

        async def measure() -> tuple[float, float, int]:
            warm = min(args.flows, 20)
            await run(lambda app, user: through_page(page, app, user), apps, warm, warm)
            print(f"{args.flows} sign-ins, {args.concurrency} at a time:")
            elapsed, latencies, page_errors = await run(
                lambda app, user: through_page(page, app, user),
                apps,
                args.flows,
                args.concurrency,
            )
            via_page = _report("through mal web", elapsed, latencies, page_errors)
            elapsed, latencies, errors = await run(
                lambda app, user: direct(sandbox, app, user), apps, args.flows, args.concurrency
            )
            alone = _report("directly (no page)", elapsed, latencies, errors)
            return via_page, alone, len(page_errors) + len(errors)

        via_page, alone, errors = asyncio.run(measure())
    print(f"ratio page/direct: {via_page / alone:.2f}   (target >= 0.5, errors 0: {errors})")
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
