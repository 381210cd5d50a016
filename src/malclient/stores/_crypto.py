"""Optional encryption of the token columns, so a database dump alone opens no MAL account.
Owns the key format (`MAL_TOKEN_KEY`), AES-256-GCM sealing and opening; does no database work.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from malclient.stores._errors import TokenKeyError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["KEY_ENV", "TokenCipher", "generate_key", "is_sealed"]

KEY_ENV = "MAL_TOKEN_KEY"
# Sealed values look like `mal1:<key id>:<base64url(nonce + ciphertext + tag)>`. MAL's tokens
# never start this way (access tokens are JWTs, `eyJ...`; refresh tokens `def50200...`), so a
# column may hold either form while a database moves to encryption.
_PREFIX = "mal1:"
_NONCE_BYTES = 12
_KEY_BYTES = 32


def generate_key() -> str:
    """A new random key in the form `MAL_TOKEN_KEY` expects (32 bytes, URL-safe base64)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(_KEY_BYTES)).decode("ascii")


def is_sealed(value: str) -> bool:
    return value.startswith(_PREFIX)


def _key_id(key: bytes) -> str:
    # Names a key without revealing it, so a row can say which key sealed it.
    return hashlib.sha256(b"malclient token key id:" + key).hexdigest()[:8]


def _decode_key(text: str, position: int) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != _KEY_BYTES:
        raise TokenKeyError(
            f"Key {position} in {KEY_ENV} is not a token key: it must be 32 random bytes in "
            "URL-safe base64 (44 characters). Make one with "
            '`python -c "from malclient.stores import generate_key; print(generate_key())"`.'
        )
    return key


class TokenCipher:
    """Seals token values with AES-256-GCM under the first key; opens with any key listed.

    Several keys (`MAL_TOKEN_KEY=new,old`) let a deployment rotate: rows sealed with the old
    key stay readable, and `reencrypt()` on a store moves them to the new one. Each value is
    bound to its row and column (associated data), so a ciphertext copied into another user's
    row does not open. `repr()` never shows a key.
    """

    def __init__(self, keys: Sequence[str]) -> None:
        texts = [key for key in keys if key.strip()]
        if not texts:
            raise TokenKeyError(f"{KEY_ENV} is set but holds no key.")
        try:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        except ImportError:  # pragma: no cover - depends on the installed extras
            raise TokenKeyError(
                "Encrypting tokens needs the `cryptography` package: "
                "pip install 'malclient[encryption]'."
            ) from None
        decoded = [_decode_key(text, n) for n, text in enumerate(texts, 1)]
        self._ciphers: dict[str, AESGCM] = {}
        for key in decoded:
            self._ciphers.setdefault(_key_id(key), AESGCM(key))
        self.key_id = _key_id(decoded[0])
        self.key_ids = tuple(self._ciphers)

    @classmethod
    def from_text(cls, text: str) -> TokenCipher:
        """Keys as `MAL_TOKEN_KEY` holds them: one, or several separated by commas."""
        return cls(text.split(","))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TokenCipher | None:
        """The cipher `MAL_TOKEN_KEY` describes, or None when it is unset or empty."""
        text = (os.environ if env is None else env).get(KEY_ENV, "")
        return cls.from_text(text) if text.strip() else None

    def seal(self, value: str, context: str) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._ciphers[self.key_id].encrypt(nonce, value.encode("utf-8"), context.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
        return f"{_PREFIX}{self.key_id}:{body}"

    def open(self, value: str, context: str, where: str) -> str:
        """The token sealed in `value`; `where` names the row in errors (never the value)."""
        from cryptography.exceptions import InvalidTag

        key_id, _, body = value[len(_PREFIX) :].partition(":")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise TokenKeyError(
                f"The tokens of {where} were encrypted with a key (id {key_id}) that is not in "
                f"{KEY_ENV} (key ids {', '.join(self.key_ids)}): add that key to {KEY_ENV} "
                "(keys are separated by commas, the first one encrypts)."
            )
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            opened = cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode())
            return opened.decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError, UnicodeDecodeError):
            raise TokenKeyError(
                f"The tokens of {where} do not decrypt with the key of id {key_id}: the stored "
                "value was altered or copied from another row. That user must sign in again."
            ) from None

    def __repr__(self) -> str:
        return f"TokenCipher(key_ids={self.key_ids!r})"
