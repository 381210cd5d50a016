"""malclient: sign in to MyAnimeList and use its API v2 correctly, politely and testably.

The client, its models and `Fields` are imported on first use (`malclient.Client`), so that
`import malclient` (and `mal --help`) stays free of the HTTP and model stacks.
"""

import importlib
from typing import TYPE_CHECKING

from malclient._exceptions import (
    AccessDenied,
    APIError,
    AuthError,
    AuthorizationCodeDamaged,
    AuthorizationCodeExpired,
    AuthorizationCodeRejected,
    AuthorizationCodeReused,
    AuthorizationCodeWrongClient,
    AuthorizationRefused,
    BadRequest,
    CodeVerifierRejected,
    ConfigError,
    ConfigFileError,
    ConnectError,
    Forbidden,
    InvalidArgument,
    InvalidClient,
    MALError,
    MissingParameter,
    NoAuthorizationCode,
    NotFound,
    RateLimited,
    ReauthorizationRequired,
    RedirectError,
    RedirectURIMismatch,
    RefreshTokenDamaged,
    RefreshTokenExpired,
    RefreshTokenExpiringWarning,
    RefreshTokenRejected,
    RefreshTokenRevoked,
    RefreshTokenWrongClient,
    ResponseFormatError,
    ServerError,
    StateMismatch,
    Throttled,
    Timeout,
    TokenKeyError,
    TokenRequestError,
    TokenStoreError,
    TransportError,
    Unauthorized,
    UnexpectedTokenResponse,
    UnsupportedGrantType,
)

if TYPE_CHECKING:
    from malclient.client import AsyncClient, Client
    from malclient.fields import Fields
    from malclient.models import (
        Anime,
        AnimeListEntry,
        AnimeListStatus,
        Manga,
        MangaListEntry,
        MangaListStatus,
        PartialDate,
        User,
    )
    from malclient.resources import AsyncPage, AsyncPager, SyncPage

__version__ = "0.1.0.dev0"

# Public name -> the module that defines it, imported when the name is first used.
_LAZY = {
    "AsyncClient": "malclient.client",
    "Client": "malclient.client",
    "Fields": "malclient.fields",
    "Anime": "malclient.models",
    "AnimeListEntry": "malclient.models",
    "AnimeListStatus": "malclient.models",
    "Manga": "malclient.models",
    "MangaListEntry": "malclient.models",
    "MangaListStatus": "malclient.models",
    "PartialDate": "malclient.models",
    "User": "malclient.models",
    "AsyncPage": "malclient.resources",
    "AsyncPager": "malclient.resources",
    "SyncPage": "malclient.resources",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'malclient' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "APIError",
    "AccessDenied",
    "Anime",
    "AnimeListEntry",
    "AnimeListStatus",
    "AsyncClient",
    "AsyncPage",
    "AsyncPager",
    "AuthError",
    "AuthorizationCodeDamaged",
    "AuthorizationCodeExpired",
    "AuthorizationCodeRejected",
    "AuthorizationCodeReused",
    "AuthorizationCodeWrongClient",
    "AuthorizationRefused",
    "BadRequest",
    "Client",
    "CodeVerifierRejected",
    "ConfigError",
    "ConfigFileError",
    "ConnectError",
    "Fields",
    "Forbidden",
    "InvalidArgument",
    "InvalidClient",
    "MALError",
    "Manga",
    "MangaListEntry",
    "MangaListStatus",
    "MissingParameter",
    "NoAuthorizationCode",
    "NotFound",
    "PartialDate",
    "RateLimited",
    "ReauthorizationRequired",
    "RedirectError",
    "RedirectURIMismatch",
    "RefreshTokenDamaged",
    "RefreshTokenExpired",
    "RefreshTokenExpiringWarning",
    "RefreshTokenRejected",
    "RefreshTokenRevoked",
    "RefreshTokenWrongClient",
    "ResponseFormatError",
    "ServerError",
    "StateMismatch",
    "SyncPage",
    "Throttled",
    "Timeout",
    "TokenKeyError",
    "TokenRequestError",
    "TokenStoreError",
    "TransportError",
    "Unauthorized",
    "UnexpectedTokenResponse",
    "UnsupportedGrantType",
    "User",
    "__version__",
]
