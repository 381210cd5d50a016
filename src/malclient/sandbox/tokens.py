"""Authorization codes, access tokens and refresh tokens, held in memory by the sandbox clock.

Shapes follow SPEC 2.4/2.5: codes and refresh tokens are long opaque strings (MAL's are ~1,000
bytes of encrypted blob), access tokens are JWTs with MAL's claims. The sandbox never verifies a
signature: a token is valid when this store knows it, which is also how revocation works.
This module keeps records only; which request may use them is decided in `oauth.py`.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass

from malclient.sandbox.clock import Clock


@dataclass
class AuthCode:
    value: str
    client_id: str
    user: str
    redirect_uri: str | None  # as sent to /authorize; None when it was omitted
    challenge: str
    expires_at: float
    used: bool = False
    # Recorded but never used to transform the verifier: MAL compares plainly (SPEC 2.2).
    challenge_method: str = "plain"

    def expired(self, now: float) -> bool:
        # The server library's test is `time() > expire_time` (SPEC 2.5, [INF]).
        return now > self.expires_at


@dataclass
class AccessToken:
    value: str
    client_id: str
    user: str
    expires_at: float
    revoked: bool = False


@dataclass
class RefreshToken:
    value: str
    client_id: str
    user: str
    access_token: str
    expires_at: float
    revoked: bool = False

    def expired(self, now: float) -> bool:
        return now > self.expires_at


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TokenStore:
    def __init__(self, clock: Clock, *, access_ttl: int, refresh_ttl: int, code_ttl: int) -> None:
        self.clock = clock
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.code_ttl = code_ttl
        # Used and expired codes are kept: MAL still recognises them (5c/5d, not 5b; SPEC 2.5).
        self.codes: dict[str, AuthCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}

    def new_code(
        self,
        client_id: str,
        user: str,
        redirect_uri: str | None,
        challenge: str,
        challenge_method: str = "plain",
    ) -> AuthCode:
        # ~1,000 characters, like MAL's encrypted codes, so clients that truncate codes fail here.
        code = AuthCode(
            value="def50200" + secrets.token_hex(496),
            client_id=client_id,
            user=user,
            redirect_uri=redirect_uri,
            challenge=challenge,
            expires_at=self.clock.now() + self.code_ttl,
            challenge_method=challenge_method,
        )
        self.codes[code.value] = code
        return code

    def code(self, value: str) -> AuthCode | None:
        return self.codes.get(value)

    def issue(self, client_id: str, user: str, user_id: int) -> tuple[AccessToken, RefreshToken]:
        """A new access/refresh pair for `user` of `client_id`."""
        now = self.clock.now()
        jti = secrets.token_hex(40)
        header = {"typ": "JWT", "alg": "RS256", "jti": jti}
        claims = {
            "aud": client_id,
            "jti": jti,
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now + self.access_ttl),
            "sub": str(user_id),
            "scopes": [],
        }
        jwt = ".".join(
            (
                _b64(json.dumps(header, separators=(",", ":")).encode()),
                _b64(json.dumps(claims, separators=(",", ":")).encode()),
                _b64(secrets.token_bytes(256)),  # stands in for an RS256 signature
            )
        )
        access = AccessToken(jwt, client_id, user, now + self.access_ttl)
        refresh = RefreshToken(
            "def50200" + secrets.token_hex(480), client_id, user, jwt, now + self.refresh_ttl
        )
        self.access_tokens[access.value] = access
        self.refresh_tokens[refresh.value] = refresh
        return access, refresh

    def redeem(self, code: AuthCode, user_id: int) -> tuple[AccessToken, RefreshToken]:
        """Exchange a checked code for a token pair; the code is spent (single use, SPEC 2.5)."""
        code.used = True
        return self.issue(code.client_id, code.user, user_id)

    def rotate(
        self, old: RefreshToken, user_id: int, *, revoke_refresh: bool
    ) -> tuple[AccessToken, RefreshToken]:
        """A new pair for a checked refresh token (SPEC 2.5 "Refresh semantics").

        The access token issued with `old` is always revoked; `old` itself only when
        `revoke_refresh` (the guide keeps it usable until it expires, the library revokes it).
        """
        paired = self.access_tokens.get(old.access_token)
        if paired is not None:
            paired.revoked = True
        if revoke_refresh:
            old.revoked = True
        return self.issue(old.client_id, old.user, user_id)

    def access(self, value: str) -> AccessToken | None:
        return self.access_tokens.get(value)

    def refresh(self, value: str) -> RefreshToken | None:
        return self.refresh_tokens.get(value)

    def revoke_user(self, user: str, client_id: str | None = None) -> int:
        """Revoke every token of a user (as when they remove the app on MAL). Returns a count."""
        count = 0
        tokens: list[AccessToken | RefreshToken] = [
            *self.access_tokens.values(),
            *self.refresh_tokens.values(),
        ]
        for token in tokens:
            if token.user == user and client_id in (None, token.client_id) and not token.revoked:
                token.revoked = True
                count += 1
        return count
