"""`mal doctor`: checks a configuration and says, for each thing found, what it means and what to
do. Changes nothing (MAL is asked only questions without side effects); never reports a secret,
only its length and where it came from.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx2

from malclient import _transport, signin
from malclient._exceptions import (
    APIError,
    ConfigError,
    InvalidClient,
    MALError,
    RefreshTokenRejected,
    TokenRequestError,
    TransportError,
    UnexpectedTokenResponse,
)
from malclient._protocol import ApiResponse, build_request
from malclient.auth import (
    KOMETA_FIXED_VERIFIER,
    FormPost,
    PendingAuthorization,
    Token,
    parse_redirect,
    parse_token_response,
)
from malclient.config import resolve_config_path
from malclient.settings import Settings

__all__ = ["Finding", "Report", "examine", "relative", "when"]

# Not a refresh token: MAL authenticates the client first (SPEC 2.5 rows 3-4), then cannot
# decrypt this (row 7b). Which of the two refuses tells whether the credentials are right.
_PROBE_REFRESH_TOKEN = "malclient-doctor-probe"  # noqa: S105 - a dummy, on purpose
_CLIENT_ID = re.compile(r"[0-9a-f]{32}")
# Access tokens are checked against this clock; more than a minute off starts to matter.
_SKEW_TOLERANCE = 60.0
_REFRESH_WARNING = 7 * 86400.0


def _plural(count: float, unit: str) -> str:
    number = round(count)
    return f"{number} {unit}{'' if number == 1 else 's'}"


def relative(delta: float) -> str:
    """`in 3 days`, `5 minutes ago`: how far `delta` seconds is from now."""
    span = abs(delta)
    if span < 90:
        text = _plural(span, "second")
    elif span < 90 * 60:
        text = _plural(span / 60, "minute")
    elif span < 48 * 3600:
        text = _plural(span / 3600, "hour")
    else:
        text = _plural(span / 86400, "day")
    return f"in {text}" if delta >= 0 else f"{text} ago"


def when(moment: float, now: float) -> str:
    """A moment in local time, and how far it is from now."""
    local = datetime.fromtimestamp(moment).astimezone()
    return f"{local:%Y-%m-%d %H:%M %Z} ({relative(moment - now)})"


@dataclass(frozen=True)
class Finding:
    """One thing checked. `level`: ok, info, warn or fail; `exit_code` for a failure."""

    level: str
    topic: str
    text: str
    exit_code: int = 0


@dataclass
class Report:
    config_path: Path
    server: str
    findings: list[Finding] = field(default_factory=list)

    def add(self, level: str, topic: str, text: str, exit_code: int = 0) -> None:
        self.findings.append(Finding(level, topic, text, exit_code))

    @property
    def exit_code(self) -> int:
        """The first failure's exit status (2 config, 3 sign-in, 4 network), else 0."""
        return next((f.exit_code for f in self.findings if f.level == "fail"), 0)


def _source(flag: str | None, env: Mapping[str, str], name: str, from_file: str | None) -> str:
    if flag:
        return "from the command line"
    if env.get(name):
        return f"from {name}"
    if from_file:
        return "from the config file"
    return ""


def examine(
    *,
    config: str | os.PathLike[str] | None = None,
    sandbox: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    redirect_uri: str | None = None,
    online: bool = True,
    env: Mapping[str, str] | None = None,
    http: httpx2.Client | None = None,
) -> Report:
    """Check everything `mal auth login` and token renewal depend on."""
    env = os.environ if env is None else env
    try:
        settings = Settings.resolve(
            config=config,
            sandbox=sandbox,
            client_id=client_id,
            client_secret=client_secret,
            env=env,
        )
    except ConfigError as exc:
        report = Report(resolve_config_path(config, env), "MyAnimeList")
        report.add("fail", "config", str(exc), 2)
        return report
    report = Report(settings.config_path, settings.auth_url.removesuffix("/v1/oauth2"))
    _check_file(report, settings)
    _check_client(report, settings, client_id, client_secret, env)
    uri, uri_source = signin.choose_redirect_uri(settings, redirect_uri, env)
    uri_ok = _check_redirect_uri(report, uri, uri_source)
    own = http is None
    client = _transport.new_client(15.0) if own and online else http
    try:
        dated: ApiResponse | None = None
        if online and client is not None and settings.client_id:
            dated = _probe_client(report, settings, client, uri if uri_ok else None)
        reachable = not any(finding.topic == "network" for finding in report.findings)
        tokens_answer = _check_tokens(report, settings, client if online and reachable else None)
        if online and client is not None:
            _check_clock(report, tokens_answer or dated)
    finally:
        if own and client is not None:
            client.close()
    _check_waiting(report, settings)
    return report


