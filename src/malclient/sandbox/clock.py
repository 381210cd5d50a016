"""The sandbox's clock: wall time plus an offset that tests move forward.

Tokens, codes, bans and rate buckets all read this clock, so `POST /_sandbox/clock` can expire
a 31-day token in a test that runs for a second. Nothing in the sandbox calls `time.time()`.
"""

from __future__ import annotations

import time


class Clock:
    """Seconds since the epoch, as the sandbox sees them."""

    def __init__(self, start: float | None = None) -> None:
        # With a fixed start the clock is frozen until advanced: useful for exact-expiry tests.
        self._frozen = start is not None
        self._offset = 0.0 if start is None else start

    def now(self) -> float:
        if self._frozen:
            return self._offset
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward (never back: MAL's time does not run backwards)."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self._offset += seconds
        return self.now()
