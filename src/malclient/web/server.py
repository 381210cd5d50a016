"""Serving the sign-in page with uvicorn: in the foreground (`mal web`) or in a background thread
(tests, benchmarks). Quiet by design: no access log, since request lines carry the codes."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from malclient._serving import BackgroundServer, bind
from malclient.web.app import WebConfig, create_app

__all__ = ["WebServer", "bind", "default_public_url", "is_loopback", "serve"]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_public_url(host: str, port: int) -> str:
    """The address of a page listening on `host:port`, as this computer's browser opens it."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - naming the wildcard, not binding to it
        host = "localhost"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _uvicorn_config(app: ASGIApp) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,  # request lines hold ?code=...&state=...
        lifespan="on",  # closes the connection pool to MAL
        server_header=False,
        timeout_keep_alive=30,
    )


def serve(app: ASGIApp, sock: socket.socket) -> None:
    """Serve `app` on `sock` until Ctrl-C or SIGTERM."""
    server = uvicorn.Server(_uvicorn_config(app))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


class WebServer(BackgroundServer):
    """The page on a loopback port in a background thread; a context manager.

    `url` is its public URL (`http://127.0.0.1:<port>` unless given); `app` the live app.
    Extra keyword arguments go to `WebConfig` (`key`, `timeout`, `clock`).
    """

    def __init__(
        self,
        *,
        auth_url: str,
        api_url: str,
        public_url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        wrap: Callable[[ASGIApp], ASGIApp] | None = None,
        **config: Any,
    ) -> None:
        sock = bind(host, port)
        bound_host, bound_port = sock.getsockname()[:2]
        self.config = WebConfig(
            public_url=public_url or default_public_url(bound_host, bound_port),
            auth_url=auth_url,
            api_url=api_url,
            **config,
        )
        self.app = create_app(self.config)
        served = wrap(self.app) if wrap else self.app
        super().__init__(_uvicorn_config(served), sock, "the sign-in page")

    @property
    def url(self) -> str:
        return self.config.public_url
