"""What the token stores raise (the classes live in `_exceptions`) and `redact`, which keeps a
database URL's password out of every message and repr."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from malclient._exceptions import TokenKeyError, TokenStoreError

__all__ = ["TokenKeyError", "TokenStoreError", "redact"]


def redact(url: str) -> str:
    """The URL without its password, for messages and reprs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))
