"""The baseline for bench/sandbox.py: the least an ASGI app can do, one fixed JSON body."""

from __future__ import annotations

import contextlib
import socket
from typing import Any

import uvicorn

BODY = (
    b'{"data":[{"node":{"id":1,"title":"Fixed",'
    b'"main_picture":{"medium":"m","large":"l"}}}],"paging":{}}'
)
HEADERS = [
    (b"content-type", b"application/json; charset=UTF-8"),
    (b"content-length", str(len(BODY)).encode()),
]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


if __name__ == "__main__":
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    print(f"fixed app running at http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
