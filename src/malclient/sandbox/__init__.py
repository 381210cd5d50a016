"""A faithful local MyAnimeList: OAuth server and API v2 in one ASGI app (`mal sandbox`)."""

from malclient.sandbox.app import SandboxApp, create_app
from malclient.sandbox.config import (
    PUBLIC_APP,
    USERS,
    WEB_APP,
    Faults,
    RatePolicy,
    RegisteredApp,
    SandboxConfig,
    SandboxUser,
)

__all__ = [
    "PUBLIC_APP",
    "USERS",
    "WEB_APP",
    "Faults",
    "RatePolicy",
    "RegisteredApp",
    "SandboxApp",
    "SandboxConfig",
    "SandboxUser",
    "create_app",
]
