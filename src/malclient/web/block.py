"""The `mal:` block the page hands out, emitted by ruamel.yaml in Kometa's keys and order.

Owns only the text of the block; must not decide anything about tokens (`malclient.auth` does)
or touch a file (the user pastes the block; `config.py` is for files on this machine).
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from malclient.auth import Token

__all__ = ["kometa_block"]

_STR = "tag:yaml.org,2002:str"
# Kometa reads YAML 1.2 (ruamel), but people paste into files that older tools also read:
# `yes`, `on`, `0123`, `1_000` are text in 1.2 and not in 1.1, so quote what 1.1 would misread.
_YAML11 = VersionedResolver(version=(1, 1))


def _text(value: str) -> str:
    if not value.isprintable():
        # Control characters and YAML's extra line breaks (NEL, U+2028, U+2029): the emitter
        # writes them raw inside single quotes, where a reader folds them into spaces. Double
        # quotes escape them (`\N`, `\L`, `\P`), so the value reads back exactly.
        escaped: str = DoubleQuotedScalarString(value)
        return escaped
    tag: str = _YAML11.resolve(ScalarNode, value, (True, False))
    if tag != _STR:
        quoted: str = SingleQuotedScalarString(value)
        return quoted
    return value  # the emitter quotes whatever YAML 1.2 would misread


def kometa_block(client_id: str, client_secret: str | None, token: Token) -> str:
    """The complete `mal:` section for Kometa's config.yml (SPEC 10), ready to paste.

    Keys in Kometa's order; `localhost_url` empty (the sign-in is done); `client_secret` empty
    for apps that have none; `expires_in` the integer MAL sent, as Kometa stores it.
    """
    authorization: dict[str, Any] = {
        key: _text(value) if isinstance(value, str) else value
        for key, value in token.to_kometa().items()
    }
    block: dict[str, Any] = {
        "mal": {
            "client_id": _text(client_id),
            "client_secret": _text(client_secret) if client_secret else None,
            "localhost_url": None,
            "authorization": authorization,
        }
    }
    yaml = YAML()  # round-trip: keeps the order above, writes None as an empty value
    yaml.width = 2**30  # a token never folds onto a second line
    yaml.indent(mapping=2, sequence=4, offset=2)
    buffer = io.StringIO()
    yaml.dump(block, buffer)
    return buffer.getvalue()