def _check_file(report: Report, settings: Settings) -> None:
    path = settings.config_path
    if not path.exists():
        folder = next((p for p in [path.parent, *path.parents] if p.exists()), path.parent)
        if os.access(folder, os.W_OK):
            report.add(
                "info",
                "config file",
                f"{path} does not exist yet; `mal auth login` creates it (readable by you only).",
            )
        else:
            report.add(
                "fail",
                "config file",
                f"{path} does not exist and {folder} is not writable, so it cannot be created: "
                "point --config / MAL_CONFIG at a writable place.",
                2,
            )
        return
    if not settings.file.has_block:
        report.add(
            "info",
            "config file",
            f"{path} parses; it has no `mal:` block yet (`mal auth login` adds one at the end, "
            "leaving the rest of the file as it is).",
        )
    else:
        report.add("ok", "config file", f"{path} parses and has a `mal:` block.")
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        which = path if not os.access(path, os.W_OK) else path.parent
        report.add(
            "fail",
            "config file",
            f"{which} is not writable by this user, so new tokens cannot be saved (and a "
            "renewed pair would be lost): fix the permissions, or point --config / "
            "MAL_CONFIG at a writable copy. In Docker, mount the folder, not the file.",
            2,
        )
    else:
        report.add("ok", "config file", "writable (saved tokens and renewals can be stored).")
    if settings.file.secrets_readable_by_others:
        report.add(
            "warn",
            "config file",
            f"other users of this computer can read it, and it holds a client secret or "
            f"tokens: run `chmod 600 {path}`.",
        )


def _check_client(
    report: Report,
    settings: Settings,
    flag_id: str | None,
    flag_secret: str | None,
    env: Mapping[str, str],
) -> None:
    client_id = settings.client_id
    if not client_id:
        report.add(
            "fail",
            "client id",
            "none set: put `client_id:` in the `mal:` block, set MAL_CLIENT_ID or pass "
            "--client-id. Create one at https://myanimelist.net/apiconfig.",
            2,
        )
        return
    where = _source(flag_id, env, "MAL_CLIENT_ID", settings.file.client_id)
    shown = client_id.strip()
    if _CLIENT_ID.fullmatch(shown):
        report.add("ok", "client id", f"{shown} ({where}) has MAL's shape: 32 hex characters.")
    elif len(shown) == 64:
        report.add(
            "warn",
            "client id",
            f"the client id ({where}) is 64 characters long, like a client secret: MAL's "
            "client ids have 32. Were the two swapped? Compare with "
            "https://myanimelist.net/apiconfig.",
        )
    else:
        report.add(
            "warn",
            "client id",
            f"{shown!r} ({where}) is not 32 hexadecimal characters, the shape of MAL's client "
            "ids (SPEC 2.1): check it for a copy error at https://myanimelist.net/apiconfig.",
        )
    secret = settings.client_secret
    if secret is None:
        report.add(
            "info",
            "client secret",
            "none set: right for android/ios/other apps; web apps need theirs.",
        )
    else:
        where = _source(flag_secret, env, "MAL_CLIENT_SECRET", settings.file.client_secret)
        shape = "" if len(secret) == 64 else " (MAL's secrets have 64: check for a copy error)"
        report.add(
            "info",
            "client secret",
            f"set ({where}), {len(secret)} characters{shape}; never shown.",
        )


