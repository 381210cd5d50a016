"""One request budget for every worker of an app, kept in Redis: a `malclient._ratelimit.Limiter`.
Owns the admission script (run atomically by Redis, on Redis's clock) and the calls to it; the
pacing rules mirror `_ratelimit` (GCRA, halving after a throttle, stepwise recovery).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from malclient._exceptions import ConfigError, ConnectError
from malclient._ratelimit import DEFAULT_BURST, DEFAULT_RATE, DEFAULT_RECOVERY, SLOWEST_FACTOR
from malclient.stores._errors import redact

if TYPE_CHECKING:
    import redis

    from malclient._ratelimit import Limiter

__all__ = ["DEFAULT_MARGIN", "RedisRateLimiter"]

_log = logging.getLogger("malclient.ratelimit")

# Booking a slot and MAL receiving the request are a few milliseconds apart, and that delay
# varies between workers: two requests booked exactly one second apart may arrive 0.99 s apart.
# The limiter counts its ceiling over 1 s plus this margin, so the spread never lets `rate`+1
# requests reach MAL within one second.
DEFAULT_MARGIN = 0.1
# Idle state is forgotten after this long (the pace has recovered long before).
_STATE_TTL = 3600

# Atomic, on Redis's clock (TIME), so workers' clocks never matter (pyrate-limiter's Redis
# bucket over-admitted across processes by trusting them: STYLE.md).
# KEYS[1]: hash {tat, factor, changed, paused}  KEYS[2]: list of the newest booked slots.
# ARGV: op ("book" | "cool" | "rate"), rate, burst, ceiling, window, recovery, slowest, pause.
# "book" returns the wait before the booked slot; "cool" and "rate" the pace now (req/s).
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local op = ARGV[1]
local rate, burst, ceiling = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local window, recovery, slowest = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local s = redis.call('HMGET', KEYS[1], 'tat', 'factor', 'changed', 'paused')
local tat = tonumber(s[1]) or 0
local factor = tonumber(s[2]) or 1
local changed = tonumber(s[3]) or 0
local paused = tonumber(s[4]) or 0
if factor < 1 then
  if recovery <= 0 then
    factor = 1
    changed = now
  else
    local periods = math.floor((now - changed) / recovery)
    if periods > 0 then
      factor = math.min(1, factor * 2 ^ periods)
      changed = changed + periods * recovery
    end
  end
end
local interval = 1 / (rate * factor)
local result
if op == 'book' then
  local due = math.max(tat, now)
  local slot = math.max(now, due - (burst - 1) * interval, paused)
  local newest = tonumber(redis.call('LINDEX', KEYS[2], 0))
  if newest then slot = math.max(slot, newest) end
  if redis.call('LLEN', KEYS[2]) >= ceiling then
    -- the ceiling-th newest slot (the list is trimmed to `ceiling`): O(1) from the tail
    slot = math.max(slot, tonumber(redis.call('LINDEX', KEYS[2], -1)) + window)
  end
  tat = math.max(due, slot) + interval
  redis.call('LPUSH', KEYS[2], string.format('%.6f', slot))
  redis.call('LTRIM', KEYS[2], 0, ceiling - 1)
  redis.call('EXPIRE', KEYS[2], ARGV[9])
  result = slot - now
elseif op == 'cool' then
  if now >= paused then
    factor = math.max(slowest, factor / 2)
    changed = now
    interval = 1 / (rate * factor)
  end
  local resume = math.max(paused, now + tonumber(ARGV[8]))
  tat = math.max(tat, resume + (burst - 1) * interval)
  paused = resume
  result = rate * factor
else
  return string.format('%.6f', rate * factor)
end
redis.call('HSET', KEYS[1], 'tat', string.format('%.6f', tat), 'factor',
  string.format('%.9f', factor), 'changed', string.format('%.6f', changed),
  'paused', string.format('%.6f', paused))
redis.call('EXPIRE', KEYS[1], ARGV[9])
return string.format('%.6f', result)
"""


