"""Shared by the token and session tests: a real sandbox, the real sign-in, a Kometa config.

Tokens come from the sign-in a user goes through (authorize URL, redirect, code exchange) with
the sandbox approving as alice at once; nothing is minted behind the sandbox's back.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import httpx2

from malclient.auth import App, Token, parse_token_response
from malclient.sandbox import WEB_APP, SandboxConfig

# An hour, as MAL's guide documents: lets a test expire the access token while the refresh
# token (31 days) stays good.
ACCESS_TTL = 3600


def sandbox_config(**changes: Any) -> SandboxConfig:
    base = SandboxConfig(
        anime_count=60, manga_count=20, auto_approve="alice", access_token_ttl=ACCESS_TTL
    )
    return dataclasses.replace(base, **changes)


def web_app(origin: str, **changes: Any) -> App:
    app = App(WEB_APP.client_id, WEB_APP.client_secret, auth_url=f"{origin}/v1/oauth2")
    return dataclasses.replace(app, **changes)


def sign_in(origin: str, app: App | None = None) -> Token:
    """The whole sign-in: open the authorize URL, take the code from the redirect, exchange it."""
    app = app or web_app(origin)
    pending = app.start_authorization()
    with httpx2.Client() as http:
        answer = http.get(pending.authorize_url, follow_redirects=False)
        assert answer.status_code == 302, answer.text
        callback = pending.accept(answer.headers["location"])
        request = app.token_request(pending, callback)
        answer = http.post(request.url, content=request.body(), headers=dict(request.headers))
    return parse_token_response(
        answer.status_code, answer.content, answer.headers, client_id=app.client_id
    )


def advance(origin: str, seconds: float) -> None:
    """Move the sandbox's clock: its tokens age, ours (by the local clock) do not."""
    answer = httpx2.post(f"{origin}/_sandbox/clock", json={"advance": seconds})
    assert answer.status_code == 200, answer.text


def stats(origin: str) -> dict[str, Any]:
    answer = httpx2.get(f"{origin}/_sandbox/stats")
    assert answer.status_code == 200
    result: dict[str, Any] = answer.json()
    return result


def refresh_grants(origin: str) -> int:
    return int(stats(origin)["grants"].get("refresh_token", 0))


def token_requests(origin: str) -> int:
    """Every request to the token endpoint, refused ones included."""
    return int(stats(origin)["requests"].get("token", 0))


def sandbox_settings(origin: str, **settings: Any) -> None:
    answer = httpx2.post(f"{origin}/_sandbox/settings", json=settings)
    assert answer.status_code == 200, answer.text


KOMETA_CONFIG = """\
## Kometa configuration (abridged)
libraries:
  Anime:
    collection_files:
      - default: basic
plex:
  url: http://192.168.1.12:32400
  token: ####################
mal:
  client_id: {client_id}
  client_secret: {client_secret}
  localhost_url:
  authorization:
    access_token:
    token_type:
    expires_in:
    refresh_token:
"""


def kometa_config(directory: Path) -> Path:
    """A Kometa-style config holding the sandbox web app's credentials and no tokens yet."""
    path = directory / "config.yml"
    path.write_text(
        KOMETA_CONFIG.format(client_id=WEB_APP.client_id, client_secret=WEB_APP.client_secret),
        encoding="utf-8",
    )
    return path
