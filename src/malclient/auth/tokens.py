"""Tokens: the access/refresh pair with absolute expiries, and a tolerant reader of MAL's JWTs.

Reads the clock only through a `now` argument (default: `time.time()`); does no I/O.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from malclient._exceptions import UnexpectedTokenResponse
from malclient.auth.errors import token_error

# MAL's refresh tokens live 31 days from issue (SPEC 2.5 "Lifetimes"); MAL never says so in a
# response, so refresh expiry is an estimate from the issue time.
REFRESH_TOKEN_LIFETIME = 31 * 24 * 3600.0
# The only token type MAL issues (SPEC 2.5).
BEARER = "Bearer"
# Far more than MAL's ~1,000-byte JWTs; a bigger "token" is not worth decoding.
_MAX_JWT_LENGTH = 16_384


@dataclass(frozen=True)
class AccessTokenClaims:
    """What MAL's access-token JWT says about itself (SPEC 2.5 [INF]); None where it is silent."""

    client_id: str | None  # `aud`
    user_id: int | None  # `sub`
    issued_at: float | None  # `iat`
    expires_at: float | None  # `exp`


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def decode_access_token(token: str) -> AccessTokenClaims | None:
    """Read the claims of a JWT access token without checking its signature; None if not a JWT.

    Only for what a token says about itself (expiry, client, user) when nothing else does, as
    with a Kometa block that stores no issue time (SPEC 10). Never a proof of anything.
    """
    if not isinstance(token, str) or len(token) > _MAX_JWT_LENGTH or token.count(".") != 2:
        return None
    try:
        claims = json.loads(_b64url(token.split(".")[1]))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(claims, dict):
        return None
    audience = claims.get("aud")
    if isinstance(audience, list):
        audience = next((item for item in audience if isinstance(item, str)), None)
    subject = claims.get("sub")
    user_id: int | None = None
    if isinstance(subject, str) and subject.isascii() and subject.isdigit():
        user_id = int(subject)
    elif isinstance(subject, int) and not isinstance(subject, bool):
        user_id = subject
    return AccessTokenClaims(
        client_id=audience if isinstance(audience, str) and audience else None,
        user_id=user_id,
        issued_at=_number(claims.get("iat")),
        expires_at=_number(claims.get("exp")),
    )


