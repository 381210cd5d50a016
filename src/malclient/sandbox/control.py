"""`/_sandbox/`: introspection and run-time switches for tests and benchmarks.

None of this exists on the real MAL, so it lives only under this prefix, answers plain JSON, and
is never rate-limited, faulted or counted. It has no authentication: the sandbox binds to
loopback by default and holds no real accounts.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from malclient.sandbox.config import Faults, RatePolicy, RegisteredApp
from malclient.sandbox.state import SandboxState


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def _problem(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_body(request: Request) -> dict[str, Any] | JSONResponse:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return _problem("the body must be a JSON object")
    if not isinstance(body, dict):
        return _problem("the body must be a JSON object")
    return body


def _app_json(app: RegisteredApp) -> dict[str, Any]:
    return {
        "name": app.name,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "redirect_uris": list(app.redirect_uris),
        "type": "public" if app.is_public else "web",
    }


def _settings(state: SandboxState) -> dict[str, Any]:
    policy, faults = state.rate_policy, state.faults
    return {
        "revoke_refresh_on_use": state.revoke_refresh_on_use,
        "delete_absent_ok": state.delete_absent_ok,
        "auto_approve": state.auto_approve,
        "rate_limit": None if policy is None else policy.__dict__,
        "faults": {
            "status": {str(code): p for code, p in faults.status},
            "slow": faults.slow,
            "slow_seconds": faults.slow_seconds,
            "drop": faults.drop,
            "truncate": faults.truncate,
            "seed": faults.seed,
        },
        "access_token_ttl": state.config.access_token_ttl,
        "refresh_token_ttl": state.config.refresh_token_ttl,
        "code_ttl": state.config.code_ttl,
    }


async def index(request: Request) -> Response:
    state = _state(request)
    return JSONResponse(
        {
            "now": state.clock.now(),
            "seed": state.config.seed,
            "apps": [_app_json(app) for app in state.apps.values()],
            "users": [
                {"id": u.account.id, "name": u.account.name, "password": u.account.password}
                for u in state.catalogue.users.values()
            ],
            "settings": _settings(state),
        }
    )


async def stats(request: Request) -> Response:
    return JSONResponse(_state(request).stats.snapshot())


async def stats_reset(request: Request) -> Response:
    state = _state(request)
    state.stats.reset()
    return JSONResponse(state.stats.snapshot())


async def clock(request: Request) -> Response:
    """GET: the sandbox time. POST {"advance": seconds}: move it forward."""
    state = _state(request)
    if request.method == "POST":
        body = await _json_body(request)
        if isinstance(body, JSONResponse):
            return body
        advance = body.get("advance")
        if not isinstance(advance, int | float) or isinstance(advance, bool) or advance < 0:
            return _problem('send {"advance": seconds} with a number of seconds >= 0')
        state.clock.advance(float(advance))
    return JSONResponse({"now": state.clock.now()})


async def settings(request: Request) -> Response:
    """GET: current switches. POST: change any of them; keys left out stay as they are.

    `rate_limit` and `faults` take the same text as the `mal sandbox` flags (null/"" turns off).
    """
    state = _state(request)
    if request.method == "POST":
        body = await _json_body(request)
        if isinstance(body, JSONResponse):
            return body
        unknown = set(body) - {
            "revoke_refresh_on_use",
            "delete_absent_ok",
            "auto_approve",
            "rate_limit",
            "faults",
        }
        if unknown:
            return _problem(f"unknown settings: {', '.join(sorted(unknown))}")
        try:
            for flag in ("revoke_refresh_on_use", "delete_absent_ok"):
                if flag in body:
                    if not isinstance(body[flag], bool):
                        return _problem(f"{flag} must be true or false")
                    setattr(state, flag, body[flag])
            if "auto_approve" in body:
                user = body["auto_approve"]
                if user is not None and str(user).lower() not in state.catalogue.users:
                    return _problem(f"auto_approve: no sandbox user named {user!r}")
                state.auto_approve = None if user is None else str(user)
            if "rate_limit" in body:
                spec = body["rate_limit"]
                state.rate_policy = RatePolicy.parse(spec) if spec else None
            if "faults" in body:
                state.faults = Faults.parse(body["faults"] or "")
        except (ValueError, TypeError) as exc:
            return _problem(str(exc))
    return JSONResponse(_settings(state))


async def apps(request: Request) -> Response:
    """GET: registered apps. POST: register one (what /apiconfig does on MAL).

    Body: {"redirect_uris": [...], "type": "web"|"public", optional "client_id",
    "client_secret", "name"}. Ids and secrets are generated in MAL's shapes when not given.
    """
    state = _state(request)
    if request.method == "POST":
        body = await _json_body(request)
        if isinstance(body, JSONResponse):
            return body
        uris = body.get("redirect_uris")
        kind = body.get("type", "web")
        if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
            return _problem("redirect_uris must be a non-empty list of URLs")
        if kind not in ("web", "public"):
            return _problem('type must be "web" or "public"')
        secret = body.get("client_secret") or secrets.token_hex(32)
        app = RegisteredApp(
            client_id=str(body.get("client_id") or secrets.token_hex(16)),
            client_secret=None if kind == "public" else str(secret),
            redirect_uris=tuple(uris),
            name=str(body.get("name") or "Registered app"),
        )
        state.apps[app.client_id] = app
        return JSONResponse(_app_json(app), status_code=201)
    return JSONResponse([_app_json(app) for app in state.apps.values()])


async def revoke(request: Request) -> Response:
    """Revoke a user's tokens, as when they remove the app on MAL's website."""
    state = _state(request)
    name = request.path_params["user"]
    if name.lower() not in state.catalogue.users:
        return _problem(f"no sandbox user named {name!r}", 404)
    client_id = request.query_params.get("client_id")
    count = state.tokens.revoke_user(state.catalogue.users[name.lower()].account.name, client_id)
    return JSONResponse({"revoked": count})


routes: list[BaseRoute] = [
    Route("/_sandbox/", index),
    Route("/_sandbox/stats", stats),
    Route("/_sandbox/stats/reset", stats_reset, methods=["POST"]),
    Route("/_sandbox/clock", clock, methods=["GET", "POST"]),
    Route("/_sandbox/settings", settings, methods=["GET", "POST"]),
    Route("/_sandbox/apps", apps, methods=["GET", "POST"]),
    Route("/_sandbox/users/{user}/revoke", revoke, methods=["POST"]),
]
