"""`mal auth login|url|status|refresh|logout`, `mal whoami` and `mal doctor`: parse, call
`signin` / `session` / `doctor`, render. Imports nothing heavy at module level (`mal --help`
stays light); prints no secret, and every failure is one `mal: <reason>` line on stderr.
"""

from __future__ import annotations

import re
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import cyclopts

from malclient._exceptions import (
    APIError,
    AuthError,
    ConfigError,
    Forbidden,
    MALError,
    ServerError,
    TransportError,
    Unauthorized,
    UnexpectedTokenResponse,
)

if TYPE_CHECKING:
    from malclient.auth import Token
    from malclient.config import StoredTokens
    from malclient.settings import Settings

__all__ = ["EXIT_AUTH", "EXIT_NETWORK", "EXIT_USAGE", "auth", "doctor", "exit_code", "whoami"]

EXIT_USAGE = 2  # what was asked cannot work as given: flags, config, environment
EXIT_AUTH = 3  # signing in or the tokens failed: ReauthorizationRequired and friends
EXIT_NETWORK = 4  # MAL could not be reached, or failed

# Tokens, codes, verifiers and secrets are long unbroken runs of these; no message needs one.
_SECRET_LIKE = re.compile(r"[A-Za-z0-9_~+=.-]{40,}")

_FLAG = cyclopts.Parameter(negative=())
# `--json` as every command takes it (the commands import it from here).
Json = Annotated[bool, cyclopts.Parameter(name="--json", negative=())]

auth = cyclopts.App(
    name="auth",
    help="Sign in to MyAnimeList and manage the saved tokens.",
    help_format="markdown",
    default_parameter=_FLAG,
)


@cyclopts.Parameter(name="*")
@dataclass
class Where:
    """Which configuration and which server a command uses."""

    config: Path | None = None
    """YAML file with the `mal:` block (default: MAL_CONFIG, else config.yml in the user config
    folder). Kometa users: their config.yml."""

    sandbox: str | None = None
    """Use a local sandbox (`mal sandbox`) at this origin instead of MyAnimeList, e.g.
    http://127.0.0.1:8765."""


# --- shared plumbing --------------------------------------------------------------------------


def exit_code(exc: BaseException) -> int:
    """The process exit status for an error: 2 usage/config, 3 auth, 4 network or server."""
    if isinstance(exc, UnexpectedTokenResponse | TransportError | ServerError | Forbidden):
        return EXIT_NETWORK
    if isinstance(exc, AuthError | Unauthorized):
        return EXIT_AUTH
    if isinstance(exc, ConfigError):
        return EXIT_USAGE
    if isinstance(exc, APIError):
        return EXIT_NETWORK
    return 1


def scrub(text: str) -> str:
    """One line, with anything shaped like a token or a secret hidden."""
    return _SECRET_LIKE.sub("[hidden]", " ".join(text.split()))


def _run(body: Callable[[], int]) -> None:
    """Run a command: errors become `mal: <reason>` and an exit status, warnings one line each."""
    code = 0
    with warnings.catch_warnings(record=True) as caught:
        # Ours (RefreshTokenExpiringWarning and kin) are UserWarnings; libraries' deprecation
        # notices are not for the person running `mal`.
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", UserWarning)
        try:
            code = body()
        except MALError as exc:
            _show_warnings(caught)
            caught.clear()
            print(f"mal: {scrub(str(exc))}", file=sys.stderr, flush=True)
            code = exit_code(exc)
        except KeyboardInterrupt:
            print("\nmal: cancelled", file=sys.stderr, flush=True)
            code = 130
        _show_warnings(caught)
    if code:
        raise SystemExit(code)


def _show_warnings(caught: list[warnings.WarningMessage]) -> None:
    for item in caught:
        print(f"mal: warning: {scrub(str(item.message))}", file=sys.stderr, flush=True)


def _settings(
    where: Where | None, *, client_id: str | None = None, client_secret: str | None = None
) -> Settings:
    from malclient.settings import Settings

    where = where or Where()
    return Settings.resolve(
        config=where.config,
        sandbox=where.sandbox,
        client_id=client_id,
        client_secret=client_secret,
    )


def _plural(count: float, unit: str) -> str:
    number = round(count)
    return f"{number} {unit}{'' if number == 1 else 's'}"


def _print_json(document: object) -> None:
    """One JSON document on stdout, as the other commands' `--json` write it (imported here:
    `output` imports this module)."""
    from malclient.cli.output import print_json

    print_json(document)


def _iso(moment: float | None) -> str | None:
    """A moment in MAL's time format (`2024-03-01T12:00:00+00:00`, SPEC 3.7), for `--json`."""
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