def _check_redirect_uri(report: Report, uri: str | None, source: str) -> bool:
    if uri is None:
        report.add(
            "info",
            "redirect URL",
            "none set: MAL sends the browser to the app's registered redirect URL, which "
            "works only while exactly one is registered. `mal auth login` then listens on "
            "http://localhost/ (port 80) when it may, else asks you to paste the address.",
        )
        return False
    if any(char.isspace() for char in uri):
        report.add(
            "fail", "redirect URL", f"it ({source}) contains spaces or line breaks: remove them.", 2
        )
        return False
    parts = urlsplit(uri)
    if not parts.scheme or (parts.scheme in ("http", "https") and not parts.netloc):
        report.add(
            "fail",
            "redirect URL",
            f"{uri!r} ({source}) is not a full address: write it exactly as registered at "
            "https://myanimelist.net/apiconfig, e.g. http://localhost/.",
            2,
        )
        return False
    if parts.fragment:
        report.add(
            "fail",
            "redirect URL",
            f"{uri} ({source}) has a #fragment, which OAuth redirect URLs may not have.",
            2,
        )
        return False
    address = signin.loopback_address(uri)
    note = "it must match a registered one exactly (scheme, host, port, path, trailing slash)"
    if address is None:
        report.add(
            "info",
            "redirect URL",
            f"{uri} ({source}); {note}. malclient cannot catch the browser there, so `mal auth "
            "login` asks you to paste the address the browser ends on.",
        )
        return True
    problem = _port_problem(address)
    if problem is None:
        report.add(
            "ok",
            "redirect URL",
            f"{uri} ({source}); {note}. `mal auth login` catches the browser's return on port "
            f"{address.port}.",
        )
    else:
        report.add(
            "warn",
            "redirect URL",
            f"{uri} ({source}): {problem}; `mal auth login` will ask you to paste the address "
            "instead.",
        )
    return True


def _port_problem(address: signin.LoopbackAddress) -> str | None:
    try:
        signin.Listener.open(address, _dummy_pending()).close()
    except signin.ListenerUnavailable as exc:
        return exc.reason
    return None


def _dummy_pending() -> PendingAuthorization:
    # Only to try the port: nothing is ever accepted with it.
    return PendingAuthorization(client_id="doctor", verifier=KOMETA_FIXED_VERIFIER, state=None)


def _probe_client(
    report: Report, settings: Settings, http: httpx2.Client, redirect_uri: str | None
) -> ApiResponse | None:
    app = settings.app()
    request = app.refresh_request(_PROBE_REFRESH_TOKEN)
    answer, verdict = _probe(http, request)
    if verdict is None:
        return answer
    secret = app.client_secret is not None
    if isinstance(verdict, InvalidClient):
        if secret:
            text = (
                "MAL refused the client id and secret: the secret does not belong to this "
                "client id (copy both again from https://myanimelist.net/apiconfig), or the "
                "client id is unknown."
            )
        else:
            text = (
                "MAL refused the client id without a secret: it is probably a web app, which "
                "needs its client secret (client_secret in the `mal:` block, "
                "MAL_CLIENT_SECRET or --client-secret), or the client id is unknown."
            )
        report.add("fail", "client", text, 3)
        return answer
    if isinstance(verdict, RefreshTokenRejected):
        text = (
            "MAL accepted the client id and secret."
            if secret
            else "MAL accepted the client id without a secret: an android/ios/other app."
        )
        report.add("ok", "client", text)
    elif isinstance(verdict, TransportError | UnexpectedTokenResponse):
        report.add("fail", "network", str(verdict), 4)
        return answer
    else:
        report.add("warn", "client", f"MAL's token endpoint answered unexpectedly: {verdict}")
        return answer
    if redirect_uri is not None:
        form = {**request.form, "redirect_uri": redirect_uri}
        _, uri_verdict = _probe(http, FormPost(request.url, form))
        if isinstance(uri_verdict, InvalidClient):
            report.add(
                "fail",
                "redirect URL",
                f"MAL's token endpoint refuses {redirect_uri} for this app: it is not one of "
                "the app's registered redirect URLs. Register exactly this address at "
                "https://myanimelist.net/apiconfig, or use the registered one.",
                3,
            )
        elif isinstance(uri_verdict, RefreshTokenRejected):
            report.add("ok", "redirect URL", f"MAL accepts {redirect_uri} for this app.")
    return answer


def _probe(http: httpx2.Client, request: FormPost) -> tuple[ApiResponse | None, MALError | None]:
    try:
        response = _transport.post_form(http, request)
    except TransportError as exc:
        return None, exc
    try:
        parse_token_response(response.status, response.body, response.headers)
    except TokenRequestError as exc:
        return response, exc
    # A dummy refresh token redeemed: not a MAL we know. Say so rather than guess.
    return response, TokenRequestError("The token endpoint accepted a dummy refresh token.")


