"""Shared by the politeness and cache tests: a signed-in user for a sandbox, and its counters."""

from __future__ import annotations

from typing import Any

import httpx2

from malclient.session import MemoryTokenStore, TokenManager
from tokens_support import sign_in, web_app


def user(origin: str) -> TokenManager:
    """alice, signed in through the sandbox's real sign-in, tokens kept in memory."""
    return TokenManager(web_app(origin), MemoryTokenStore(sign_in(origin)))


def requests_seen(origin: str) -> int:
    """Requests the sandbox has seen (answered, throttled or faulted) since the last reset."""
    return int(stats(origin)["requests_total"])


def reset_stats(origin: str) -> None:
    httpx2.post(f"{origin}/_sandbox/stats/reset").raise_for_status()


def stats(origin: str) -> dict[str, Any]:
    result: dict[str, Any] = httpx2.get(f"{origin}/_sandbox/stats").json()
    return result