class RedisRateLimiter:
    """A `Limiter` whose budget lives in Redis, shared by every process and machine using `name`.

    Paces like the in-process `RateLimiter` (`rate` requests per second, `burst` at once after
    a quiet spell; after a throttle every worker slows down together and recovers together),
    and adds a ceiling: never more than `rate` requests (rounded down, at least one) booked
    within any 1 s + `margin` window, by Redis's clock. Each call books its own slot in one
    atomic script, so workers queue in order instead of polling.

    If Redis cannot be reached, `acquire` raises `ConnectError` (no request is sent), unless a
    `fallback` limiter is given: it paces this process alone until Redis answers again.
    Async callers book their slot in a worker thread (one sync client serves threads, event
    loops and sync sessions alike) and wait on the event loop.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        name: str = "default",
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        recovery: float = DEFAULT_RECOVERY,
        margin: float = DEFAULT_MARGIN,
        fallback: Limiter | None = None,
        client: redis.Redis | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise ConfigError(f"A request rate must be a positive number, not {rate!r}.")
        if burst < 1:
            raise ConfigError(f"A burst must allow at least one request, not {burst!r}.")
        if recovery < 0 or margin < 0:
            raise ConfigError("The recovery period and the margin cannot be negative.")
        if client is None:
            try:
                import redis
            except ImportError:  # pragma: no cover - depends on the installed extras
                raise ConfigError(
                    "The shared rate limiter needs redis-py: pip install 'malclient[redis]'."
                ) from None
            client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.location = redact(url)
        self.name = name
        self.configured_rate = float(rate)
        self.burst = burst
        self.recovery = recovery
        self.margin = margin
        self.ceiling = max(1, math.floor(rate))
        self.fallback = fallback
        self._client = client
        self._script = client.register_script(_SCRIPT)
        # A hash tag, so both keys live on one Redis Cluster node (scripts need that).
        self._keys = [f"malclient:{{{name}}}:pace", f"malclient:{{{name}}}:slots"]
        self._sleep = sleep
        self._outage = threading.Event()  # set while Redis is unreachable (log once per outage)

    def _call(self, op: str, pause: float = 0.0) -> float | None:
        """Run the script; None when Redis is unreachable and a fallback takes over."""
        import redis

        args = [
            op,
            repr(self.configured_rate),
            str(self.burst),
            str(self.ceiling),
            repr(1.0 + self.margin),
            repr(self.recovery),
            repr(SLOWEST_FACTOR),
            repr(pause),
            str(_STATE_TTL),
        ]
        try:
            answer: Any = self._script(keys=self._keys, args=args)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if self.fallback is None:
                raise ConnectError(
                    f"The shared rate limiter's Redis at {self.location} cannot be reached "
                    f"({exc}); no request was sent. Start Redis, or give the limiter a "
                    "fallback to pace this process alone meanwhile."
                ) from exc
            if not self._outage.is_set():
                self._outage.set()
                _log.warning(
                    "The shared rate limiter's Redis at %s cannot be reached (%s); pacing this "
                    "process alone until it answers again.",
                    self.location,
                    exc,
                )
            return None
        if self._outage.is_set():
            self._outage.clear()
            _log.warning("The shared rate limiter's Redis at %s answers again.", self.location)
        return float(answer)

    def reserve(self) -> float | None:
        """Book the next slot without waiting: the seconds until it (None: fallback in use)."""
        return self._call("book")

    def acquire(self) -> float:
        wait = self.reserve()
        if wait is None:
            assert self.fallback is not None
            return self.fallback.acquire()
        if wait > 0:
            self._sleep(wait)
        return wait

    async def aacquire(self) -> float:
        import anyio.to_thread

        wait = await anyio.to_thread.run_sync(self.reserve)
        if wait is None:
            assert self.fallback is not None
            return await self.fallback.aacquire()
        if wait > 0:
            await anyio.sleep(wait)
        return wait

    def cool_down(self, pause: float) -> None:
        if self._call("cool", pause) is None:
            assert self.fallback is not None
            self.fallback.cool_down(pause)

    @property
    def rate(self) -> float:
        current = self._call("rate")
        if current is None:
            assert self.fallback is not None
            return self.fallback.rate
        return current

    def reset(self) -> None:
        """Forget the shared state (pace, cool-downs, booked slots) of `name`."""
        self._client.delete(*self._keys)

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return (
            f"RedisRateLimiter({self.location!r}, name={self.name!r}, "
            f"rate={self.configured_rate!r}, burst={self.burst!r})"
        )
