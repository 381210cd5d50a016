"""malclient: sign in to MyAnimeList and use its API v2 correctly, politely and testably."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
