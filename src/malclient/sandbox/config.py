"""What a sandbox is started with: apps, users, lifetimes, MAL behaviour switches, policies.

Frozen and I/O-free: `mal sandbox` flags and tests build one of these; the running sandbox keeps
its mutable parts (rate policy, faults, run-time apps) in `SandboxState`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

# 31 days: what real token responses report (SPEC 2.5 "Lifetimes"); both are configurable.
DEFAULT_ACCESS_TOKEN_TTL = 2_678_400
DEFAULT_REFRESH_TOKEN_TTL = 2_678_400
# Undocumented by MAL; the server library's usual 10 minutes (SPEC 2.5, [INF]).
DEFAULT_CODE_TTL = 600


@dataclass(frozen=True)
class RegisteredApp:
    """An app registered at /apiconfig. `client_secret is None` means a public app."""

    client_id: str
    client_secret: str | None
    redirect_uris: tuple[str, ...]
    name: str = "Sandbox app"

    @property
    def is_public(self) -> bool:
        return self.client_secret is None


@dataclass(frozen=True)
class SandboxUser:
    """A MAL account that can sign in on the sandbox's login page."""

    id: int
    name: str
    password: str


# Documented in the README; stable across releases so scripts can hard-code them.
WEB_APP = RegisteredApp(
    client_id="5a1d6b7c0e9f4a3b8c2d7e6f1a0b9c8d",
    client_secret="0f3c9a8b7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4b3a2",
    redirect_uris=("http://localhost/",),
    name="Sandbox web app",
)
PUBLIC_APP = RegisteredApp(
    client_id="9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
    client_secret=None,
    redirect_uris=("http://localhost/oauth",),
    name="Sandbox public app",
)
USERS = (
    SandboxUser(id=7012345, name="alice", password="alice-sandbox"),
    SandboxUser(id=7012346, name="bob", password="bob-sandbox"),
    SandboxUser(id=7012347, name="carol", password="carol-sandbox"),
)


@dataclass(frozen=True)
class RatePolicy:
    """MAL-like politeness: a token bucket per client address, then a temporary ban.

    MAL publishes no quota and answers bursts with 403 (SPEC 3.8); these numbers are ours.
    """

    rate: float = 1.0  # sustained requests per second
    burst: int = 10  # requests allowed at once
    ban_after: int = 20  # throttled (403) requests before the address is banned
    ban_seconds: float = 3600.0  # how long a ban lasts, by the sandbox clock
    html: bool = False  # banned requests get MAL's HTML "request blocked" page

    @classmethod
    def parse(cls, spec: str) -> RatePolicy:
        """Parse `rate=2,burst=5,ban-after=20,ban-seconds=600,html` (any subset)."""
        values: dict[str, object] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            key, _, raw = item.partition("=")
            key = key.strip().replace("-", "_")
            if key == "html" and not raw:
                values["html"] = True
                continue
            if key not in {"rate", "burst", "ban_after", "ban_seconds", "html"}:
                raise ValueError(
                    f"unknown rate-limit setting {key!r}: use rate, burst, ban-after, "
                    "ban-seconds, html"
                )
            try:
                if key == "html":
                    values[key] = raw.lower() in {"1", "true", "yes", "on"}
                elif key in {"burst", "ban_after"}:
                    values[key] = int(raw)
                else:
                    values[key] = float(raw)
            except ValueError:
                raise ValueError(
                    f"rate-limit setting {key!r} needs a number, not {raw!r}"
                ) from None
        policy = dataclasses.replace(cls(), **values)  # type: ignore[arg-type]
        if policy.rate <= 0 or policy.burst < 1 or policy.ban_after < 1 or policy.ban_seconds < 0:
            raise ValueError(
                "rate-limit needs rate > 0, burst >= 1, ban-after >= 1, ban-seconds >= 0"
            )
        return policy


FAULT_STATUSES = (500, 502, 503, 504)


@dataclass(frozen=True)
class Faults:
    """Injected failures, each a probability per request (0 disables it)."""

    status: tuple[tuple[int, float], ...] = ()  # (HTTP status, probability)
    slow: float = 0.0  # probability that a response is delayed
    slow_seconds: float = 2.0
    drop: float = 0.0  # connection closed before any response
    truncate: float = 0.0  # response body cut short
    seed: int | None = None  # fixed seed for repeatable fault sequences

    @property
    def active(self) -> bool:
        return any(p > 0 for _, p in self.status) or bool(self.slow or self.drop or self.truncate)

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """Parse `503=0.1,500=0.02,slow=0.1,slow-seconds=3,drop=0.01,truncate=0.01,seed=7`."""
        status: list[tuple[int, float]] = []
        values: dict[str, object] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            key, _, raw = item.partition("=")
            key = key.strip().replace("-", "_")
            try:
                number = float(raw)
            except ValueError:
                raise ValueError(f"fault setting {key!r} needs a number, not {raw!r}") from None
            if key.isdigit():
                if int(key) not in FAULT_STATUSES:
                    raise ValueError(f"fault status {key} is not one of {FAULT_STATUSES}")
                status.append((int(key), number))
            elif key == "seed":
                values["seed"] = int(number)
            elif key in {"slow", "slow_seconds", "drop", "truncate"}:
                values[key] = number
            else:
                raise ValueError(
                    f"unknown fault {key!r}: use 500/502/503/504, slow, slow-seconds, drop, "
                    "truncate, seed"
                )
        faults = dataclasses.replace(cls(status=tuple(status)), **values)  # type: ignore[arg-type]
        probabilities = [p for _, p in faults.status] + [faults.slow, faults.drop, faults.truncate]
        if any(not 0 <= p <= 1 for p in probabilities):
            raise ValueError("fault probabilities must be between 0 and 1")
        return faults


@dataclass(frozen=True)
class SandboxConfig:
    seed: int = 1
    anime_count: int = 20_000
    manga_count: int = 10_000
    apps: tuple[RegisteredApp, ...] = (WEB_APP, PUBLIC_APP)
    # Accounts that can sign in; any beyond alice, bob and carol get a small generated list
    # (multi-user tests: a backend serving many MAL users with one client id).
    users: tuple[SandboxUser, ...] = USERS
    access_token_ttl: int = DEFAULT_ACCESS_TOKEN_TTL
    refresh_token_ttl: int = DEFAULT_REFRESH_TOKEN_TTL
    code_ttl: int = DEFAULT_CODE_TTL
    # SPEC 2.5 "Refresh semantics": the guide keeps old refresh tokens, the library revokes them.
    revoke_refresh_on_use: bool = False
    # SPEC 4.7: DELETE of an entry not on the list answers 404 (docs) or 200 (2026 probe).
    delete_absent_ok: bool = False
    # Skip the login/consent page and approve at once as this user (headless automation).
    auto_approve: str | None = None
    rate_limit: RatePolicy | None = None
    faults: Faults = field(default_factory=Faults)
    # A fixed start time freezes the clock until it is advanced.
    clock_start: float | None = None
