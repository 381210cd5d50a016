"""Running an ASGI app under uvicorn on a socket we bind ourselves: in the foreground, or in a
background thread for tests, the demo and benchmarks. Shared by `mal sandbox` and `mal web`;
imported only by them (uvicorn comes with their extras)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn

__all__ = ["BackgroundServer", "bind", "origin"]


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one. Binding first lets us print the real port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def origin(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class BackgroundServer:
    """`config.app` served on `sock` in a daemon thread; a context manager that waits for start.

    `run` (not `serve` under `asyncio.run`) so that uvloop and httptools are used when installed:
    on the default loop, answers written in two parts waited ~40 ms for a delayed ACK.
    """

    def __init__(self, config: uvicorn.Config, sock: socket.socket, name: str) -> None:
        self._socket = sock
        self.host, self.port = sock.getsockname()[:2]
        self._server = uvicorn.Server(config)
        self._name = name
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        self._server.run(sockets=[self._socket])

    def start(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self._name} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
