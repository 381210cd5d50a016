"""MAL's API v2: the 18 endpoints of SPEC 4 under /v2."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
