"""Client-side pacing: one budget of requests per second shared by every call of a client, sync
or async. `reserve` / `cool_down` decide (pure); `RateLimiter` keeps the state and waits. Never
sends anything; a shared backend (Redis, a later issue) implements the same `Limiter` protocol.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from malclient._exceptions import ConfigError

__all__ = [
    "DEFAULT_BURST",
    "DEFAULT_RATE",
    "BucketState",
    "Limiter",
    "Pace",
    "RateLimiter",
    "cool_down",
    "current_rate",
    "parse_rate",
    "reserve",
]

# MAL publishes no quota (SPEC 3.8). The seed's guide paces at ~500 ms between requests; users
# report 2 req/s gets throttled "after a while" and 1 req/s is safe (komf#44). We start at the
# guide's pace and halve it for a while after every throttle (`cool_down`), so a client that
# meets a stricter MAL settles near what MAL tolerates instead of being banned.
DEFAULT_RATE = 2.0
# A couple of calls at once (a profile, then a list) need not wait; more than that is a burst.
DEFAULT_BURST = 2
# After a throttle the pace stays lowered this long, then steps back up (doubling) per period.
DEFAULT_RECOVERY = 300.0
# Never slower than this fraction of the configured rate (three halvings).
SLOWEST_FACTOR = 1 / 8


@dataclass(frozen=True)
class Pace:
    """What a limiter allows: `rate` requests per second, `burst` at once after a quiet spell."""

    rate: float = DEFAULT_RATE
    burst: int = DEFAULT_BURST
    recovery: float = DEFAULT_RECOVERY

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate) and self.rate > 0):
            raise ConfigError(f"A request rate must be a positive number, not {self.rate!r}.")
        if self.burst < 1:
            raise ConfigError(f"A burst must allow at least one request, not {self.burst!r}.")
        if self.recovery < 0:
            raise ConfigError("The recovery period cannot be negative.")


@dataclass(frozen=True)
class BucketState:
    """A generic cell rate algorithm's memory: when the next request is due at the current pace.

    `due` is the theoretical arrival time of the next request; `factor` the fraction of the
    configured rate in force (1 until MAL throttles); `changed` when `factor` last changed;
    `paused_until` the end of the current cool-down.
    """

    due: float = -math.inf
    factor: float = 1.0
    changed: float = -math.inf
    paused_until: float = -math.inf


def _recovered(pace: Pace, state: BucketState, now: float) -> BucketState:
    """Step the factor back up, doubling once per quiet `recovery` period since it changed."""
    if state.factor >= 1.0:
        return state
    if pace.recovery == 0:
        return replace(state, factor=1.0, changed=now)
    periods = int((now - state.changed) // pace.recovery)
    if periods <= 0:
        return state
    factor = min(1.0, state.factor * 2.0**periods)
    return replace(state, factor=factor, changed=state.changed + periods * pace.recovery)


def current_rate(pace: Pace, state: BucketState, now: float) -> float:
    """Requests per second allowed at `now`."""
    return pace.rate * _recovered(pace, state, now).factor


def reserve(pace: Pace, state: BucketState, now: float) -> tuple[BucketState, float]:
    """Book the next slot: the new state, and how long the caller must wait before sending.

    Every caller gets its own slot, so concurrent callers queue in order instead of racing.
    """
    state = _recovered(pace, state, now)
    interval = 1.0 / (pace.rate * state.factor)
    tolerance = (pace.burst - 1) * interval  # how far ahead of schedule a burst may run
    due = max(state.due, now)
    wait = max(0.0, due - tolerance - now)
    return replace(state, due=due + interval), wait


def cool_down(pace: Pace, state: BucketState, now: float, pause: float) -> BucketState:
    """MAL refused a request as too fast: halve the pace and hold every caller for `pause`.

    Throttles seen during a cool-down (other requests that were already on their way) extend
    the pause but do not halve the pace again: they report the same overrun. The burst is
    spent, so requests resume one interval apart.
    """
    state = _recovered(pace, state, now)
    factor = state.factor
    changed = state.changed
    if now >= state.paused_until:
        factor = max(SLOWEST_FACTOR, factor / 2.0)
        changed = now
    interval = 1.0 / (pace.rate * factor)
    resume = max(state.paused_until, now + pause)
    due = max(state.due, resume + (pace.burst - 1) * interval)
    return BucketState(due=due, factor=factor, changed=changed, paused_until=resume)


@runtime_checkable
class Limiter(Protocol):
    """What the transport needs from a limiter; one instance may serve many clients."""

    def acquire(self) -> float:
        """Block until a request may be sent; return the seconds waited."""
        ...

    async def aacquire(self) -> float:
        """The same without blocking the event loop."""
        ...

    def cool_down(self, pause: float) -> None:
        """MAL throttled a request: slow down and hold every caller for `pause` seconds."""
        ...

    @property
    def rate(self) -> float:
        """Requests per second allowed now (for messages and logs)."""
        ...


class RateLimiter:
    """The in-process `Limiter`: a token bucket shared by threads, tasks and event loops.

    Its lock is held only to book a slot (microseconds), never while waiting, so it is safe to
    share between a `Session` and an `AsyncSession`. Times come from a monotonic clock.
    """

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        *,
        recovery: float = DEFAULT_RECOVERY,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.pace = Pace(rate=rate, burst=burst, recovery=recovery)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._state = BucketState()

    def _book(self) -> float:
        with self._lock:
            self._state, wait = reserve(self.pace, self._state, self._clock())
        return wait

    def acquire(self) -> float:
        wait = self._book()
        if wait > 0:
            self._sleep(wait)
        return wait

    async def aacquire(self) -> float:
        import anyio  # only async callers pay for it

        wait = self._book()
        if wait > 0:
            await anyio.sleep(wait)
        return wait

    def cool_down(self, pause: float) -> None:
        with self._lock:
            self._state = cool_down(self.pace, self._state, self._clock(), pause)

    @property
    def rate(self) -> float:
        with self._lock:
            return current_rate(self.pace, self._state, self._clock())

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.pace.rate!r}, burst={self.pace.burst!r})"


def parse_rate(text: str | float | None, *, source: str = "MAL_RATE") -> float | None:
    """A rate as users write it (`MAL_RATE=1`, `0.5`): requests per second; `0`/`off` = None.

    None or "" means "not set" and gives the default.
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return DEFAULT_RATE
    if isinstance(text, str):
        word = text.strip().lower()
        if word in {"off", "none", "no", "false"}:
            return None
        try:
            value = float(word)
        except ValueError:
            value = math.nan
    else:
        value = float(text)
    if not math.isfinite(value) or value < 0:
        raise ConfigError(
            f"{source} must be a number of requests per second (such as 1 or 0.5), or 0/off to "
            f"turn pacing off; got {text!r}."
        )
    return None if value == 0 else value
