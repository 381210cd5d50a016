"""Shared by the store tests: tokens shaped like MAL's, and sandbox users beyond alice/bob/carol
(passed to `SandboxConfig(users=...)`, which gives each a small generated list)."""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any

import httpx2

from malclient.auth import Token
from malclient.sandbox import WEB_APP
from malclient.sandbox.config import SandboxUser
from tokens_support import sign_in

CLIENT_ID = WEB_APP.client_id
FIRST_USER_ID = 8_100_000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_token(
    user_id: int, client_id: str = CLIENT_ID, *, lifetime: float = 3600, now: float | None = None
) -> Token:
    """A token pair shaped like MAL's: a JWT access token naming the client and the user."""
    issued = time.time() if now is None else now
    claims = {"aud": client_id, "sub": str(user_id), "iat": int(issued), "exp": int(issued) + 3600}
    access = ".".join(
        (
            _b64(json.dumps({"typ": "JWT", "alg": "RS256"}).encode()),
            _b64(json.dumps(claims).encode()),
            _b64(secrets.token_bytes(64)),
        )
    )
    return Token(
        access_token=access,
        refresh_token="def50200" + secrets.token_hex(40),
        expires_in=int(lifetime),
        expires_at=issued + lifetime,
        issued_at=issued,
        refresh_expires_at=issued + 31 * 86400,
        client_id=client_id,
    )


def extra_users(count: int) -> tuple[SandboxUser, ...]:
    """`count` more sandbox accounts (user1, user2, ...) for `SandboxConfig(users=...)`."""
    return tuple(
        SandboxUser(id=FIRST_USER_ID + n, name=f"user{n}", password=f"user{n}-sandbox")
        for n in range(1, count + 1)
    )


def sign_in_as(origin: str, name: str) -> Token:
    """The real sign-in (authorize, redirect, code exchange), approved at once as `name`."""
    answer = httpx2.post(f"{origin}/_sandbox/settings", json={"auto_approve": name})
    assert answer.status_code == 200, answer.text
    return sign_in(origin)


def stats(origin: str) -> dict[str, Any]:
    answer = httpx2.get(f"{origin}/_sandbox/stats")
    assert answer.status_code == 200
    result: dict[str, Any] = answer.json()
    return result