@dataclass(frozen=True, repr=False)
class Token:
    """An access/refresh pair with absolute times, so "is it stale?" needs only the clock.

    `expires_in` is kept as MAL sent it (Kometa's block stores it raw, SPEC 10); `expires_at`
    is absolute. `refresh_expires_at` is an estimate (31 days from issue) or None when the issue
    time is unknown. `repr()` never shows the token values.
    """

    access_token: str
    refresh_token: str
    expires_in: int
    expires_at: float
    token_type: str = BEARER
    issued_at: float | None = None
    refresh_expires_at: float | None = None
    client_id: str | None = None

    @classmethod
    def from_response(
        cls,
        body: Mapping[str, Any],
        *,
        now: float | None = None,
        client_id: str | None = None,
        refresh_lifetime: float = REFRESH_TOKEN_LIFETIME,
    ) -> Token:
        """A token from a decoded token-endpoint success body, issued at `now`."""
        access = body.get("access_token")
        refresh = body.get("refresh_token")
        token_type = body.get("token_type", BEARER)
        expires_in = _number(body.get("expires_in"))
        if not (
            isinstance(access, str)
            and access
            and isinstance(refresh, str)
            and refresh
            and isinstance(token_type, str)
            and expires_in is not None
            and expires_in >= 0
        ):
            missing = [
                name
                for name, value in (("access_token", access), ("refresh_token", refresh))
                if not isinstance(value, str) or not value
            ]
            if expires_in is None or expires_in < 0:
                missing.append("expires_in")
            if not isinstance(token_type, str):
                missing.append("token_type")
            raise UnexpectedTokenResponse(
                "MyAnimeList's token endpoint reported success but sent no usable "
                + ", ".join(missing)
                + ". Try again; if it persists, MAL's answer format has changed."
            )
        issued = time.time() if now is None else float(now)
        claims = decode_access_token(access)
        return cls(
            access_token=access,
            refresh_token=refresh,
            token_type=token_type,
            expires_in=int(expires_in),
            expires_at=issued + expires_in,
            issued_at=issued,
            refresh_expires_at=issued + refresh_lifetime,
            client_id=client_id or (claims.client_id if claims else None),
        )

    @classmethod
    def from_stored(
        cls,
        *,
        access_token: str,
        refresh_token: str,
        expires_in: int,
        token_type: str = BEARER,
        issued_at: float | None = None,
        client_id: str | None = None,
        now: float | None = None,
        refresh_lifetime: float = REFRESH_TOKEN_LIFETIME,
    ) -> Token:
        """A token loaded from storage, such as Kometa's `authorization` block.

        Kometa keeps only `expires_in` (SPEC 10), so the times come from, in order: `issued_at`
        when the store kept one, else the JWT's `iat`/`exp` claims. With neither, the age is
        unknown: the token counts as expired now (refresh before use) and its refresh expiry
        as unknown.
        """
        claims = decode_access_token(access_token)
        issued = issued_at
        if issued is None and claims is not None:
            if claims.issued_at is not None:
                issued = claims.issued_at
            elif claims.expires_at is not None:
                issued = claims.expires_at - expires_in
        if claims is not None and claims.expires_at is not None:
            expires_at = claims.expires_at  # the token's own word beats arithmetic
        elif issued is not None:
            expires_at = issued + expires_in
        else:
            expires_at = time.time() if now is None else now
        return cls(
            access_token=access_token,
            refresh_token=refresh_token,
            token_type=token_type,
            expires_in=int(expires_in),
            expires_at=expires_at,
            issued_at=issued,
            refresh_expires_at=None if issued is None else issued + refresh_lifetime,
            client_id=client_id or (claims.client_id if claims else None),
        )

    @property
    def claims(self) -> AccessTokenClaims | None:
        """The access token's own claims, when it is a JWT (MAL's are)."""
        return decode_access_token(self.access_token)

    @property
    def authorization(self) -> str:
        """The `Authorization` header value for API calls (SPEC 3.1)."""
        return f"Bearer {self.access_token}"

    def expired(self, now: float | None = None, margin: float = 0.0) -> bool:
        """True when the access token is expired, or will be within `margin` seconds."""
        moment = time.time() if now is None else now
        return moment + margin >= self.expires_at

    def refresh_expired(self, now: float | None = None, margin: float = 0.0) -> bool:
        """True when the refresh token is (estimated) expired within `margin`; False if unknown.

        Use a margin of days to warn a weekly job before its tokens die (issue 3, part 4).
        """
        if self.refresh_expires_at is None:
            return False
        moment = time.time() if now is None else now
        return moment + margin >= self.refresh_expires_at

    def to_kometa(self) -> dict[str, str | int]:
        """The four keys of Kometa's `authorization` block, in its order (SPEC 10)."""
        return {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
        }

    def __repr__(self) -> str:
        return (
            f"Token(token_type={self.token_type!r}, expires_in={self.expires_in!r}, "
            f"expires_at={self.expires_at!r}, issued_at={self.issued_at!r}, "
            f"refresh_expires_at={self.refresh_expires_at!r}, client_id={self.client_id!r}, "
            "access_token=<hidden>, refresh_token=<hidden>)"
        )


def parse_token_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str] | None = None,
    *,
    now: float | None = None,
    client_id: str | None = None,
    refresh_lifetime: float = REFRESH_TOKEN_LIFETIME,
) -> Token:
    """The token in a token-endpoint answer, or the typed error it stands for.

    `now` should be read when the request was sent: a token is never younger than the request.
    """
    if not 200 <= status < 300:
        raise token_error(status, body, headers)
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError):
        decoded = None
    if not isinstance(decoded, dict):
        # Never quote the body: a half-broken success may still hold a token.
        raise UnexpectedTokenResponse(
            f"MyAnimeList's token endpoint answered HTTP {status} but not with the JSON token "
            "it sends on success (a proxy or captive portal may be in the way). Try again later.",
            status=status,
        )
    return Token.from_response(
        decoded, now=now, client_id=client_id, refresh_lifetime=refresh_lifetime
    )
