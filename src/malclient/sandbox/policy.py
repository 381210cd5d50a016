"""Politeness simulation, fault injection and request counting, wrapped around the whole sandbox.

Only this module decides whether a request reaches MAL's routes at all. Rate limits apply to the
API (`/v2`) only: MAL's guide says token requests are not throttled (seed thread). Faults apply to
both MAL hosts; `/_sandbox/` is never throttled, faulted or counted.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from malclient.sandbox.config import Faults, RatePolicy
from malclient.sandbox.state import SandboxState
from malclient.sandbox.wire import forbidden

# Where the app records the status it answered, for the counters.
STATUS_KEY = "malclient.sandbox.status"

# What a gateway in front of MAL answers; deliberately not JSON, as on the real service (SPEC 3.2).
_GATEWAY_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
)
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Time-out",
}
# MAL's block page is HTML; our wording, its shape (SPEC 3.8: bans answered with 403).
_BLOCKED_PAGE = (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>403 Forbidden'
    "</title></head>\n<body><h1>Request blocked</h1><p>Too many requests were sent from your "
    "address in a short time. Access is blocked for a while; slow down and try again later.</p>"
    "</body></html>\n"
)


@dataclass
class _Bucket:
    tokens: float
    updated: float
    strikes: int = 0
    banned_until: float = 0.0


class RateLimiter:
    """Token bucket per client address, then a ban after repeated overruns (SPEC 3.8)."""

    def __init__(self, policy: RatePolicy) -> None:
        self.policy = policy
        self._buckets: dict[str, _Bucket] = {}

    def check(self, key: str, now: float) -> str:
        """'ok', 'throttled' or 'banned' for one request from `key` at `now`."""
        policy = self.policy
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=float(policy.burst), updated=now)
        if now < bucket.banned_until:
            return "banned"
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(float(policy.burst), bucket.tokens + elapsed * policy.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return "ok"
        bucket.strikes += 1
        if bucket.strikes >= policy.ban_after:
            bucket.strikes = 0
            bucket.banned_until = now + policy.ban_seconds
            bucket.tokens = float(policy.burst)
            bucket.updated = bucket.banned_until
        return "throttled"

    def bans(self, now: float) -> dict[str, float]:
        """Addresses banned at `now`, with the seconds left."""
        return {
            key: bucket.banned_until - now
            for key, bucket in self._buckets.items()
            if bucket.banned_until > now
        }


class FaultPlan:
    """Draws the faults for each request from one seeded generator, so runs can be repeated."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._random = random.Random(faults.seed)

    def draw(self) -> tuple[str | None, int | None, bool]:
        """(connection fault 'drop'/'truncate' or None, injected status or None, slow?)."""
        faults, roll = self.faults, self._random.random
        connection = "drop" if roll() < faults.drop else None
        if connection is None and roll() < faults.truncate:
            connection = "truncate"
        status = next((code for code, p in faults.status if roll() < p), None)
        return connection, status, roll() < faults.slow


async def _send_html(send: Send, status: int, page: str) -> None:
    body = page.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html; charset=UTF-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _close_connection(send: Send) -> bool:
    """Close the client's connection without a word, when the server lets us reach it.

    ASGI has no "drop" message; uvicorn's `send` is a method of an object holding the transport.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        return False
    transport.close()
    return True


class PolicyMiddleware:
    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state
        self._limiter: RateLimiter | None = None
        self._faults: FaultPlan | None = None
        self._faults_source: Faults | None = None

    def limiter(self) -> RateLimiter | None:
        """The limiter for the current policy; a new policy starts with fresh buckets."""
        policy = self.state.rate_policy
        if policy is None:
            self._limiter = None
        elif self._limiter is None or self._limiter.policy is not policy:
            self._limiter = RateLimiter(policy)
        return self._limiter

    def fault_plan(self) -> FaultPlan | None:
        """The plan for the current faults; a change of faults starts a new seeded sequence."""
        faults = self.state.faults
        if faults is not self._faults_source:
            self._faults_source = faults
            self._faults = FaultPlan(faults) if faults.active else None
        return self._faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        state = self.state
        stats = state.stats
        now = state.clock.now()
        is_api = path.startswith("/v2")

        plan = self.fault_plan()
        connection = status = None
        slow = False
        if plan is not None:
            connection, status, slow = plan.draw()
        if connection == "drop":
            stats.faults["drop"] += 1
            stats.count_request("fault:drop", 0, now, is_api)
            if _close_connection(send):
                return
            raise ConnectionResetError("sandbox fault: connection dropped")
        if slow:
            stats.faults["slow"] += 1
            await asyncio.sleep(plan.faults.slow_seconds if plan else 0)

        limiter = self.limiter() if is_api else None
        if limiter is not None:
            client = scope.get("client")
            verdict = limiter.check(client[0] if client else "unknown", now)
            if verdict != "ok":
                if verdict == "banned":
                    stats.banned += 1
                else:
                    stats.throttled += 1
                stats.count_request(f"rate:{verdict}", 403, now, is_api)
                if verdict == "banned" and limiter.policy.html:
                    await _send_html(send, 403, _BLOCKED_PAGE)
                else:
                    await forbidden()(scope, receive, send)
                return

        if status is not None:
            stats.faults[str(status)] += 1
            stats.count_request(f"fault:{status}", status, now, is_api)
            await _send_html(
                send, status, _GATEWAY_PAGE.format(status=status, reason=_REASONS[status])
            )
            return

        if connection == "truncate":
            stats.faults["truncate"] += 1
            await self.app(scope, receive, _truncating(send))
            stats.count_request("fault:truncate", 0, now, is_api)
            return
        await self.app(scope, receive, send)
        # The app below records what it answered in the scope (app.py), which spares every
        # request a wrapped `send`.
        endpoint = scope.get("endpoint")
        name = getattr(endpoint, "__name__", None) or "unrouted"
        stats.count_request(name, scope.get(STATUS_KEY, 0), now, is_api)


def _truncating(send: Send) -> Send:
    """A `send` that delivers the headers and half the body, then breaks the connection."""

    async def truncating_send(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        body: bytes = message.get("body", b"")
        await send(
            {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
        )
        if not _close_connection(send):
            raise ConnectionResetError("sandbox fault: body truncated")

    return truncating_send
