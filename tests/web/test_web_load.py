"""Load: 100 sign-ins at once through the page and the sandbox, each in its own browser-like
client. All finish, none fails, and each gets its own user's tokens for its own app."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx2
from web_support import block_of, heading, parse_block, register, sign_in_async, stats, whoami

from malclient.sandbox.server import SandboxServer
from malclient.web.server import WebServer

FLOWS = 100
USERS = ("alice", "bob", "carol")


async def _one(page_url: str, app: dict[str, str], user: str) -> tuple[str, dict[str, str]]:
    async with httpx2.AsyncClient(timeout=60) as client:  # its own cookies, like a browser
        answer = await sign_in_async(client, page_url, app, user)
    assert answer.status_code == 200, answer.text
    text = block_of(answer.text)
    assert text is not None, answer.text
    return heading(answer.text), parse_block(text)["mal"]


def test_a_hundred_concurrent_sign_ins_each_get_their_own_tokens(
    sandbox: SandboxServer, page: WebServer
) -> None:
    apps = [register(sandbox.url, [f"{page.url}/callback"]) for _ in range(10)]
    plan = [(apps[number % len(apps)], USERS[number % len(USERS)]) for number in range(FLOWS)]
    before = stats(sandbox.url)["grants_by_user"]

    async def everyone() -> list[tuple[str, dict[str, str]] | BaseException]:
        return await asyncio.gather(
            *(_one(page.url, app, user) for app, user in plan), return_exceptions=True
        )

    started = time.perf_counter()
    results = asyncio.run(everyone())
    elapsed = time.perf_counter() - started
    errors = [repr(result) for result in results if isinstance(result, BaseException)]
    assert errors == []
    finished = [result for result in results if not isinstance(result, BaseException)]
    assert len(finished) == FLOWS

    access_tokens, refresh_tokens = set(), set()
    for (app, user), (title, block) in zip(plan, finished, strict=True):
        assert title == f"Signed in as {user}"
        assert block["client_id"] == app["client_id"]
        assert block["client_secret"] == app["client_secret"]
        access_tokens.add(block["authorization"]["access_token"])
        refresh_tokens.add(block["authorization"]["refresh_token"])
    assert len(access_tokens) == len(refresh_tokens) == FLOWS
    # Each token is its own user's, at the API too (a sample: every app and every user).
    for (_, user), (_, block) in list(zip(plan, finished, strict=True))[:30]:
        assert whoami(sandbox.url, block["authorization"]["access_token"]) == user

    after = stats(sandbox.url)["grants_by_user"]
    issued = Counter(
        {
            user: after.get(user, {}).get("authorization_code", 0)
            - before.get(user, {}).get("authorization_code", 0)
            for user in USERS
        }
    )
    assert issued == Counter(user for _, user in plan)
    assert elapsed < 60, f"{FLOWS} sign-ins took {elapsed:.1f} s"
