"""PKCE for MAL: the code verifier, its `plain` challenge, and the sign-in `state`.

Owns the sign-in's randomness (from `secrets` only); does no I/O.
"""

from __future__ import annotations

import hmac
import re
import secrets
import string

# RFC 7636's unreserved characters, which MAL's server checks (SPEC 2.2).
UNRESERVED = string.ascii_letters + string.digits + "-._~"
MIN_VERIFIER_LENGTH = 43
MAX_VERIFIER_LENGTH = 128
DEFAULT_VERIFIER_LENGTH = 128
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")

# Kometa's documented manual flow gives every user this same verifier (SPEC 10). It is public:
# anyone who sees a code obtained with it can redeem that code. Kept so such codes still complete.
KOMETA_FIXED_VERIFIER = (
    "k_UHwN_eHAPQVXiceC-rYGkozKqrJmKxPUIUOBIKo1noq_4XGRVCViP_dGcwB-fkPql8f56mmWj5aWCa2HDeugf6sRvnc9"
    "Rjhbb1vKGYLY0IwWsDNXRqXdksaVGJthux"
)
KOMETA_VERIFIER_WARNING = (
    "This sign-in used the PKCE verifier published in Kometa's documentation, which every Kometa "
    "user shares: anyone who saw the code could have redeemed it first. The tokens work, but "
    "prefer `mal auth login` (a fresh random verifier) for future sign-ins."
)


def new_verifier(length: int = DEFAULT_VERIFIER_LENGTH) -> str:
    """A fresh code verifier; 128 characters unless asked otherwise (43 to 128 allowed)."""
    if isinstance(length, bool) or not isinstance(length, int):
        raise TypeError(f"the verifier length must be an integer, not {type(length).__name__}")
    if not MIN_VERIFIER_LENGTH <= length <= MAX_VERIFIER_LENGTH:
        raise ValueError(
            f"a PKCE code verifier must be {MIN_VERIFIER_LENGTH} to {MAX_VERIFIER_LENGTH} "
            f"characters long (RFC 7636); {length} was asked for"
        )
    return "".join(secrets.choice(UNRESERVED) for _ in range(length))


def is_valid_verifier(value: str) -> bool:
    """True for 43-128 characters from the unreserved set: what MAL accepts (SPEC 2.2)."""
    return _VERIFIER.fullmatch(value) is not None


def code_challenge(verifier: str) -> str:
    """The challenge to send for `verifier`: the verifier itself.

    MAL supports only the `plain` method; a hashed (S256) challenge makes the exchange fail
    with "Failed to verify `code_verifier`" (SPEC 2.2).
    """
    return verifier


def is_public_verifier(verifier: str) -> bool:
    """True when `verifier` is Kometa's published one (see KOMETA_VERIFIER_WARNING)."""
    return hmac.compare_digest(verifier.encode(), KOMETA_FIXED_VERIFIER.encode())


def new_state() -> str:
    """A random, URL-safe `state` that ties the code brought back to this sign-in."""
    return secrets.token_urlsafe(24)
