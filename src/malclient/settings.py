"""Where malclient's settings come from: command-line flags, then environment, then config file.

One place decides precedence so the CLI, the client and the web page agree. No network I/O;
reading the config file is delegated to `config.py`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from malclient._exceptions import ConfigError
from malclient._ratelimit import DEFAULT_RATE, parse_rate
from malclient.auth import DEFAULT_AUTH_URL, App
from malclient.config import MalSettings, read_settings, resolve_config_path

DEFAULT_API_URL = "https://api.myanimelist.net/v2"


def _url(value: str) -> str:
    value = value.strip().rstrip("/")
    if not value.startswith(("https://", "http://")):
        raise ConfigError(
            f"{value!r} is not an http(s) address: give a URL such as {DEFAULT_API_URL}."
        )
    return value


@dataclass(frozen=True, repr=False)
class Settings:
    """Resolved settings for one run. `repr()` hides the secret."""

    config_path: Path
    file: MalSettings
    client_id: str | None
    client_secret: str | None
    auth_url: str
    api_url: str
    # Requests per second for clients built from these settings; None = unpaced (`MAL_RATE=0`).
    rate: float | None = DEFAULT_RATE

    @classmethod
    def resolve(
        cls,
        *,
        config: str | os.PathLike[str] | None = None,
        sandbox: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        rate: str | float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Settings:
        """Flags win over `MAL_*` variables, which win over the config file's `mal:` block.

        `sandbox` (an origin such as `http://127.0.0.1:8765`) is shorthand for
        `MAL_AUTH_URL=<origin>/v1/oauth2` and `MAL_API_URL=<origin>/v2`.
        `rate` (else `MAL_RATE`) is requests per second, `0`/`off` for none; unset, the default.
        """
        env = os.environ if env is None else env
        path = resolve_config_path(config, env)
        file = read_settings(path)
        if sandbox:
            origin = _url(sandbox)
            auth_url, api_url = f"{origin}/v1/oauth2", f"{origin}/v2"
        else:
            auth_url = _url(env.get("MAL_AUTH_URL") or DEFAULT_AUTH_URL)
            api_url = _url(env.get("MAL_API_URL") or DEFAULT_API_URL)
        return cls(
            config_path=path,
            file=file,
            client_id=client_id or env.get("MAL_CLIENT_ID") or file.client_id or None,
            client_secret=client_secret
            or env.get("MAL_CLIENT_SECRET")
            or file.client_secret
            or None,
            auth_url=auth_url,
            api_url=api_url,
            rate=parse_rate(rate) if rate is not None else parse_rate(env.get("MAL_RATE")),
        )

    def app(self, redirect_uri: str | None = None) -> App:
        """The app to sign in with; a clear error when no client id is known."""
        if not self.client_id:
            raise ConfigError(
                "No client id: set MAL_CLIENT_ID, pass --client-id, or add `client_id:` to the "
                f"`mal:` block of {self.config_path}. Create one at https://myanimelist.net/apiconfig."
            )
        return App(
            client_id=self.client_id,
            client_secret=self.client_secret,
            redirect_uri=redirect_uri,
            auth_url=self.auth_url,
        )

    def __repr__(self) -> str:
        return (
            f"Settings(config_path={self.config_path!r}, client_id={self.client_id!r}, "
            f"client_secret={'***' if self.client_secret else None}, auth_url={self.auth_url!r}, "
            f"api_url={self.api_url!r}, rate={self.rate!r})"
        )
