"""Bringing the authorization code back and saving the tokens it buys: the loopback listener, the
paste prompt, sign-ins that span two processes, Kometa's `localhost_url`, the code exchange.
Must not: build OAuth requests or judge MAL's answers (`malclient.auth`), refresh tokens
(`session.py`), or print a secret (the authorize URL, which the user must open, is the exception).
"""

from __future__ import annotations

import contextlib
import errno
import html
import http.server
import os
import queue
import re
import select
import socket
import socketserver
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TextIO
from urllib.parse import parse_qs, urlsplit

import httpx2

from malclient import _transport, config
from malclient._exceptions import (
    AuthError,
    AuthorizationCodeRejected,
    CodeVerifierRejected,
    ConfigError,
    MALError,
    NoAuthorizationCode,
    RedirectError,
    StateMismatch,
)
from malclient._protocol import build_request, read_response
from malclient.auth import (
    CODE_TTL,
    KOMETA_VERIFIER_WARNING,
    Callback,
    PendingAuthorization,
    Token,
    parse_redirect,
    parse_token_response,
)
from malclient.settings import Settings

__all__ = [
    "DEFAULT_TIMEOUT",
    "KOMETA_REDIRECT_URI",
    "REDIRECT_URI_ENV",
    "ConsoleTerminal",
    "Listener",
    "ListenerUnavailable",
    "LoopbackAddress",
    "SignIn",
    "SignedIn",
    "Terminal",
    "choose_redirect_uri",
    "exchange",
    "fetch_user",
    "loopback_address",
    "open_in_browser",
    "remembered_redirect_uri",
    "resume",
    "start",
]

REDIRECT_URI_ENV = "MAL_REDIRECT_URI"
# What Kometa's docs have users register (SPEC 10); MAL uses the app's only registered URL when
# the authorize URL names none (SPEC 2.3), so with no redirect URI configured this is our guess.
KOMETA_REDIRECT_URI = "http://localhost/"
DEFAULT_TIMEOUT = 300.0
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_PASTE_ATTEMPTS = 3
# How long the browser's request is held open while the code is exchanged, so that its page can
# say how the sign-in ended.
_ANSWER_WAIT = 60.0


# A pasted bare code: MAL's are ~1,000 characters of this alphabet (SPEC 2.4); anything short or
# with other characters is a mistake worth a second try, not a round trip to MAL.
_BARE_CODE = re.compile(r"[A-Za-z0-9._~+-]{20,}")


def _minutes(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds:.0f} seconds"


# --- where the browser comes back -----------------------------------------------------------


@dataclass(frozen=True)
class LoopbackAddress:
    """Where a loopback redirect URI sends the browser. `any_path` when the URI is a guess."""

    host: str  # "localhost", "127.0.0.1" or "::1"
    port: int
    path: str = "/"
    any_path: bool = False

    @property
    def interfaces(self) -> tuple[str, ...]:
        # A browser may resolve `localhost` to either address; both are loopback only.
        return ("127.0.0.1", "::1") if self.host == "localhost" else (self.host,)

    @property
    def url(self) -> str:
        host = "[::1]" if self.host == "::1" else self.host
        port = "" if self.port == 80 else f":{self.port}"
        return f"http://{host}{port}{self.path}"


