"""Everything a running sandbox knows: config, clock, catalogue, apps, tokens, stats, policies."""

from __future__ import annotations

from malclient.sandbox.catalogue import build_catalogue
from malclient.sandbox.clock import Clock
from malclient.sandbox.config import Faults, RatePolicy, RegisteredApp, SandboxConfig
from malclient.sandbox.stats import Stats
from malclient.sandbox.tokens import TokenStore


class SandboxState:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.clock = Clock(config.clock_start)
        self.catalogue = build_catalogue(
            config.seed, config.anime_count, config.manga_count, config.users
        )
        self.apps: dict[str, RegisteredApp] = {app.client_id: app for app in config.apps}
        self.tokens = TokenStore(
            self.clock,
            access_ttl=config.access_token_ttl,
            refresh_ttl=config.refresh_token_ttl,
            code_ttl=config.code_ttl,
        )
        self.stats = Stats()
        # Switches that `/_sandbox/` may change while the sandbox runs.
        self.revoke_refresh_on_use = config.revoke_refresh_on_use
        self.delete_absent_ok = config.delete_absent_ok
        self.auto_approve = config.auto_approve
        self.rate_policy: RatePolicy | None = config.rate_limit
        self.faults: Faults = config.faults
