"""`mal web`: serve the sign-in page. Parses flags and prints where the page is; the page itself
lives in `malclient.web`, imported only when the command runs (`mal --help` stays light)."""

from __future__ import annotations

import contextlib
import os
import sys

from malclient._exceptions import ConfigError
from malclient.cli.auth import _run

__all__ = ["web"]


def web(
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    public_url: str | None = None,
    sandbox: str | None = None,
) -> None:
    """Serve a sign-in page: users bring their own MyAnimeList app, sign in, and copy a
    ready `mal:` block for Kometa's config.yml. Nothing is stored, kept or logged.

    Register `PUBLIC_URL/callback` as the redirect URL of the app (or use Kometa's
    `http://localhost/` and paste the address back). Set MAL_WEB_KEY to the same random text
    on every instance behind one address, so that a sign-in started on one finishes on another.

    Examples

        mal web
        mal web --port 9000
        mal web --host 0.0.0.0 --public-url https://mal.example.org
        mal web --sandbox http://127.0.0.1:8765

    Parameters
    ----------
    host
        Interface to listen on. Keep the loopback default unless a reverse proxy with HTTPS
        sits in front.
    port
        Port to listen on; 0 picks a free one.
    public_url
        The address browsers open (default http://HOST:PORT); its /callback is the redirect
        URL to register at https://myanimelist.net/apiconfig.
    sandbox
        Sign in at a local sandbox (`mal sandbox`) at this origin instead of MyAnimeList.
    """

    def body() -> int:
        from malclient.settings import Settings
        from malclient.web import KEY_ENV, WebConfig, create_app, key_from_text
        from malclient.web.server import bind, default_public_url, is_loopback, serve

        # The page never reads this machine's own `mal:` block: visitors bring their own app.
        settings = Settings.resolve(config=os.devnull, sandbox=sandbox)
        key_text = os.environ.get(KEY_ENV)
        key = key_from_text(key_text) if key_text else None
        try:
            sock = bind(host, port)
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on {host}:{port} ({exc.strerror}): choose another --port, or "
                "stop what uses it."
            ) from None
        bound_port = sock.getsockname()[1]
        try:
            config = WebConfig.from_settings(
                settings, public_url or default_public_url(host, bound_port), key=key
            )
        except ConfigError:
            sock.close()
            raise
        print(f"MyAnimeList sign-in page at {config.public_url}/", flush=True)
        print(f"  Redirect URL to register for apps: {config.callback_url}", flush=True)
        print(f"  Signs in at {settings.auth_url}   Press Ctrl-C to stop.", flush=True)
        if not config.secure and not is_loopback(host):
            print(
                "mal: warning: this page is served over plain HTTP to other machines: tokens "
                "and secrets cross the network unencrypted. Put an HTTPS proxy in front and "
                "pass its address as --public-url.",
                file=sys.stderr,
                flush=True,
            )
        with contextlib.suppress(KeyboardInterrupt):
            serve(create_app(config), sock)
        return 0

    _run(body)
