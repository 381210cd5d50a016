"""Token stores for apps serving many MAL users, and the request budget their workers share.

`SQLiteTokenStore` (embedded, one machine) and `PostgresTokenStore` keep each user's tokens
under (client id, MAL user id); `for_user()` gives the `TokenStore` a `TokenManager` needs.
`RedisRateLimiter` is one request budget for every worker of an app. See docs/scaling.md.
"""

from __future__ import annotations

import os
from typing import Any

from malclient.stores._crypto import KEY_ENV, TokenCipher, generate_key
from malclient.stores._errors import TokenKeyError, TokenStoreError
from malclient.stores._sql import SQLTokenStore, StoredUser, UserTokens
from malclient.stores.postgres import PostgresTokenStore
from malclient.stores.redis_limiter import RedisRateLimiter
from malclient.stores.sqlite import SQLiteTokenStore

__all__ = [
    "KEY_ENV",
    "PostgresTokenStore",
    "RedisRateLimiter",
    "SQLTokenStore",
    "SQLiteTokenStore",
    "StoredUser",
    "TokenCipher",
    "TokenKeyError",
    "TokenStoreError",
    "UserTokens",
    "generate_key",
    "open_token_store",
]


def open_token_store(url: str | os.PathLike[str], **options: Any) -> SQLTokenStore[Any]:
    """The store a URL names: `postgresql://...`, `sqlite:///path`, or a plain file path.

    Lets an app take its store from one setting (e.g. `MAL_TOKEN_STORE`) and move from SQLite
    to PostgreSQL without code changes. `options` go to the store's constructor.
    """
    text = os.fspath(url)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresTokenStore(text, **options)
    return SQLiteTokenStore(text, **options)
