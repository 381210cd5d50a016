"""Signing in to MyAnimeList without I/O: PKCE, the authorize URL, the code, token requests.

Everything here builds requests or reads answers; sending them is the caller's job, so no HTTP
library is imported (a test guards this). Exceptions live in `malclient._exceptions`.
"""

from malclient.auth.errors import authorize_error, token_error
from malclient.auth.flow import (
    CODE_TTL,
    DEFAULT_AUTH_URL,
    FORM_CONTENT_TYPE,
    App,
    Callback,
    FormPost,
    PendingAuthorization,
    parse_redirect,
)
from malclient.auth.pkce import (
    DEFAULT_VERIFIER_LENGTH,
    KOMETA_FIXED_VERIFIER,
    KOMETA_VERIFIER_WARNING,
    MAX_VERIFIER_LENGTH,
    MIN_VERIFIER_LENGTH,
    code_challenge,
    is_public_verifier,
    is_valid_verifier,
    new_state,
    new_verifier,
)
from malclient.auth.tokens import (
    REFRESH_TOKEN_LIFETIME,
    AccessTokenClaims,
    Token,
    decode_access_token,
    parse_token_response,
)

__all__ = [
    "CODE_TTL",
    "DEFAULT_AUTH_URL",
    "DEFAULT_VERIFIER_LENGTH",
    "FORM_CONTENT_TYPE",
    "KOMETA_FIXED_VERIFIER",
    "KOMETA_VERIFIER_WARNING",
    "MAX_VERIFIER_LENGTH",
    "MIN_VERIFIER_LENGTH",
    "REFRESH_TOKEN_LIFETIME",
    "AccessTokenClaims",
    "App",
    "Callback",
    "FormPost",
    "PendingAuthorization",
    "Token",
    "authorize_error",
    "code_challenge",
    "decode_access_token",
    "is_public_verifier",
    "is_valid_verifier",
    "new_state",
    "new_verifier",
    "parse_redirect",
    "parse_token_response",
    "token_error",
]