def _token_from(stored: StoredTokens) -> Token:
    from malclient.auth import Token

    return Token.from_stored(
        access_token=stored.access_token,
        refresh_token=stored.refresh_token or "",
        expires_in=stored.expires_in or 0,
        token_type=stored.token_type,
        issued_at=stored.issued_at,
        client_id=stored.client_id,
    )


# --- mal auth login ---------------------------------------------------------------------------


@auth.command
def login(
    *,
    where: Where | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    redirect_uri: str | None = None,
    redirect_url: Annotated[str | None, cyclopts.Parameter(allow_leading_hyphen=True)] = None,
    no_browser: bool = False,
    paste: bool = False,
    timeout: float = 300.0,
) -> None:
    """Sign in to MyAnimeList and save the tokens in the `mal:` block of the config file.

    Opens the authorize page in a browser. When the app's redirect URL is
    `http://localhost:PORT/...` or `http://127.0.0.1:PORT/...`, malclient catches the browser's
    return on that port (this computer only); otherwise, or if that fails, paste the address
    the browser ended on (a page that does not load is expected). A `localhost_url` holding
    such an address in the `mal:` block (Kometa's way) is completed instead, then cleared.
    Without a terminal (Docker, CI), sign in in two steps: `mal auth url`, then
    `mal auth login --redirect-url ADDRESS`.

    Examples

        mal auth login
        mal auth login --client-id YOUR_CLIENT_ID --client-secret YOUR_SECRET
        mal auth login --redirect-uri http://127.0.0.1:8123/callback
        mal auth login --redirect-url 'http://localhost/?code=...&state=...'
        echo 'http://localhost/?code=...' | mal auth login --redirect-url -
        mal auth login --config ~/kometa/config/config.yml
        mal auth login --sandbox http://127.0.0.1:8765 --client-id SANDBOX_CLIENT_ID

    Parameters
    ----------
    client_id
        Client ID of your app (https://myanimelist.net/apiconfig); default MAL_CLIENT_ID, else
        the `mal:` block. Saved in the block after signing in.
    client_secret
        Client secret of a web app (other app types have none); default MAL_CLIENT_SECRET, else
        the block. Saved in the block after signing in.
    redirect_uri
        The app's redirect URL to use, exactly as registered (default MAL_REDIRECT_URI, else the
        last one used, else none: MAL then uses the app's only registered URL).
    redirect_url
        Complete a sign-in started with `mal auth url`: the address the browser ended on after
        Allow (`-` reads it from standard input, keeping it out of the process list).
    no_browser
        Do not open a browser; just print the address to open.
    paste
        Do not listen for the browser's return; ask for the address instead (the browser runs
        on another machine).
    timeout
        Seconds to wait for the browser's return before only the paste prompt is left.
    """

    def body() -> int:
        from malclient import signin
        from malclient.doctor import when

        settings = _settings(where, client_id=client_id, client_secret=client_secret)
        remember = {}
        if client_id and client_id.strip() != (settings.file.client_id or ""):
            remember["client_id"] = client_id.strip()
        if client_secret and client_secret.strip() != (settings.file.client_secret or ""):
            remember["client_secret"] = client_secret.strip()
        address = redirect_url
        if address is not None and address.strip() == "-":
            address = sys.stdin.readline()
        if timeout <= 0:
            raise ConfigError("--timeout must be a positive number of seconds.")
        session = signin.SignIn(
            settings,
            signin.ConsoleTerminal(),
            redirect_uri=redirect_uri,
            timeout=timeout,
            paste=paste,
            browser=None if no_browser else signin.open_in_browser,
            remember=remember,
        )
        done = session.run(address)
        now = time.time()
        who = f"Signed in as {done.user_name}" if done.user_name else "Signed in"
        if done.user_id is not None:
            who += f" (user id {done.user_id})"
        print(f"{who}.")
        print(
            f"Tokens saved in {settings.config_path} (mal.authorization); the access token "
            f"expires {when(done.token.expires_at, now)}."
        )
        return 0

    _run(body)


# --- mal auth url -----------------------------------------------------------------------------


