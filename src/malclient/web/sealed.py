"""A sign-in between its two requests, carried by the browser in a sealed cookie.

Owns the flow record and its sealing (AES-GCM, a per-process key or one from MAL_WEB_KEY). Must
not keep anything: the server holds no flow between requests, so a cookie is the only copy.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from malclient._exceptions import ConfigError
from malclient.auth import CODE_TTL, PendingAuthorization

__all__ = [
    "COOKIE_PREFIX",
    "KEY_ENV",
    "Flow",
    "FlowError",
    "FlowExpired",
    "FlowNotFound",
    "FlowUnreadable",
    "Mode",
    "Sealer",
    "flow_id",
    "key_from_text",
]

KEY_ENV = "MAL_WEB_KEY"
COOKIE_PREFIX = "malweb_"
_NONCE = 12
_VERSION = 1
_MIN_KEY_TEXT = 32
# A flow is a few hundred bytes; anything much bigger is not ours.
_MAX_COOKIE = 3000

# "callback": MAL sends the browser back to this page. "paste": MAL sends it to the app's own
# redirect URL (Kometa's http://localhost/), and the user pastes that address here.
Mode = Literal["callback", "paste"]


class FlowError(Exception):
    """This request cannot continue a sign-in; `title` and the message say why and what to do."""

    title = "This sign-in cannot be finished"


class FlowNotFound(FlowError):
    def __init__(self) -> None:
        super().__init__(
            "No sign-in in progress in this browser matches this address. Each sign-in can be "
            "finished once (reloading a finished one lands here), within 10 minutes, in the "
            "browser and at the address of this page where it was started. Start again."
        )


class FlowExpired(FlowError):
    title = "This sign-in took too long"

    def __init__(self) -> None:
        super().__init__(
            "This sign-in was started more than 10 minutes ago, and MyAnimeList's codes do not "
            "live longer than that. Start again and finish within 10 minutes."
        )


class FlowUnreadable(FlowError):
    def __init__(self) -> None:
        super().__init__(
            "This sign-in's data cannot be read: the page was restarted since it began (it "
            f"gets a new key at each start unless {KEY_ENV} is set), or the cookie was altered. "
            "Start again."
        )


@dataclass(frozen=True, repr=False)
class Flow:
    """What the second step needs: the pending sign-in, the app's secret, how it comes back."""

    pending: PendingAuthorization
    client_secret: str | None
    mode: Mode

    @property
    def id(self) -> str:
        return flow_id(self.pending.state or "")

    def __repr__(self) -> str:
        secret = "None" if self.client_secret is None else "<hidden>"
        return f"Flow(pending={self.pending!r}, client_secret={secret}, mode={self.mode!r})"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def flow_id(state: str) -> str:
    """The cookie-name part for the flow whose `state` this is (the state itself stays out)."""
    return _b64(hashlib.sha256(state.encode()).digest()[:16])


def key_from_text(text: str) -> bytes:
    """A 256-bit key from MAL_WEB_KEY, so several instances (or a restart) share cookies."""
    if len(text.strip()) < _MIN_KEY_TEXT:
        raise ConfigError(
            f"{KEY_ENV} must be at least {_MIN_KEY_TEXT} random characters; make one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"malclient web flow v1")
    return hkdf.derive(text.strip().encode())


class Sealer:
    """Seals flows into cookie values and opens them: encrypted, authenticated, short-lived.

    Each cookie is named after its flow (`COOKIE_PREFIX` + `flow_id(state)`), and the name is
    authenticated with the value, so a cookie cannot be moved to another flow. Flows expire
    `ttl` seconds after they start (MAL's code lifetime, SPEC 2.5). Holds only its key.
    """

    def __init__(
        self,
        key: bytes | None = None,
        *,
        ttl: float = CODE_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if key is not None and len(key) != 32:
            raise ValueError("the flow key must be 32 bytes")
        self._aead = AESGCM(key if key is not None else AESGCM.generate_key(bit_length=256))
        self.ttl = ttl
        self._clock = clock

    @staticmethod
    def cookie_name(state: str) -> str:
        return COOKIE_PREFIX + flow_id(state)

    def seal(self, flow: Flow) -> tuple[str, str]:
        """The cookie (name, value) that carries `flow`."""
        if flow.pending.state is None:
            raise ValueError("a web sign-in always sends a state")
        created = flow.pending.created_at
        record = {
            "v": _VERSION,
            "exp": (self._clock() if created is None else created) + self.ttl,
            "mode": flow.mode,
            "secret": flow.client_secret,
            "pending": flow.pending.to_dict(),
        }
        name = self.cookie_name(flow.pending.state)
        nonce = os.urandom(_NONCE)
        plain = json.dumps(record, separators=(",", ":")).encode()
        return name, _b64(nonce + self._aead.encrypt(nonce, plain, name.encode()))

    def open(self, name: str, value: str) -> Flow:
        """The flow in a cookie; FlowUnreadable if it was altered or sealed with another key,
        FlowExpired once its time is up."""
        try:
            if len(value) > _MAX_COOKIE:
                raise ValueError
            raw = _unb64(value)
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], name.encode())
            record = json.loads(plain)
            expires = float(record["exp"])
            mode = record["mode"]
            secret = record["secret"]
            pending = PendingAuthorization.from_dict(record["pending"])
            if (
                record.get("v") != _VERSION
                or mode not in ("callback", "paste")
                or not (secret is None or isinstance(secret, str))
                or pending.state is None
                or self.cookie_name(pending.state) != name
            ):
                raise ValueError
        except (InvalidTag, ValueError, KeyError, TypeError, binascii.Error, ConfigError):
            raise FlowUnreadable() from None
        if self._clock() >= expires:
            raise FlowExpired()
        return Flow(pending=pending, client_secret=secret, mode=mode)
