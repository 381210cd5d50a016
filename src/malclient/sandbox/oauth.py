"""MAL's authorization server: /v1/oauth2/authorize (login + consent page) and /v1/oauth2/token."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