@auth.command
def url(
    *,
    where: Where | None = None,
    client_id: str | None = None,
    redirect_uri: str | None = None,
) -> None:
    """Start a sign-in for another process to finish: print only the address to open.

    The sign-in's verifier and state are kept next to the config file (mode 0600) for 10
    minutes. Open the address, click Allow, then finish with the address the browser ended on
    (its page may not load; that is expected). For Docker, CI and remote machines.

    Examples

        mal auth url
        mal auth login --redirect-url 'http://localhost/?code=...&state=...'

        docker exec -it kometa mal auth url --config /config/config.yml

    Parameters
    ----------
    client_id
        Client ID of your app; default MAL_CLIENT_ID, else the `mal:` block.
    redirect_uri
        The app's redirect URL, exactly as registered (default MAL_REDIRECT_URI, else the last
        one used, else none).
    """

    def body() -> int:
        from malclient import signin

        settings = _settings(where, client_id=client_id)
        chosen, _ = signin.choose_redirect_uri(settings, redirect_uri)
        pending = signin.start(settings, chosen)
        print(pending.authorize_url, flush=True)
        print(
            "Open this address in a browser, sign in and click Allow. Then, within 10 minutes, "
            "run:\n    mal auth login --redirect-url 'ADDRESS'\nwith the address the browser "
            "ended on (if that page does not load, that is expected; copy it from the address "
            "bar). Use the same --config and --sandbox settings for both steps.",
            file=sys.stderr,
        )
        return 0

    _run(body)


# --- mal auth status --------------------------------------------------------------------------


@auth.command
def status(*, where: Where | None = None, offline: bool = False, as_json: Json = False) -> None:
    """Who is signed in, with which client id, and when the tokens expire (never the tokens).

    Asks MyAnimeList who the tokens belong to, renewing them first if the access token has
    expired; `--offline` only reads the config file. Exit status 3 when nobody is signed in or
    the tokens cannot be renewed.

    Examples

        mal auth status
        mal auth status --offline --config ~/kometa/config/config.yml
        mal auth status --json | jq .refresh_token.expires_at

    Parameters
    ----------
    offline
        Do not contact MyAnimeList: report what the config file says.
    as_json
        Print one JSON document (signed_in, user, client_id, access_token, refresh_token,
        problems, warnings); never a token.
    """

    def body() -> int:
        found = _status(where, offline)
        if as_json:
            _print_json(found.document())
        else:
            found.print_text()
        if found.error is not None:
            print(f"mal: {scrub(str(found.error))}", file=sys.stderr)
        return found.exit_code

    _run(body)


@dataclass(frozen=True)
class _Status:
    """What `mal auth status` found. Its text and its JSON are both drawn from these facts;
    `problems` are the reasons for a non-zero exit (with `error`), `warnings` change nothing."""

    config: Path
    now: float
    signed_in: bool = False
    offline: bool = False
    user_id: int | None = None
    user_name: str | None = None
    client_id: str | None = None
    access_expires_at: float | None = None  # None: the token's age is unknown
    access_expired: bool = False
    refresh_saved: bool = False
    refresh_expires_at: float | None = None  # an estimate: 31 days from issue
    refresh_expired: bool | None = None
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    error: MALError | None = None  # asking MAL failed

    @property
    def exit_code(self) -> int:
        if self.problems:
            return EXIT_AUTH
        return 0 if self.error is None else exit_code(self.error)

    def document(self) -> dict[str, Any]:
        """`--json`: the keys documented in docs/cli.md, a contract for scripts."""
        problems = list(self.problems)
        if self.error is not None:
            problems.append(scrub(str(self.error)))
        signed_in = self.signed_in
        return {
            "signed_in": signed_in,
            "config": str(self.config),
            "user": {"id": self.user_id, "name": self.user_name} if signed_in else None,
            "client_id": self.client_id,
            "access_token": (
                {"expires_at": _iso(self.access_expires_at), "expired": self.access_expired}
                if signed_in
                else None
            ),
            "refresh_token": (
                {
                    "saved": self.refresh_saved,
                    "expires_at": _iso(self.refresh_expires_at),
                    "expired": self.refresh_expired,
                }
                if signed_in
                else None
            ),
            "problems": problems,
            "warnings": list(self.warnings),
        }

    def print_text(self) -> None:
        from malclient.doctor import relative, when

        if not self.signed_in:
            for problem in self.problems:
                print(problem)
            return
        user = self.user_name or ("name not asked (--offline)" if self.offline else "name unknown")
        if self.user_id is not None:
            user += f" (user id {self.user_id})"
        print(f"Signed in to MyAnimeList: {user}")
        print(f"  client id:      {self.client_id or 'unknown'}")
        if self.access_expires_at is None:
            print("  access token:   age unknown; the next command renews it")
        elif self.access_expired:
            renewal = "expired " + relative(self.access_expires_at - self.now)
            print(f"  access token:   {renewal}; the next command renews it")
        else:
            print(f"  access token:   valid until {when(self.access_expires_at, self.now)}")
        if not self.refresh_saved:
            print("  refresh token:  none saved")
        elif self.refresh_expires_at is None:
            print("  refresh token:  saved (its age is unknown)")
        elif self.refresh_expired:
            print(f"  refresh token:  expired {relative(self.refresh_expires_at - self.now)}")
        else:
            print(f"  refresh token:  usable until about {when(self.refresh_expires_at, self.now)}")
        print(f"  saved in:       {self.config} (mal.authorization)")
        for problem in self.problems:
            print(f"Problem: {problem}")
        for warning in self.warnings:
            print(f"Warning: {warning}")


