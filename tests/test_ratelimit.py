"""Client-side pacing: what a caller sees of the rate limiter (how long each request waits, how it
slows down after MAL throttles and speeds up again), and the `MAL_RATE` setting. No network; the
limiter's clock is a fake, so nothing here depends on how fast the machine is."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from malclient import ConfigError
from malclient._ratelimit import (
    DEFAULT_BURST,
    DEFAULT_RATE,
    SLOWEST_FACTOR,
    BucketState,
    Limiter,
    Pace,
    RateLimiter,
    cool_down,
    current_rate,
    parse_rate,
    reserve,
)
from malclient.settings import Settings


def waits(pace: Pace, times: list[float], state: BucketState | None = None) -> list[float]:
    """How long requests made at `times` wait, in order."""
    state = state or BucketState()
    result = []
    for now in times:
        state, wait = reserve(pace, state, now)
        result.append(round(wait, 9))
    return result


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)


# --- pacing ---------------------------------------------------------------------------------------


def test_the_default_is_the_guides_pace_of_two_requests_a_second_with_a_small_burst() -> None:
    assert (DEFAULT_RATE, DEFAULT_BURST) == (2.0, 2)
    assert waits(Pace(), [0.0] * 5) == [0.0, 0.0, 0.5, 1.0, 1.5]


def test_requests_at_the_rate_never_wait() -> None:
    assert waits(Pace(rate=4, burst=1), [0.0, 0.25, 0.5, 0.75, 1.0]) == [0.0] * 5


def test_a_quiet_spell_gives_the_burst_back_but_no_more() -> None:
    pace = Pace(rate=2, burst=3)
    state = BucketState()
    for now in (0.0, 0.0, 0.0, 0.0):
        state, _ = reserve(pace, state, now)
    # An hour later: three at once again, then the fourth waits a full interval.
    assert waits(pace, [3600.0] * 4, state) == [0.0, 0.0, 0.0, 0.5]


def test_concurrent_threads_each_get_their_own_slot() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, burst=1, clock=clock, sleep=clock.sleep)
    threads = [threading.Thread(target=limiter.acquire) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One went at once; the rest queued 0.1 s apart, none sharing a slot.
    assert sorted(round(s, 6) for s in clock.slept) == [round(0.1 * n, 6) for n in range(1, 20)]


def test_async_callers_wait_without_blocking_the_event_loop() -> None:
    limiter = RateLimiter(20, burst=1)
    ticks: list[int] = []

    async def ticker(stop: asyncio.Event) -> None:
        while not stop.is_set():
            ticks.append(1)
            await asyncio.sleep(0)

    async def main() -> tuple[float, int]:
        stop = asyncio.Event()
        task = asyncio.create_task(ticker(stop))
        await limiter.aacquire()
        before = len(ticks)
        waited = await limiter.aacquire()  # must wait for the next slot
        during = len(ticks) - before
        stop.set()
        await task
        return waited, during

    waited, during = asyncio.run(main())
    assert waited > 0
    assert during > 0  # other tasks ran while this one waited


def test_the_in_process_limiter_meets_the_protocol_a_shared_backend_implements() -> None:
    assert isinstance(RateLimiter(), Limiter)


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (float("inf"), 1), (1, 0)])
def test_impossible_paces_are_refused(rate: float, burst: int) -> None:
    with pytest.raises(ConfigError):
        Pace(rate=rate, burst=burst)


# --- slowing down after a throttle ----------------------------------------------------------------


def test_a_throttle_holds_everyone_for_the_pause_then_paces_at_half_the_rate() -> None:
    pace = Pace(rate=2, burst=2)
    state = cool_down(pace, BucketState(), now=10.0, pause=5.0)
    assert current_rate(pace, state, 10.0) == 1.0
    # No burst after the pause: requests resume one (halved) interval apart.
    assert waits(pace, [10.0, 10.0, 10.0], state) == [5.0, 6.0, 7.0]


def test_throttles_seen_during_a_cool_down_extend_it_without_slowing_down_again() -> None:
    pace = Pace(rate=2, burst=1)
    state = cool_down(pace, BucketState(), now=10.0, pause=5.0)
    state = cool_down(pace, state, now=11.0, pause=5.0)  # already on its way when MAL refused
    assert current_rate(pace, state, 11.0) == 1.0
    assert waits(pace, [11.0], state) == [5.0]


def test_the_pace_steps_back_up_after_each_quiet_recovery_period() -> None:
    pace = Pace(rate=2, burst=1, recovery=100)
    state = cool_down(pace, BucketState(), now=0.0, pause=1.0)
    state = cool_down(pace, state, now=10.0, pause=1.0)  # a second throttle, after the pause
    assert current_rate(pace, state, 10.0) == 0.5
    assert current_rate(pace, state, 109.0) == 0.5
    assert current_rate(pace, state, 111.0) == 1.0
    assert current_rate(pace, state, 211.0) == 2.0
    assert current_rate(pace, state, 10_000.0) == 2.0


def test_repeated_throttles_never_slow_below_an_eighth_of_the_rate() -> None:
    pace = Pace(rate=2, burst=1)
    state = BucketState()
    for n in range(10):
        state = cool_down(pace, state, now=n * 10.0, pause=1.0)
    assert current_rate(pace, state, 100.0) == 2 * SLOWEST_FACTOR


def test_a_cool_down_reaches_callers_of_the_shared_limiter() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, burst=2, clock=clock, sleep=clock.sleep)
    limiter.cool_down(3.0)
    assert limiter.rate == 1.0
    assert limiter.acquire() == 3.0


# --- MAL_RATE ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rate"),
    [("1", 1.0), ("0.5", 0.5), (" 3 ", 3.0), ("0", None), ("off", None), ("OFF", None),
     ("", DEFAULT_RATE), (None, DEFAULT_RATE), (1.5, 1.5)],
)  # fmt: skip
def test_rates_are_written_in_requests_per_second_and_zero_or_off_turns_pacing_off(
    text: str | float | None, rate: float | None
) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["-1", "fast", "nan", "inf", "1/s"])
def test_a_rate_that_is_not_a_number_of_requests_per_second_is_explained(text: str) -> None:
    with pytest.raises(ConfigError, match=r"MAL_RATE must be a number of requests per second"):
        parse_rate(text)


def test_settings_read_mal_rate_and_a_flag_wins_over_it(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    assert Settings.resolve(config=config, env={}).rate == DEFAULT_RATE
    assert Settings.resolve(config=config, env={"MAL_RATE": "1"}).rate == 1.0
    assert Settings.resolve(config=config, env={"MAL_RATE": "off"}).rate is None
    assert Settings.resolve(config=config, rate="0.5", env={"MAL_RATE": "1"}).rate == 0.5
    with pytest.raises(ConfigError, match="MAL_RATE"):
        Settings.resolve(config=config, env={"MAL_RATE": "lots"})