def _check_tokens(
    report: Report, settings: Settings, http: httpx2.Client | None
) -> ApiResponse | None:
    stored = settings.file.authorization
    if stored is None:
        report.add(
            "fail",
            "tokens",
            "nobody is signed in with this configuration: run `mal auth login`.",
            3,
        )
        return None
    now = time.time()
    token = Token.from_stored(
        access_token=stored.access_token,
        refresh_token=stored.refresh_token or "",
        expires_in=stored.expires_in or 0,
        token_type=stored.token_type,
        issued_at=stored.issued_at,
        client_id=stored.client_id,
    )
    if token.client_id and settings.client_id and token.client_id != settings.client_id:
        report.add(
            "fail",
            "tokens",
            f"they belong to client id {token.client_id}, but this configuration uses "
            f"{settings.client_id}: MAL refuses to renew tokens for another client ('Token "
            "is not linked to client'). Use the same client id, or sign in again.",
            3,
        )
    if not token.refresh_token:
        report.add(
            "warn", "tokens", "no refresh token is saved: sign in again when the access expires."
        )
    elif token.refresh_expires_at is None:
        report.add("info", "tokens", "the refresh token's age is unknown (saved by another tool).")
    elif token.refresh_expired(now):
        report.add(
            "fail",
            "tokens",
            f"the refresh token expired {relative(token.refresh_expires_at - now)} (they last "
            "31 days): sign in again with `mal auth login`.",
            3,
        )
    elif token.refresh_expired(now, _REFRESH_WARNING):
        report.add(
            "warn",
            "tokens",
            f"the refresh token ends {when(token.refresh_expires_at, now)}: run `mal auth "
            "refresh` (or use the tokens) before then, or sign in again after.",
        )
    else:
        report.add(
            "ok",
            "tokens",
            f"the refresh token is usable until about {when(token.refresh_expires_at, now)}.",
        )
    expired = token.expired(now)
    if expired:
        report.add(
            "info",
            "tokens",
            f"the access token expired {relative(token.expires_at - now)}; the next command "
            "renews it (or run `mal auth refresh`).",
        )
    else:
        report.add(
            "ok", "tokens", f"the access token is valid until {when(token.expires_at, now)}."
        )
    if http is None:
        return None
    request = build_request(settings.api_url, "GET", "/users/@me", token=token)
    try:
        response = _transport.send(http, request)
    except TransportError as exc:
        report.add("fail", "network", str(exc), 4)
        return None
    if response.status == 200:
        report.add("ok", "tokens", "MAL accepts the access token.")
    elif response.status == 401:
        if expired:
            report.add("info", "tokens", "MAL refuses the expired access token, as expected.")
        else:
            report.add(
                "warn",
                "tokens",
                "MAL refuses the access token although it has not expired: it was revoked or "
                "replaced (signed in elsewhere, or the app removed from the account). Run "
                "`mal auth refresh`; if that fails, `mal auth login`.",
            )
    else:
        from malclient._protocol import api_error

        error: APIError = api_error(response, request, user=True)
        report.add("warn", "tokens", f"could not check the access token: {error}")
    return response


def _check_clock(report: Report, answer: ApiResponse | None) -> None:
    if answer is None:
        return
    date = next((value for key, value in answer.headers.items() if key.lower() == "date"), "")
    try:
        server = parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError, IndexError):
        report.add("info", "clock", "MAL's answer had no usable Date header to compare with.")
        return
    skew = time.time() - server
    if abs(skew) <= _SKEW_TOLERANCE:
        report.add("ok", "clock", "this computer's clock agrees with MAL's (within a minute).")
        return
    direction = "ahead of" if skew > 0 else "behind"
    report.add(
        "warn",
        "clock",
        f"this computer's clock is {_plural(abs(skew) / 60, 'minute')} {direction} MAL's: "
        "token expiry is judged by it, so tokens may be renewed too late (401s) or too early. "
        "Turn on automatic time (NTP).",
    )


def _check_waiting(report: Report, settings: Settings) -> None:
    text = settings.file.localhost_url
    if text:
        try:
            parse_redirect(text)
        except MALError:
            report.add(
                "info",
                "localhost_url",
                "it holds an address without a usable code; `mal auth login` ignores it.",
            )
        else:
            report.add(
                "info",
                "localhost_url",
                "it holds a sign-in address with a code: `mal auth login` completes it (codes "
                "expire within minutes) and then clears it.",
            )
    try:
        pending = signin.resume(settings)
    except ConfigError as exc:
        report.add("warn", "sign-in", str(exc))
        return
    if pending is not None:
        report.add(
            "info",
            "sign-in",
            "a sign-in started with `mal auth url` is waiting: finish it with `mal auth login "
            "--redirect-url ADDRESS`.",
        )