def _status(where: Where | None, offline: bool) -> _Status:
    """Read the saved tokens (after asking MAL who they belong to, unless `offline`)."""
    from malclient.doctor import relative

    settings = _settings(where)
    path = settings.config_path
    nobody = _Status(
        path,
        time.time(),
        client_id=settings.client_id,
        problems=(f"Not signed in: no tokens in {path}. Sign in with `mal auth login`.",),
    )
    if settings.file.authorization is None:
        return nobody
    me: dict[str, Any] = {}
    error: MALError | None = None
    if not offline:
        try:
            me = _whoami(settings)
        except MALError as exc:
            error = exc
        settings = _settings(where)  # the check may have renewed the tokens
    stored = settings.file.authorization
    if stored is None:  # signed out meanwhile
        return nobody
    token = _token_from(stored)
    now = time.time()
    claims = token.claims
    user_id = me.get("id")
    if not isinstance(user_id, int):
        user_id = claims.user_id if claims is not None else None
    name = me.get("name")
    known_age = token.issued_at is not None or (
        claims is not None and claims.expires_at is not None
    )
    refresh_expired: bool | None = None
    if token.refresh_token and token.refresh_expires_at is not None:
        refresh_expired = token.refresh_expired(now)
    problems: list[str] = []
    warned: list[str] = []
    if refresh_expired and token.refresh_expires_at is not None:
        problems.append(
            f"The refresh token expired {relative(token.refresh_expires_at - now)}, so the "
            "tokens cannot be renewed: sign in again with `mal auth login`."
        )
    token_client = token.client_id
    if token_client and settings.client_id and token_client != settings.client_id:
        problems.append(
            f"These tokens belong to client id {token_client}, but this configuration uses "
            f"{settings.client_id}; MAL will refuse to renew them. Use the same client id, or "
            "sign in again with this one."
        )
    if not token.refresh_token:
        warned.append("No refresh token is saved: sign in again when the access token expires.")
    if settings.file.secrets_readable_by_others:
        warned.append(
            f"{path} holds secrets and other users of this computer can read it: run "
            f"`chmod 600 {path}`."
        )
    return _Status(
        path,
        now,
        signed_in=True,
        offline=offline,
        user_id=user_id if isinstance(user_id, int) else None,
        user_name=name if isinstance(name, str) else None,
        client_id=token_client or settings.client_id,
        access_expires_at=token.expires_at if known_age else None,
        access_expired=token.expired(now),
        refresh_saved=bool(token.refresh_token),
        refresh_expires_at=token.refresh_expires_at if token.refresh_token else None,
        refresh_expired=refresh_expired,
        problems=tuple(problems),
        warnings=tuple(warned),
        error=error,
    )


def _whoami(settings: Settings) -> dict[str, Any]:
    """MAL's user object for the saved tokens (`/users/@me`), as MAL sent it."""
    from malclient.session import Session

    with Session.from_settings(settings) as session:
        me = session.request("GET", "/users/@me")
    return me if isinstance(me, dict) else {}


# --- mal auth refresh -------------------------------------------------------------------------


@auth.command
def refresh(*, where: Where | None = None, client_id: str | None = None) -> None:
    """Renew the access token now (and save the new pair), even if it is still valid.

    Tokens are renewed automatically when they near expiry; this is for a weekly job that
    wants to keep the refresh token young, or to check that renewal works.

    Examples

        mal auth refresh
        mal auth refresh --config ~/kometa/config/config.yml

    Parameters
    ----------
    client_id
        Client ID the tokens belong to; default MAL_CLIENT_ID, else the `mal:` block.
    """

    def body() -> int:
        from malclient.doctor import when
        from malclient.session import Session

        settings = _settings(where, client_id=client_id)
        with Session.from_settings(settings) as session:
            assert session.manager is not None
            token = session.manager.refresh()
        now = time.time()
        print(f"Renewed the tokens saved in {settings.config_path}.")
        print(f"  access token:   valid until {when(token.expires_at, now)}")
        if token.refresh_expires_at is not None:
            print(f"  refresh token:  usable until about {when(token.refresh_expires_at, now)}")
        return 0

    _run(body)


