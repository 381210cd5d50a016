"""Counters for tests and benchmarks, served at `GET /_sandbox/stats` (never on the real MAL)."""

from __future__ import annotations

from collections import Counter, deque
from typing import Any


class Stats:
    """What the sandbox saw since start or the last reset."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.grants: Counter[str] = Counter()
        self.grants_by_user: Counter[tuple[str, str]] = Counter()
        self.throttled = 0
        self.banned = 0
        self.faults: Counter[str] = Counter()
        # Times of API requests, to find the busiest one-second window (shared-budget tests).
        self._api_times: deque[float] = deque(maxlen=2_000_000)

    def count_request(self, endpoint: str, status: int, at: float, api: bool) -> None:
        self.requests[endpoint] += 1
        self.statuses[status] += 1
        if api:
            self._api_times.append(at)

    def count_grant(self, grant_type: str, user: str) -> None:
        self.grants[grant_type] += 1
        self.grants_by_user[(grant_type, user)] += 1

    def busiest_second(self) -> int:
        """Most API requests that arrived within any one-second window."""
        times = sorted(self._api_times)
        best = start = 0
        for end, t in enumerate(times):
            while t - times[start] >= 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best

    def snapshot(self) -> dict[str, Any]:
        by_user: dict[str, dict[str, int]] = {}
        for (grant_type, user), n in sorted(self.grants_by_user.items()):
            by_user.setdefault(user, {})[grant_type] = n
        return {
            "requests": dict(sorted(self.requests.items())),
            "requests_total": sum(self.requests.values()),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "grants": dict(sorted(self.grants.items())),
            "grants_by_user": by_user,
            "throttled": self.throttled,
            "banned": self.banned,
            "faults": dict(sorted(self.faults.items())),
            "busiest_second": self.busiest_second(),
        }
