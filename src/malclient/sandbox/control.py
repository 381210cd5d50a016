"""`/_sandbox/`: introspection and run-time switches for tests and benchmarks (not on real MAL)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