# --- mal auth logout --------------------------------------------------------------------------


@auth.command
def logout(*, where: Where | None = None) -> None:
    """Remove the saved tokens; the client id, secret and everything else in the file stay.

    MyAnimeList offers no way to revoke tokens from outside: to cut off copies of them too,
    remove the app's access in your MyAnimeList account settings.

    Examples

        mal auth logout
        mal auth logout --config ~/kometa/config/config.yml
    """

    def body() -> int:
        from malclient import config

        settings = _settings(where)
        path = settings.config_path
        if settings.file.authorization is None:
            print(f"Not signed in: no tokens in {path}; nothing to remove.")
            return 0
        config.write_authorization(path, None)
        print(
            f"Signed out: removed the tokens from the `mal:` block of {path}; the client id, "
            "secret and the rest of the file are unchanged."
        )
        print(
            "MyAnimeList cannot revoke tokens from here: to cut off any copy of them, remove "
            "the app's access in your MyAnimeList account settings."
        )
        return 0

    _run(body)


# --- mal whoami -------------------------------------------------------------------------------


def whoami(
    *, where: Where | None = None, client_id: str | None = None, as_json: Json = False
) -> None:
    """Ask MyAnimeList who the saved tokens belong to (renewing them first if need be).

    Examples

        mal whoami
        mal whoami --config ~/kometa/config/config.yml
        mal whoami --json | jq .id

    Parameters
    ----------
    client_id
        Client ID the tokens belong to; default MAL_CLIENT_ID, else the `mal:` block.
    as_json
        Print MAL's user object (`id`, `name`, ...) as MAL sent it.
    """

    def body() -> int:
        me = _whoami(_settings(where, client_id=client_id))
        if not isinstance(me.get("name"), str):
            raise TransportError("MyAnimeList's answer to /users/@me has no user name.")
        if as_json:
            _print_json(me)
            return 0
        user_id = me.get("id")
        print(me["name"] + (f" (user id {user_id})" if isinstance(user_id, int) else ""))
        return 0

    _run(body)


# --- mal doctor -------------------------------------------------------------------------------


def doctor(
    *,
    where: Where | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    redirect_uri: str | None = None,
    offline: Annotated[bool, _FLAG] = False,
    as_json: Json = False,
) -> None:
    """Check a configuration and explain what is wrong and how to fix it.

    Looks at the config file (parses? writable? readable by others?), the client id's shape,
    the secret against the app type (by asking MAL's token endpoint with a dummy refresh
    token: nothing is changed), the redirect URL, this computer's clock against MAL's, and the
    saved tokens (valid? expiring?). Exit status: 0 when nothing is wrong (warnings allowed),
    else 2 (configuration), 3 (sign-in/tokens) or 4 (network).

    Examples

        mal doctor
        mal doctor --config ~/kometa/config/config.yml
        mal doctor --offline
        mal doctor --json | jq -r '.problems[]'

    Parameters
    ----------
    client_id
        Check this client ID instead of MAL_CLIENT_ID / the `mal:` block.
    client_secret
        Check this client secret instead of MAL_CLIENT_SECRET / the block.
    redirect_uri
        Check this redirect URL (default MAL_REDIRECT_URI, else the last one used).
    offline
        Do not contact MyAnimeList: only check what can be checked locally.
    as_json
        Print one JSON document: config, server, findings (level, topic, text), problems and
        warnings.
    """

    def body() -> int:
        from malclient import doctor as checks

        where_ = where or Where()
        report = checks.examine(
            config=where_.config,
            sandbox=where_.sandbox,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            online=not offline,
        )
        findings = [(f.level, f.topic, scrub(f.text)) for f in report.findings]
        problems = [f"{topic}: {text}" for level, topic, text in findings if level == "fail"]
        warned = [f"{topic}: {text}" for level, topic, text in findings if level == "warn"]
        if as_json:
            _print_json(
                {
                    "config": str(report.config_path),
                    "server": report.server,
                    "findings": [
                        {"level": level, "topic": topic, "text": text}
                        for level, topic, text in findings
                    ],
                    "problems": problems,
                    "warnings": warned,
                }
            )
            return report.exit_code
        print(f"Checking {report.config_path} against {report.server}")
        for level, topic, text in findings:
            print(f"  {level:<5} {topic}: {text}")
        if problems or warned:
            print(f"{_plural(len(problems), 'problem')}, {_plural(len(warned), 'warning')}.")
        else:
            print("Everything checked is fine.")
        return report.exit_code

    _run(body)
