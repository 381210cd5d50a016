"""The sign-in page in its own process, served as `mal web` serves it, plus one test-only route,
POST /_inspect, that looks inside the process: what the app's state holds, which flow objects
are alive, and which of the given secret fingerprints occur in any string in memory.

    python web_worker.py SANDBOX_URL     # prints "READY <url>", logs at DEBUG to stderr
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import re
import sys
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Receive, Scope, Send

from malclient.auth import Callback, PendingAuthorization, Token
from malclient.web import WebConfig, create_app
from malclient.web.pages import Result
from malclient.web.sealed import Flow
from malclient.web.server import bind, default_public_url, serve

# Secrets are runs of these characters (hex, base64url, JWTs, PKCE verifiers, cookie values).
_RUN = re.compile(r"[A-Za-z0-9._~-]{16,}")
_FLOW_TYPES = (Flow, PendingAuthorization, Token, Result, Callback)


def _fingerprints(text: str) -> set[str]:
    runs = set(_RUN.findall(text))
    if "%" in text or "+" in text:
        runs |= set(_RUN.findall(unquote(text.replace("+", " "))))
    return {hashlib.sha256(run.encode()).hexdigest() for run in runs}


def _memory(wanted: set[str]) -> dict[str, Any]:
    """Search every string and byte string reachable from a live object for `wanted`.

    The collector lists only the containers it tracks (dicts and tuples holding nothing but
    strings are untracked), and a dict reports only its values: the search also walks into any
    untracked container it meets, and reads dict keys itself.
    """
    gc.collect()
    found: set[str] = set()
    where: dict[str, list[str]] = {}
    alive: dict[str, int] = {}
    seen: set[int] = set()
    pending: list[tuple[Any, Any]] = [(holder, holder) for holder in gc.get_objects()]
    while pending:
        holder, item = pending.pop()
        if isinstance(item, _FLOW_TYPES):
            alive[type(item).__name__] = alive.get(type(item).__name__, 0) + 1
        parts = gc.get_referents(item)
        if isinstance(item, dict):
            parts += list(item)  # a dict with only text keys does not report its keys to gc
        for part in parts:
            if id(part) in seen:
                continue
            seen.add(id(part))
            if isinstance(part, bytes | bytearray):
                text = bytes(part).decode("latin-1")
            elif isinstance(part, str):
                text = part
            else:
                if not gc.is_tracked(part):
                    pending.append((holder, part))
                continue
            if len(text) < 16:
                continue
            hits = _fingerprints(text) & wanted
            for hit in hits:
                # What holds it, to make a failure easy to chase (never the text itself).
                where.setdefault(hit, []).append(
                    f"{type(part).__name__}[{len(text)}] in {type(holder).__name__}"
                )
            found |= hits
    return {"found": sorted(found), "where": where, "alive": alive}


class Inspect:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/_inspect":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        state = dict(self.app.state._state)
        report = {
            "state": {name: type(value).__name__ for name, value in state.items()},
            "sealer": sorted(vars(state["sealer"])),
            **_memory(set(json.loads(body))),
        }
        payload = json.dumps(report).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": payload})


def main() -> None:
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    sandbox = sys.argv[1]
    sock = bind("127.0.0.1", 0)
    config = WebConfig(
        public_url=default_public_url("127.0.0.1", sock.getsockname()[1]),
        auth_url=f"{sandbox}/v1/oauth2",
        api_url=f"{sandbox}/v2",
    )
    app: ASGIApp = Inspect(create_app(config))
    print(f"READY {config.public_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C once stopped
        serve(app, sock)


if __name__ == "__main__":
    main()
