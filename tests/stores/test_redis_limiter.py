"""The shared request budget in a real Redis: bookings follow Redis's clock, every limiter using
the same name shares one pace, ceiling and cool-down, and an unreachable Redis never means an
unpaced request. (The budget measured at the sandbox is in test_store_acceptance.py.)"""

from __future__ import annotations

import asyncio
import itertools
import logging
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from servers import RedisServer, free_port

from malclient import ConnectError
from malclient._ratelimit import Limiter, RateLimiter
from malclient.stores import RedisRateLimiter

_names = itertools.count()


@pytest.fixture
def name() -> str:
    """A budget of its own for each test (one Redis serves the whole session)."""
    return f"test-{next(_names)}"


@pytest.fixture
def limiters(redis_server: RedisServer, name: str) -> Iterator[list[RedisRateLimiter]]:
    made: list[RedisRateLimiter] = []
    yield made
    for limiter in made:
        limiter.close()


def make(made: list[RedisRateLimiter], url: str, name: str, **options: float) -> RedisRateLimiter:
    limiter = RedisRateLimiter(url, name=name, **options)  # type: ignore[arg-type]
    made.append(limiter)
    return limiter


def test_it_is_a_limiter_sessions_accept(redis_server: RedisServer, name: str) -> None:
    limiter = RedisRateLimiter(redis_server.url, name=name)
    assert isinstance(limiter, Limiter)
    limiter.close()


def test_a_burst_goes_at_once_and_the_next_requests_wait_their_turn(
    redis_server: RedisServer, name: str, limiters: list[RedisRateLimiter]
) -> None:
    limiter = make(limiters, redis_server.url, name, rate=10, burst=3)
    waits = [limiter.reserve() for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    # Then one interval (0.1 s) apart, each booking its own slot instead of racing.
    assert waits[3:] == [pytest.approx(0.1, abs=0.01), pytest.approx(0.2, abs=0.01)]


def test_every_limiter_with_the_same_name_shares_one_budget(
    redis_server: RedisServer, name: str, limiters: list[RedisRateLimiter]
) -> None:
    first = make(limiters, redis_server.url, name, rate=10, burst=2)
    second = make(limiters, redis_server.url, name, rate=10, burst=2)
    other = make(limiters, redis_server.url, name + "-other", rate=10, burst=2)
    assert first.reserve() == 0.0
    assert second.reserve() == 0.0
    assert second.reserve() == pytest.approx(0.1, abs=0.01)  # the burst was spent by both
    assert other.reserve() == 0.0  # another name, another budget


_BOOK_IN_ANOTHER_PROCESS = """
import sys
from malclient.stores import RedisRateLimiter
limiter = RedisRateLimiter(sys.argv[1], name=sys.argv[2], rate=0.1, burst=1)
print(limiter.reserve())
"""


def test_processes_share_the_budget(
    redis_server: RedisServer, name: str, limiters: list[RedisRateLimiter]
) -> None:
    here = make(limiters, redis_server.url, name, rate=0.1, burst=1)
    assert here.reserve() == 0.0
    out = subprocess.run(
        [sys.executable, "-c", _BOOK_IN_ANOTHER_PROCESS, redis_server.url, name],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert 8.0 < float(out) <= 10.0  # queued behind this process's request


def test_the_ceiling_holds_whatever_the_burst(
    redis_server: RedisServer, name: str, limiters: list[RedisRateLimiter]
) -> None:
    # A burst larger than the rate would put 10 requests in one second; the ceiling says 4.
    limiter = make(limiters, redis_server.url, name, rate=4, burst=10, margin=0.05)
    slots = []
    for _ in range(10):
        asked = time.monotonic()
        slots.append(asked + (limiter.reserve() or 0.0))  # when this request may go
    assert slots[3] - slots[0] < 0.05  # four at once
    for earlier, later in zip(slots, slots[4:], strict=False):
        # Any five bookings span more than the window (1 s + margin), give or take the
        # microseconds between asking and Redis reading its clock.
        assert later - earlier >= 1.05 - 0.005


def test_a_throttle_seen_by_one_worker_slows_every_worker(
    redis_server: RedisServer, name: str, limiters: list[RedisRateLimiter]
) -> None:
    seen_it = make(limiters, redis_server.url, name, rate=2, burst=1, recovery=300)
    elsewhere = make(limiters, redis_server.url, name, rate=2, burst=1, recovery=300)
    assert elsewhere.rate == 2.0
    seen_it.cool_down(5.0)
    assert elsewhere.rate == 1.0  # halved for everyone
    wait = elsewhere.reserve()
    assert wait is not None
    assert 4.5 < wait <= 5.0  # and everyone holds for the pause
    seen_it.cool_down(5.0)  # a second report of the same overrun does not halve again
    assert elsewhere.rate == 1.0


def test_the_pace_recovers_for_everyone(
    redis_server: RedisServer, name: str, limiters: list[RedisRateLimiter]
) -> None:
    limiter = make(limiters, redis_server.url, name, rate=2, burst=1, recovery=0)
    limiter.cool_down(0.0)
    assert limiter.rate == 2.0  # recovery=0: back to full pace at once


def test_async_callers_wait_their_turn(
    redis_server: RedisServer, name: str, limiters: list[RedisRateLimiter]
) -> None:
    limiter = make(limiters, redis_server.url, name, rate=50, burst=1)

    async def main() -> list[float]:
        return list(await asyncio.gather(*(limiter.aacquire() for _ in range(5))))

    waits = sorted(asyncio.run(main()))
    assert waits[0] == 0.0
    assert waits[-1] == pytest.approx(4 / 50, abs=0.01)


def test_without_redis_no_request_goes_out_unpaced(name: str) -> None:
    limiter = RedisRateLimiter(f"redis://:s3cret@127.0.0.1:{free_port()}/0", name=name)
    with pytest.raises(ConnectError, match="cannot be reached") as caught:
        limiter.acquire()
    assert "s3cret" not in str(caught.value)
    limiter.close()


def test_a_fallback_paces_this_process_while_redis_is_away(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    fallback = RateLimiter(rate=0.1, burst=1, sleep=lambda seconds: None)
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{free_port()}/0", name=name, fallback=fallback)
    with caplog.at_level(logging.WARNING, logger="malclient.ratelimit"):
        assert limiter.acquire() == 0.0
        assert limiter.acquire() > 9.0  # the fallback's pace, not none at all
    assert sum("cannot be reached" in r.getMessage() for r in caplog.records) == 1
    assert limiter.rate == 0.1
    limiter.close()
