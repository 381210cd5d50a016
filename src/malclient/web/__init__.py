"""The sign-in web page (`mal web`): authorise in a browser, get a ready `mal:` block, keep nothing.
In app mode, an app's own sign-in: the tokens go to its callback (examples/backend).

Thin over `malclient.auth`; needs the `web` extra (starlette, uvicorn, cryptography).
"""

from malclient.web.app import SignedIn, SignedInHandler, WebConfig, create_app
from malclient.web.block import kometa_block
from malclient.web.sealed import KEY_ENV, key_from_text

__all__ = [
    "KEY_ENV",
    "SignedIn",
    "SignedInHandler",
    "WebConfig",
    "create_app",
    "key_from_text",
    "kometa_block",
]