def loopback_address(redirect_uri: str) -> LoopbackAddress | None:
    """The listener address for an `http://localhost|127.0.0.1|[::1][:PORT]/...` URI, else None.

    https and other hosts cannot be caught: the listener speaks plain HTTP on this machine only.
    """
    try:
        parts = urlsplit(redirect_uri.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() != "http" or parts.hostname not in _LOOPBACK_HOSTS:
        return None
    return LoopbackAddress(parts.hostname, port or 80, parts.path or "/")


# --- the loopback listener --------------------------------------------------------------------


class ListenerUnavailable(Exception):
    """The listener cannot start (port busy or reserved); `reason` says why, for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_PAGE_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;"
    "color:#1c1f24}h1{font-size:1.3rem}.bad{color:#8a1c12}"
)
_PAGE_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    # The address of this page holds the code.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _page(title: str, text: str, *, ok: bool) -> bytes:
    heading = f"<h1{'' if ok else ' class=bad'}>{html.escape(title)}</h1>"
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)} · malclient</title><style>{_PAGE_STYLE}</style></head>"
        f"<body>{heading}<p>{html.escape(text)}</p></body></html>"
    ).encode()


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False
    listener: Listener

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser that hangs up mid-request is not news; the default prints a traceback.
        return


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    timeout = 15  # a connection that sends nothing must not hold a thread for long
    server_version = "malclient"
    sys_version = ""

    def do_GET(self) -> None:  # the name http.server dispatches to
        self.server.listener._handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        # Request lines carry the authorization code: never log them.
        return


class Listener:
    """A one-shot HTTP server on the loopback interface that waits for the browser's return.

    It accepts exactly one callback (a request on the redirect path carrying `code` or
    `error`) and checks its `state`; anything else gets a 404 and the wait goes on. The browser
    is held until `finish()` says how the sign-in ended, so its page tells the truth.
    """

    def __init__(self, address: LoopbackAddress, pending: PendingAuthorization) -> None:
        self.address = address
        self.arrived = threading.Event()
        self._pending = pending
        self._lock = threading.Lock()
        self._taken = False
        self._stopped = False
        self._callback: Callback | None = None
        self._failure: RedirectError | None = None
        self._answer: tuple[bool, str, str] | None = None
        self._answered = threading.Event()
        self._sent = threading.Event()
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._closed = False

    @classmethod
    def open(cls, address: LoopbackAddress, pending: PendingAuthorization) -> Listener:
        """Listen on each loopback interface of `address`; ListenerUnavailable if none can be."""
        listener = cls(address, pending)
        try:
            for host in address.interfaces:
                sock = listener._bind(host)
                if sock is not None:
                    listener._serve(sock)
        except BaseException:
            listener.close()
            raise
        if not listener._servers:
            raise ListenerUnavailable(f"this computer has no loopback interface for {address.host}")
        return listener

    def _bind(self, host: str) -> socket.socket | None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:
            if self.address.host == "localhost" and family == socket.AF_INET6:
                return None  # no IPv6 here: 127.0.0.1 alone serves `localhost`
            raise ListenerUnavailable(self._why(exc)) from None
        try:
            if os.name != "nt":
                # Only lets us reuse a port in TIME_WAIT; on Windows it would let us steal one.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, self.address.port))
            sock.listen(16)
        except OSError as exc:
            sock.close()
            if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT) and (
                self.address.host == "localhost" and family == socket.AF_INET6
            ):
                return None
            raise ListenerUnavailable(self._why(exc)) from None
        return sock

    def _why(self, exc: OSError) -> str:
        where = f"port {self.address.port}"
        if exc.errno == errno.EADDRINUSE:
            return (
                f"another program already uses {where} on this computer, so the browser would "
                "reach it instead of malclient (it may show that program's page, or an error: "
                "the code is in the address either way)"
            )
        if exc.errno in (errno.EACCES, errno.EPERM):
            return (
                f"{where} is reserved for administrators on this system, so malclient cannot "
                "listen there"
            )
        return f"malclient cannot listen on {where} ({exc.strerror or exc})"

    def _serve(self, sock: socket.socket) -> None:
        server = _Server(sock.getsockname()[:2], _Handler, bind_and_activate=False)
        server.socket.close()
        server.socket = sock
        server.server_address = sock.getsockname()
        server.listener = self
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="mal-signin-listener",
            daemon=True,
        )
        self._servers.append(server)
        self._threads.append(thread)
        thread.start()

    # The browser's side (handler threads).

    def _host_ok(self, host_header: str) -> bool:
        # Only names of this machine: a page elsewhere cannot reach us through DNS rebinding.
        host = host_header.strip().lower()
        if host.startswith("["):
            host = host[1 : host.find("]")] if "]" in host else host
        else:
            host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return host in _LOOPBACK_HOSTS

    def _send(self, handler: _Handler, status: int, body: bytes) -> None:
        try:
            handler.send_response(status)
            for name, value in _PAGE_HEADERS.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            pass  # the browser went away; nothing to tell it

    def _handle(self, handler: _Handler) -> None:
        target = urlsplit(handler.path)
        fields = parse_qs(target.query, keep_blank_values=True)
        is_callback = (self.address.any_path or target.path == self.address.path) and bool(
            {"code", "error"} & fields.keys()
        )
        if not self._host_ok(handler.headers.get("Host", "")) or not is_callback:
            self._send(
                handler,
                404,
                _page(
                    "Not here",
                    "This is malclient waiting for MyAnimeList's sign-in to come back; this "
                    "address is not where it comes back to.",
                    ok=False,
                ),
            )
            return
        with self._lock:
            taken, stopped = self._taken, self._stopped
            self._taken = True
        if taken or stopped:
            text = (
                "malclient stopped waiting for the browser: paste this page's address into "
                "the terminal instead."
                if stopped
                else "malclient already received a sign-in on this address; see the terminal."
            )
            self._send(handler, 409, _page("Not waiting any more", text, ok=False))
            return
        try:
            self._callback = self._pending.accept("?" + target.query)
        except RedirectError as exc:
            self._failure = exc
            self.arrived.set()
            self._send(handler, 400, _page("Sign-in failed", str(exc), ok=False))
            self._sent.set()
            return
        self.arrived.set()
        self._answered.wait(_ANSWER_WAIT)
        ok, title, text = self._answer or (
            True,
            "Code received",
            "malclient received the code; the terminal shows how the sign-in ended.",
        )
        self._send(handler, 200 if ok else 400, _page(title, text, ok=ok))
        self._sent.set()

    # The terminal's side.

    def result(self) -> Callback:
        """The callback that arrived; the RedirectError it stood for (Cancel, wrong state)."""
        if self._failure is not None:
            raise self._failure
        if self._callback is None:
            raise NoAuthorizationCode("No sign-in came back to malclient's listener.")
        return self._callback

    def wait(self, timeout: float | None) -> Callback | None:
        """The callback, or None when none arrived within `timeout` seconds."""
        if not self.arrived.wait(timeout):
            return None
        return self.result()

    def finish(self, ok: bool, title: str, text: str) -> None:
        """What the waiting browser is told (never a secret: it is shown in a page)."""
        self._answer = (ok, title, text)
        self._answered.set()

    def stop_listening(self) -> None:
        """Stop accepting connections unless a callback is already being handled."""
        with self._lock:
            if self._taken:
                return
            self._stopped = True
        self._shutdown()

    def close(self) -> None:
        """Let the browser have its page (a few seconds at most), then stop."""
        if self._closed:
            return
        self._closed = True
        if self.arrived.is_set():
            self._answered.set()
            self._sent.wait(5)
        self._shutdown()

    def _shutdown(self) -> None:
        for server, thread in zip(self._servers, self._threads, strict=True):
            if thread.is_alive():
                server.shutdown()
            server.server_close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- the terminal -----------------------------------------------------------------------------


class Terminal(Protocol):
    """Where sign-in talks to the person: guidance out, one pasted line in."""

    @property
    def interactive(self) -> bool:
        """True when someone can answer a prompt (standard input is a terminal)."""
        ...

    def say(self, text: str) -> None:
        """Show guidance or a warning (never a secret)."""
        ...

    def ask(self, prompt: str, *, stop: threading.Event | None = None) -> str | None:
        """One line from the person; None once `stop` is set first; EOFError at end of input."""
        ...


class _LineEditor:
    """A line of input typed or pasted into a terminal in non-canonical mode.

    Canonical mode cuts lines at the terminal's buffer size (1,024 bytes on macOS), shorter
    than a redirect address with MAL's ~1,000-byte code (SPEC 2.4): so we edit lines ourselves.
    """

    def __init__(self, echo: Callable[[bytes], None]) -> None:
        self._echo = echo
        self._buffer = bytearray()
        self._escape = 0  # 1 after ESC, 2 inside a control sequence (arrow keys, paste marks)

    def feed(self, chunk: bytes) -> str | None:
        for byte in chunk:
            if self._escape == 1:
                self._escape = 2 if byte in b"[O" else 0
            elif self._escape == 2:
                if 0x40 <= byte <= 0x7E:
                    self._escape = 0
            elif byte in b"\r\n":
                self._echo(b"\r\n")
                return self._buffer.decode("utf-8", "replace")
            elif byte in (0x08, 0x7F):
                self._erase()
            elif byte == 0x15:  # Ctrl-U
                while self._buffer:
                    self._erase()
            elif byte == 0x04:  # Ctrl-D
                if not self._buffer:
                    raise EOFError
            elif byte == 0x1B:
                self._escape = 1
            elif byte >= 0x20 or byte == 0x09:
                self._buffer.append(byte)
                self._echo(bytes([byte]))
        return None

    def _erase(self) -> None:
        if not self._buffer:
            return
        # One character, however many UTF-8 bytes it took.
        while len(self._buffer) > 1 and 0x80 <= self._buffer[-1] < 0xC0:
            self._buffer.pop()
        self._buffer.pop()
        self._echo(b"\b \b")


class ConsoleTerminal:
    """The process's terminal: guidance on `out` (stderr), lines from `stdin`."""

    def __init__(self, stdin: TextIO | None = None, out: TextIO | None = None) -> None:
        self._stdin = stdin if stdin is not None else sys.stdin
        self._out = out if out is not None else sys.stderr

    @property
    def interactive(self) -> bool:
        try:
            return self._stdin.isatty()
        except (AttributeError, ValueError, OSError):
            return False

    def say(self, text: str) -> None:
        print(text, file=self._out, flush=True)

    def ask(self, prompt: str, *, stop: threading.Event | None = None) -> str | None:
        self._out.write(prompt)
        self._out.flush()
        try:
            import termios
        except ImportError:  # pragma: no cover - Windows
            return self._ask_threaded(stop)
        fd = self._stdin.fileno()
        try:
            saved = termios.tcgetattr(fd)
        except termios.error:
            return self._ask_threaded(stop)
        changed = termios.tcgetattr(fd)
        changed[3] &= ~(termios.ICANON | termios.ECHO)
        changed[6][termios.VMIN] = 1
        changed[6][termios.VTIME] = 0
        termios.tcsetattr(fd, termios.TCSANOW, changed)

        def echo(data: bytes) -> None:
            # To the terminal itself, not stderr: a redirected stderr must not log the code.
            with contextlib.suppress(OSError):
                os.write(fd, data)

        editor = _LineEditor(echo)
        try:
            while True:
                if stop is not None and stop.is_set():
                    echo(b"\r\n")
                    return None
                readable, _, _ = select.select([fd], [], [], 0.1)
                if not readable:
                    continue
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise EOFError
                line = editor.feed(chunk)
                if line is not None:
                    return line
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    def _ask_threaded(self, stop: threading.Event | None) -> str | None:
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(
            target=lambda: lines.put(self._stdin.readline()), name="mal-prompt", daemon=True
        )
        reader.start()
        while True:
            if stop is not None and stop.is_set():
                self._out.write("\n")
                return None
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if not line:
                raise EOFError
            return line.rstrip("\r\n")


def _gui_available(env: Mapping[str, str]) -> bool:
    # Without a display, Python's webbrowser may start a text browser (lynx, w3m) inside this
    # very terminal; better to show the address and let the person choose.
    if env.get("BROWSER"):
        return True
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    return True


def open_in_browser(url: str, env: Mapping[str, str] | None = None) -> bool:
    """Open `url` in the person's browser when there is one to open; True if it was."""
    if not _gui_available(os.environ if env is None else env):
        return False
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


# --- pending sign-ins -------------------------------------------------------------------------


def remembered_redirect_uri(config_path: str | os.PathLike[str]) -> str | None:
    """The redirect URI of the last sign-in started with this config, if one was kept."""
    return config.remembered_redirect_uri(config_path)


def choose_redirect_uri(
    settings: Settings, given: str | None, env: Mapping[str, str] | None = None
) -> tuple[str | None, str]:
    """`--redirect-uri`, else MAL_REDIRECT_URI, else the last sign-in's; and where it came from."""
    env = os.environ if env is None else env
    for candidate, source in (
        (given, "from the command line"),
        (env.get(REDIRECT_URI_ENV), f"from {REDIRECT_URI_ENV}"),
    ):
        if candidate is not None and candidate.strip():
            return candidate.strip(), source
    return remembered_redirect_uri(settings.config_path), "used by the last sign-in"


def _remember(config_path: str | os.PathLike[str], redirect_uri: str | None) -> None:
    """The sign-in is complete: forget its pending record, keep its redirect URI for next time."""
    config.clear_pending(config_path)
    config.remember_redirect_uri(config_path, redirect_uri)


def start(settings: Settings, redirect_uri: str | None = None) -> PendingAuthorization:
    """A new sign-in, kept (0600, for CODE_TTL) so that another process can complete it."""
    pending = settings.app(redirect_uri).start_authorization()
    created = pending.created_at if pending.created_at is not None else time.time()
    config.save_pending(settings.config_path, pending.to_dict(), expires_at=created + CODE_TTL)
    return pending


def resume(settings: Settings) -> PendingAuthorization | None:
    """The sign-in waiting to be completed (`mal auth url`), or None if none or expired."""
    record = config.load_pending(settings.config_path)
    if not record or "verifier" not in record:
        return None
    return PendingAuthorization.from_dict(record)


def _read_code(text: str) -> tuple[Callback, bool]:
    """What was pasted or given, and whether it was a bare code (no address, so no state)."""
    callback = parse_redirect(text)
    bare = not any(mark in text for mark in "?#=&/:")  # as parse_redirect tells them apart
    if bare and not _BARE_CODE.fullmatch(callback.code):
        raise NoAuthorizationCode(
            "This is neither the address the browser ended on nor a code. After clicking "
            "Allow, copy the whole address from the browser's address bar (the page may not "
            "load; that is expected)."
        )
    return callback, bare


# --- the exchange -----------------------------------------------------------------------------


def exchange(
    settings: Settings, pending: PendingAuthorization, callback: Callback, http: httpx2.Client
) -> Token:
    """Redeem the code at the server that issued it (SPEC 2.5): a form POST, parsed."""
    if pending.auth_url.rstrip("/") != settings.auth_url:
        raise ConfigError(
            f"This sign-in was started at {pending.auth_url} but this run uses "
            f"{settings.auth_url}: finish it with the same --sandbox / MAL_AUTH_URL setting, "
            "or start again."
        )
    app = settings.app(pending.redirect_uri)
    request = app.token_request(pending, callback)
    sent_at = time.time()  # a token is never younger than its request
    response = _transport.post_form(http, request)
    return parse_token_response(
        response.status, response.body, response.headers, now=sent_at, client_id=app.client_id
    )


def fetch_user(settings: Settings, token: Token, http: httpx2.Client) -> dict[str, Any]:
    """`GET /users/@me` with a token just obtained (no refresh: it is fresh by definition)."""
    request = build_request(settings.api_url, "GET", "/users/@me", token=token)
    data = read_response(_transport.send(http, request), request, user=True)
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class SignedIn:
    """How a sign-in ended: the token (never print it), who it is, how the code came back."""

    token: Token
    user_name: str | None
    user_id: int | None
    how: str  # "loopback", "paste", "redirect-url" or "localhost_url"
    saved: config.MalSettings


# --- the whole sign-in ------------------------------------------------------------------------


class SignIn:
    """One `mal auth login`: picks the way the code comes back, exchanges it, saves the tokens.

    In order: an address given with `redirect_url` (two steps), else a code waiting in the
    block's `localhost_url` (Kometa's way), else a new sign-in in the browser, caught by the
    loopback listener and/or pasted. `remember` holds settings given as flags (client id,
    secret) to save in the block with the tokens. All guidance goes to `terminal`.
    """

    def __init__(
        self,
        settings: Settings,
        terminal: Terminal,
        *,
        redirect_uri: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        paste: bool = False,
        browser: Callable[[str], bool] | None = open_in_browser,
        remember: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        http: httpx2.Client | None = None,
    ) -> None:
        self.settings = settings
        self.terminal = terminal
        self.timeout = timeout
        self.paste = paste
        self.browser = browser
        self.remember = dict(remember or {})
        self._env = os.environ if env is None else env
        self._redirect_uri = redirect_uri
        self._http = http

    def run(self, redirect_url: str | None = None) -> SignedIn:
        own = self._http is None
        http = _transport.new_client() if own else self._http
        assert http is not None
        try:
            if redirect_url is not None:
                return self._complete_given(redirect_url, http)
            done = self._complete_localhost_url(http)
            if done is not None:
                return done
            return self._in_browser(http)
        finally:
            if own:
                http.close()

    # Completing a code that is already here.

    def _pending_for(self, callback: Callback) -> PendingAuthorization:
        """The sign-in `callback` belongs to: ours (by state) or Kometa's (no state)."""
        pending = resume(self.settings)
        if pending is not None and pending.state == callback.state:
            return pending
        if callback.state is None:
            # Kometa's documented authorize URL: fixed public verifier, no state (SPEC 10).
            return self.settings.app().kometa_authorization()
        if pending is not None:
            return pending  # check_state explains the mismatch
        raise StateMismatch(
            "No sign-in is waiting for this address: the one it came from expired (codes and "
            f"sign-ins last {_minutes(CODE_TTL)}) or was already completed. Run `mal auth url` "
            "again, open the address it prints, then run `mal auth login --redirect-url "
            "ADDRESS` right away."
        )

    def _complete_given(self, text: str, http: httpx2.Client) -> SignedIn:
        callback, bare = _read_code(text)
        pending = resume(self.settings) if bare else None
        if pending is None:
            pending = self._pending_for(callback)
            pending.check_state(callback)
        return self._complete(pending, callback, "redirect-url", http)

    def _complete_localhost_url(self, http: httpx2.Client) -> SignedIn | None:
        text = self.settings.file.localhost_url
        if not text:
            return None
        try:
            callback = parse_redirect(text)
        except NoAuthorizationCode:
            return None  # a redirect URL without a code: nothing to complete
        except RedirectError:
            self._clear_localhost_url("it holds MyAnimeList's answer to a cancelled sign-in")
            raise
        self.terminal.say(
            f"Completing the sign-in whose address is in `localhost_url` of "
            f"{self.settings.config_path}."
        )
        try:
            pending = self._pending_for(callback)
            pending.check_state(callback)
            return self._complete(pending, callback, "localhost_url", http, clear_localhost=True)
        except (RedirectError, AuthorizationCodeRejected, CodeVerifierRejected):
            # The code cannot be redeemed by us any more; leave no stale secret behind.
            self._clear_localhost_url("its code cannot be used")
            raise

    def _clear_localhost_url(self, why: str) -> None:
        config.write_settings(self.settings.config_path, localhost_url=None)
        self.terminal.say(f"Cleared `localhost_url` in {self.settings.config_path}: {why}.")

    # A new sign-in in the browser.

    def _in_browser(self, http: httpx2.Client) -> SignedIn:
        redirect_uri, _ = choose_redirect_uri(self.settings, self._redirect_uri, self._env)
        app = self.settings.app(redirect_uri)  # fails early without a client id
        pending = app.start_authorization()
        listener, why_not = self._listen(redirect_uri, pending)
        try:
            if listener is None and not self.terminal.interactive:
                raise AuthError(
                    "Cannot ask for the address the browser ends on: standard input is not a "
                    f"terminal{f' and {why_not}' if why_not else ''}. Sign in in two steps "
                    "instead: `mal auth url` prints the address to open; after clicking Allow, "
                    "run `mal auth login --redirect-url 'ADDRESS'` with the address the "
                    "browser ended on (within 10 minutes). Or run this command in a terminal "
                    "(for Docker: `docker run -it ...`)."
                )
            created = pending.created_at if pending.created_at is not None else time.time()
            config.save_pending(
                self.settings.config_path, pending.to_dict(), expires_at=created + CODE_TTL
            )
            self._guide(pending, listener, why_not)
            callback, how = self._bring_back(pending, listener)
            try:
                done = self._complete(pending, callback, how, http)
            except MALError as exc:
                if listener is not None and how == "loopback":
                    listener.finish(False, "Sign-in failed", str(exc))
                raise
            if listener is not None and how == "loopback":
                who = f" as {done.user_name}" if done.user_name else ""
                listener.finish(
                    True,
                    f"Signed in{who}",
                    f"malclient is signed in to MyAnimeList{who}. You can close this tab.",
                )
            return done
        finally:
            if listener is not None:
                listener.close()

    def _listen(
        self, redirect_uri: str | None, pending: PendingAuthorization
    ) -> tuple[Listener | None, str | None]:
        if self.paste:
            return None, None
        if redirect_uri is None:
            if not self.terminal.interactive:
                # Only a guess at where the browser goes, and nobody to paste if it is wrong:
                # better to say how to sign in now than to wait minutes for nothing.
                return None, "no redirect URL is set (--redirect-uri)"
            # MAL will use the app's only registered URL (SPEC 2.3); catch it on any path if it
            # is Kometa's http://localhost/. If not, the paste prompt still works.
            address: LoopbackAddress | None = LoopbackAddress(
                "localhost", 80, "/", any_path=True
            )  # KOMETA_REDIRECT_URI, on any path
        else:
            address = loopback_address(redirect_uri)
        if address is None:
            return None, None
        try:
            return Listener.open(address, pending), None
        except ListenerUnavailable as exc:
            return None, exc.reason

    def _guide(
        self, pending: PendingAuthorization, listener: Listener | None, why_not: str | None
    ) -> None:
        say = self.terminal.say
        landing = pending.redirect_uri or (
            f"the app's redirect URL (for Kometa: {KOMETA_REDIRECT_URI})"
        )
        say("Open this address in a browser to sign in to MyAnimeList:")
        say("")
        say(f"    {pending.authorize_url}")
        say("")
        if self._launch_browser(pending.authorize_url):
            say("(A browser window should have opened at that address.)")
        say("Sign in to MyAnimeList if asked, then click Allow.")
        if listener is not None:
            say(
                f"malclient waits for the browser at {listener.address.url} for up to "
                f"{_minutes(self.timeout)}."
            )
        elif why_not:
            say(f"malclient cannot catch the browser's return automatically: {why_not}.")
            if pending.redirect_uri is None:
                say(
                    "(To have it caught, register a redirect URL such as "
                    "http://127.0.0.1:8123/callback for the app and pass it with "
                    "--redirect-uri.)"
                )
        if self.terminal.interactive:
            say(
                f"After Allow, the browser goes to {landing} with ?code=... added. If that "
                "page does not load, that is expected: copy the whole address from the "
                "browser's address bar and paste it below. (If it shows some unrelated "
                "website, another web server runs at that address on your computer: copy the "
                "address anyway, the code is in it.)"
            )

    def _launch_browser(self, url: str) -> bool:
        # In a thread: webbrowser.open waits for a browser named in $BROWSER to exit, and the
        # browser's return must find us listening, not stuck here.
        opener = self.browser
        if opener is None:
            return False
        outcome: list[bool] = []

        def launch() -> None:
            try:
                outcome.append(bool(opener(url)))
            except Exception:  # a browser that cannot start is not worth failing the sign-in
                outcome.append(False)

        thread = threading.Thread(target=launch, name="mal-browser", daemon=True)
        thread.start()
        thread.join(2.0)
        return outcome[0] if outcome else True  # still starting

    def _bring_back(
        self, pending: PendingAuthorization, listener: Listener | None
    ) -> tuple[Callback, str]:
        if not self.terminal.interactive:
            assert listener is not None
            callback = listener.wait(self.timeout)
            if callback is None:
                raise NoAuthorizationCode(
                    f"No browser came back to {listener.address.url} within "
                    f"{_minutes(self.timeout)}. Open the address printed above and click Allow "
                    "(or raise --timeout), or sign in in two steps: `mal auth url`, then `mal "
                    "auth login --redirect-url 'ADDRESS'`."
                )
            return callback, "loopback"
        timer: threading.Timer | None = None
        if listener is not None:
            # After the timeout only the paste prompt is left.
            timer = threading.Timer(self.timeout, listener.stop_listening)
            timer.daemon = True
            timer.start()
        try:
            for attempt in range(1, _PASTE_ATTEMPTS + 1):
                try:
                    line = self.terminal.ask(
                        "Address: ", stop=listener.arrived if listener is not None else None
                    )
                except EOFError:
                    raise NoAuthorizationCode(
                        "No address was entered (end of input). Run `mal auth login` again, or "
                        "sign in in two steps: `mal auth url`, then `mal auth login "
                        "--redirect-url 'ADDRESS'`."
                    ) from None
                if line is None:
                    assert listener is not None
                    return listener.result(), "loopback"
                try:
                    callback, bare = _read_code(line)
                    if not bare:
                        pending.check_state(callback)
                    return callback, "paste"
                except (NoAuthorizationCode, StateMismatch) as exc:
                    # A wrong paste is worth another try; a Cancel page (AccessDenied) is not.
                    if attempt == _PASTE_ATTEMPTS:
                        raise
                    self.terminal.say(str(exc))
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            if timer is not None:
                timer.cancel()

    # Exchanging and saving.

    def _complete(
        self,
        pending: PendingAuthorization,
        callback: Callback,
        how: str,
        http: httpx2.Client,
        *,
        clear_localhost: bool = False,
    ) -> SignedIn:
        token = exchange(self.settings, pending, callback, http)
        saved = self._save(token, pending, clear_localhost=clear_localhost)
        if pending.uses_public_verifier:
            self.terminal.say(f"Warning: {KOMETA_VERIFIER_WARNING}")
        name: str | None = None
        user_id: int | None = None
        try:
            user = fetch_user(self.settings, token, http)
        except MALError as exc:
            self.terminal.say(
                f"Signed in and saved the tokens, but could not ask MyAnimeList who this is: {exc}"
            )
        else:
            raw_name, raw_id = user.get("name"), user.get("id")
            name = raw_name if isinstance(raw_name, str) else None
            user_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
        return SignedIn(token=token, user_name=name, user_id=user_id, how=how, saved=saved)

    def _save(
        self, token: Token, pending: PendingAuthorization, *, clear_localhost: bool
    ) -> config.MalSettings:
        path = self.settings.config_path
        stored = config.StoredTokens(
            access_token=token.access_token,
            refresh_token=token.refresh_token,
            token_type=token.token_type,
            expires_in=token.expires_in,
            issued_at=token.issued_at,
            client_id=token.client_id,
        )
        changes: dict[str, Any] = dict(self.remember)
        if clear_localhost:
            changes["localhost_url"] = None
        with config.locked(path):
            saved = config.write_settings(path, authorization=stored, **changes)
            _remember(path, pending.redirect_uri)
        if self.remember:
            names = " and ".join(
                {"client_id": "client id", "client_secret": "client secret"}[key]
                for key in self.remember
            )
            self.terminal.say(
                f"Saved the {names} in the `mal:` block of {path} so later commands find them."
            )
        if clear_localhost:
            self.terminal.say(f"Cleared `localhost_url` in {path}: its code is used up.")
        if saved.secrets_readable_by_others:
            self.terminal.say(
                f"Warning: {path} now holds tokens and other users of this computer can read "
                f"it: run `chmod 600 {path}`."
            )
        if saved.client_id and token.client_id and saved.client_id != token.client_id:
            self.terminal.say(
                f"Warning: these tokens belong to client id {token.client_id}, but the `mal:` "
                f"block of {path} names {saved.client_id}. Commands run without "
                "MAL_CLIENT_ID / --client-id will fail to refresh them: put the same client id "
                "in the block."
            )
        return saved
