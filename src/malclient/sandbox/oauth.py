"""MAL's authorization server: /v1/oauth2/authorize (login + consent page) and /v1/oauth2/token.

Owns OAuth validation in MAL's check order, the sign-in page and both grants. It renders only
OAuth bodies (never API v2 errors) and keeps no login session: every sign-in shows the form.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast
from urllib.parse import quote_plus, unquote_to_bytes

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from malclient.sandbox.config import RegisteredApp, SandboxUser
from malclient.sandbox.state import SandboxState
from malclient.sandbox.tokens import AccessToken, RefreshToken
from malclient.sandbox.wire import MALResponse, oauth_error

# The texts of MAL's server library (SPEC 2.5: M1, M2 and the table).
M1 = (
    "The request is missing a required parameter, includes an invalid parameter value, includes "
    "a parameter more than once, or is otherwise malformed."
)
M2 = (
    "The provided authorization grant (e.g., authorization code, resource owner credentials) or "
    "refresh token is invalid, expired, revoked, does not match the redirection URI used in the "
    "authorization request, or was issued to another client."
)
UNSUPPORTED_GRANT = "The authorization grant type is not supported by the authorization server."
CLIENT_FAILED = "Client authentication failed"
REFRESH_INVALID = "The refresh token is invalid."
DENIED = "The resource owner or authorization server denied the request."
DENIED_HINT = "The user denied the request"

# RFC 7636 unreserved characters, as the server library checks them (SPEC 2.2, [INF]). Kept as
# `re.match` with `$` on purpose: like PHP's `$`, it also accepts one trailing newline.
_PKCE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


class Refusal(Exception):
    """An OAuth error, raised so that checks read in MAL's order: the first failure wins."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        hint: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{error}: {hint or message}")
        self.status = status
        self.error = error
        self.message = message
        self.hint = hint
        self.headers = headers

    def response(self) -> MALResponse:
        return oauth_error(self.status, self.error, self.message, self.hint, self.headers)


def invalid_request(parameter: str, hint: str | None = None) -> Refusal:
    return Refusal(400, "invalid_request", M1, hint or f"Check the `{parameter}` parameter")


def unsupported_grant_type() -> Refusal:
    return Refusal(
        400, "unsupported_grant_type", UNSUPPORTED_GRANT, "Check the `grant_type` parameter"
    )


def invalid_client(request: Request) -> Refusal:
    # The library answers with the scheme the client tried: Bearer when it sent a Bearer header
    # (mihon does on refresh, SPEC 2.5), Basic otherwise. [INF] S-LEAGUE
    sent = request.headers.get("authorization", "")
    scheme = "Bearer" if sent.startswith("Bearer") else "Basic"
    return Refusal(
        401,
        "invalid_client",
        CLIENT_FAILED,
        headers={"WWW-Authenticate": f'{scheme} realm="OAuth"'},
    )


def invalid_refresh_token(hint: str) -> Refusal:
    # Refresh errors are invalid_request with 401, not invalid_grant (SPEC 2.5 notes). [OBS]
    return Refusal(401, "invalid_request", REFRESH_INVALID, hint)


def _state(request: Request) -> SandboxState:
    return cast(SandboxState, request.app.state.sandbox)


def _account(state: SandboxState, name: str) -> SandboxUser | None:
    data = state.catalogue.users.get(name.lower())
    return None if data is None else data.account


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


# ----------------------------------------------------------------------------------------------
# Request bodies, the way PHP reads them


def _unquote(raw: bytes) -> str:
    # Non-UTF-8 bytes must not crash the sandbox; PHP keeps them, we substitute U+FFFD.
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")


def parse_urlencoded(body: bytes) -> dict[str, str]:
    """PHP's reading of a form body: `+` is a space, the last duplicate wins, `a` alone is ""."""
    # Not mimicked: PHP's renaming of `.`/` ` in names to `_` and `name[]` arrays.
    fields: dict[str, str] = {}
    for pair in body.split(b"&"):
        key, _, value = pair.partition(b"=")
        name = _unquote(key)
        if name:
            fields[name] = _unquote(value)
    return fields


async def read_form(request: Request) -> dict[str, str]:
    """The POST form, or {} for anything PHP would not parse (SPEC 2.5: JSON is not parsed)."""
    mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if mime == "application/x-www-form-urlencoded":
        return parse_urlencoded(await request.body())
    if mime == "multipart/form-data":
        # PHP fills $_POST from multipart bodies too, so MAL presumably accepts them. [INF]
        fields: dict[str, str] = {}
        try:
            async with request.form() as form:
                for name, value in form.multi_items():
                    if not isinstance(value, UploadFile):
                        fields[name] = value
        except HTTPException:  # a malformed multipart body: PHP sees no fields
            return {}
        return fields
    return {}


def basic_credentials(request: Request) -> tuple[str | None, str | None]:
    """`Authorization: Basic` as the library reads it: lenient base64, a colon required."""
    header = request.headers.get("authorization", "")
    if not header.startswith("Basic "):
        return None, None
    # PHP's non-strict base64_decode skips characters outside the alphabet and bad padding.
    data = re.sub(r"[^A-Za-z0-9+/]", "", header[6:])
    if len(data) % 4 == 1:
        data = data[:-1]
    try:
        decoded = base64.b64decode(data + "=" * (-len(data) % 4)).decode("utf-8", "replace")
    except binascii.Error:
        return None, None
    if ":" not in decoded:
        return None, None
    user, _, password = decoded.partition(":")
    return user, password


# ----------------------------------------------------------------------------------------------
# GET/POST /v1/oauth2/authorize


@dataclass(frozen=True)
class AuthorizeRequest:
    app: RegisteredApp
    target: str  # where the browser goes back to: the URI sent, else the single registered one
    redirect_uri: str | None  # as sent; recorded with the code for the 5f/5g checks
    state: str | None
    challenge: str
    challenge_method: str


def validate_authorize(params: Mapping[str, str], request: Request) -> AuthorizeRequest:
    """SPEC 2.3's checks in the server library's order; each failure is a JSON page."""
    sandbox = _state(request)
    if params.get("response_type") != "code":
        # No grant answers such a request, so the library says its generic "unsupported grant"
        # (AuthorizationServer::validateAuthorizationRequest), not RFC 6749's
        # unsupported_response_type. [INF] S-LEAGUE
        raise unsupported_grant_type()
    client_id = params.get("client_id")
    if client_id is None:
        raise invalid_request("client_id")
    app = sandbox.apps.get(client_id)
    if app is None:
        raise invalid_client(request)
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is not None:
        # Exact string match, no normalisation (SPEC 2.3 [DOC]).
        if redirect_uri not in app.redirect_uris:
            raise invalid_client(request)
        target = redirect_uri
    elif len(app.redirect_uris) != 1:
        raise invalid_client(request)
    else:
        target = app.redirect_uris[0]
    challenge = params.get("code_challenge")
    if challenge is None:
        raise invalid_request("code_challenge")
    method = params.get("code_challenge_method", "plain")
    if method not in ("plain", "S256"):
        raise invalid_request(
            "code_challenge_method", "Code challenge method must be `plain` or `S256`"
        )
    if not _PKCE.match(challenge):
        raise invalid_request(
            "code_challenge", "The code_challenge must be between 43 and 128 characters"
        )
    return AuthorizeRequest(app, target, redirect_uri, params.get("state"), challenge, method)


def _php_urlencode(value: str) -> str:
    # PHP's urlencode (what http_build_query uses): space as "+", "~" escaped too.
    return quote_plus(value, safe="").replace("~", "%7E")


def _append_query(uri: str, pairs: list[tuple[str, str | None]]) -> str:
    """The library's makeRedirectUri: "?" or "&", then http_build_query (None values dropped)."""
    query = "&".join(f"{k}={_php_urlencode(v)}" for k, v in pairs if v is not None)
    return uri + ("&" if "?" in uri else "?") + query


def _redirect(location: str) -> Response:
    # Not Starlette's RedirectResponse: it re-quotes the URL, MAL sends it as built.
    return Response(status_code=302, headers={"Location": location, "Cache-Control": "no-store"})


def _approve(sandbox: SandboxState, auth: AuthorizeRequest, user: SandboxUser) -> Response:
    code = sandbox.tokens.new_code(
        auth.app.client_id, user.name, auth.redirect_uri, auth.challenge, auth.challenge_method
    )
    # SPEC 2.4: REDIRECT_URI?code=CODE&state=STATE, state absent when none was sent.
    return _redirect(_append_query(auth.target, [("code", code.value), ("state", auth.state)]))


def _deny(auth: AuthorizeRequest) -> Response:
    # SPEC 2.4 [OBS]: state first, then error, message, hint. The library appends the error in
    # a second step, so without a state the URI reads `...?&error=access_denied...` [INF].
    back = _append_query(auth.target, [("state", auth.state)])
    return _redirect(
        _append_query(
            back, [("error", "access_denied"), ("message", DENIED), ("hint", DENIED_HINT)]
        )
    )


_STYLE = """
body{margin:0;background:#eef1f6;color:#1c1f24;font:16px/1.5 system-ui,sans-serif}
main{max-width:27rem;margin:3rem auto;padding:1.5rem 2rem;background:#fff;border-radius:8px;
box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{margin:0 0 .5rem;font-size:1.35rem;color:#2e51a2}
label{display:block;margin-top:1rem;font-weight:600}
input{box-sizing:border-box;width:100%;margin-top:.25rem;padding:.5rem;font:inherit}
.error{padding:.5rem .75rem;border-radius:4px;background:#fdecea;color:#8a1c12}
.buttons{display:flex;gap:.75rem;margin-top:1.5rem}
button{flex:1;padding:.6rem;border:1px solid #2e51a2;border-radius:4px;font:inherit}
.allow{background:#2e51a2;color:#fff}
.cancel{background:#fff;color:#2e51a2}
.note{font-size:.875rem;color:#4a4f57}
code{word-break:break-all}
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    # No scripts, no external loads, only this page's own stylesheet. No `form-action`: browsers
    # apply it to the redirect after submit, which goes to the app's (often custom) URI.
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    # The page URL holds the code challenge, which equals the verifier under plain PKCE.
    "Referrer-Policy": "no-referrer",
}


def _page(
    sandbox: SandboxState,
    auth: AuthorizeRequest,
    request: Request,
    *,
    username: str = "",
    error: str | None = None,
) -> HTMLResponse:
    """The login + consent page; the form posts back to the same URL, query included."""
    esc = html.escape
    name = esc(auth.app.name)
    action = request.url.path + ("?" + request.url.query if request.url.query else "")
    accounts = "".join(
        f"<li><code>{esc(u.account.name)}</code> / <code>{esc(u.account.password)}</code></li>"
        for u in sandbox.catalogue.users.values()
    )
    alert = f'<p class="error" id="error" role="alert">{esc(error)}</p>\n' if error else ""
    # After a failed sign-in: mark the fields for assistive technology, focus the password.
    invalid = ' aria-invalid="true" aria-describedby="error"' if error else ""
    body = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Authorize {name} · MyAnimeList sandbox</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>Authorize {name}</h1>
<p><strong>{name}</strong> would like to see and modify your basic profile information and your
anime and manga lists.</p>
{alert}<form method="post" action="{esc(action)}">
<label for="username">Username</label>
<input id="username" name="username" value="{esc(username)}" autocomplete="username"
 required{invalid}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"
 required{invalid}{" autofocus" if error else ""}>
<div class="buttons">
<button class="allow" type="submit" name="decision" value="allow">Allow</button>
<button class="cancel" type="submit" name="decision" value="cancel" formnovalidate>Cancel</button>
</div>
</form>
<p class="note">Either way you return to <code>{esc(auth.target)}</code>.</p>
<p class="note">This is the malclient sandbox, not MyAnimeList: never type a real password
here.</p>
<details class="note"><summary>Sandbox test accounts</summary><ul>{accounts}</ul></details>
</main>
</body>
</html>
"""
    return HTMLResponse(body, headers=PAGE_HEADERS)


async def authorize(request: Request) -> Response:
    sandbox = _state(request)
    try:
        auth = validate_authorize(request.query_params, request)
    except Refusal as refusal:
        return refusal.response()
    if request.method != "POST":
        automatic = _account(sandbox, sandbox.auto_approve) if sandbox.auto_approve else None
        if automatic is not None:
            return _approve(sandbox, auth, automatic)
        return _page(sandbox, auth, request)
    form = await read_form(request)
    # Any decision other than "cancel" is a sign-in attempt, so a script may post just
    # username and password.
    if form.get("decision") == "cancel":
        return _deny(auth)
    username = form.get("username", "")
    user = _account(sandbox, username)
    if user is None or not _same(form.get("password", ""), user.password):
        return _page(
            sandbox, auth, request, username=username, error="Incorrect username or password."
        )
    return _approve(sandbox, auth, user)


# ----------------------------------------------------------------------------------------------
# POST /v1/oauth2/token


def authenticate_client(request: Request, form: Mapping[str, str]) -> RegisteredApp:
    """Rows 2-4 of SPEC 2.5: form fields win over HTTP Basic, as in the server library."""
    sandbox = _state(request)
    basic_user, basic_password = basic_credentials(request)
    client_id = form.get("client_id", basic_user)
    if client_id is None:
        raise invalid_request("client_id")
    secret = form.get("client_secret", basic_password)
    app = sandbox.apps.get(client_id)
    if app is None:
        raise invalid_client(request)
    # Only web apps have a secret to check; a public app that sends one anyway is not refused
    # (the library's usual client repository validates confidential clients only). [INF]
    if app.client_secret is not None and (secret is None or not _same(secret, app.client_secret)):
        raise invalid_client(request)
    # Row 4 lives in the library's shared client check, so it applies to both grants. [INF]
    redirect_uri = form.get("redirect_uri")
    if redirect_uri is not None and redirect_uri not in app.redirect_uris:
        raise invalid_client(request)
    return app


def authorization_code_grant(
    request: Request, form: Mapping[str, str]
) -> tuple[AccessToken, RefreshToken]:
    sandbox = _state(request)
    app = authenticate_client(request, form)
    value = form.get("code")
    if value is None:
        raise invalid_request("code")
    code = sandbox.tokens.code(value)
    if code is None:
        raise invalid_request("code", "Cannot decrypt the authorization code")
    if code.expired(sandbox.clock.now()):
        raise invalid_request("code", "Authorization code has expired")
    if code.used:
        # RFC 6749 says invalid_grant; MAL's library version says this (SPEC 2.5 notes).
        raise invalid_request("code", "Authorization code has been revoked")
    if code.client_id != app.client_id:
        raise invalid_request("code", "Authorization code was not issued to this client")
    redirect_uri = form.get("redirect_uri")
    if code.redirect_uri and redirect_uri is None:
        raise invalid_request("redirect_uri")
    if code.redirect_uri != redirect_uri:
        raise invalid_request("redirect_uri", "Invalid redirect URI")
    verifier = form.get("code_verifier")
    if verifier is None:
        raise invalid_request("code_verifier")
    if not _PKCE.match(verifier):
        # Checked before the comparison, as the library does. [INF] S-LEAGUE
        raise invalid_request(
            "code_verifier", "Code Verifier must follow the specifications of RFC-7636."
        )
    # Plain comparison whatever method was recorded: MAL supports only `plain`, so an S256
    # flow fails here (SPEC 2.2). A failed check leaves the code unspent, as in the library.
    if not _same(verifier, code.challenge):
        raise Refusal(400, "invalid_grant", M2, "Failed to verify `code_verifier`.")
    user = _account(sandbox, code.user)
    if user is None:  # the account is gone, and its grant with it
        raise invalid_request("code", "Authorization code has been revoked")
    return sandbox.tokens.redeem(code, user.id)


def refresh_token_grant(
    request: Request, form: Mapping[str, str]
) -> tuple[AccessToken, RefreshToken]:
    sandbox = _state(request)
    app = authenticate_client(request, form)
    value = form.get("refresh_token")
    if value is None:
        raise invalid_request("refresh_token")
    old = sandbox.tokens.refresh(value)
    if old is None:
        raise invalid_refresh_token("Cannot decrypt the refresh token")
    if old.client_id != app.client_id:
        raise invalid_refresh_token("Token is not linked to client")
    if old.expired(sandbox.clock.now()):
        raise invalid_refresh_token("Token has expired")
    user = _account(sandbox, old.user)
    if old.revoked or user is None:
        raise invalid_refresh_token("Token has been revoked")
    return sandbox.tokens.rotate(old, user.id, revoke_refresh=sandbox.revoke_refresh_on_use)


GRANTS = {
    "authorization_code": authorization_code_grant,
    "refresh_token": refresh_token_grant,
}


async def token(request: Request) -> Response:
    sandbox = _state(request)
    # Fields come from the body only: query parameters and JSON bodies are not read, and a
    # browser's GET (a misrouted redirect, go-myanimelist#6) gets row 1 too (SPEC 2.5).
    form = await read_form(request) if request.method == "POST" else {}
    grant_type = form.get("grant_type", "")
    grant = GRANTS.get(grant_type)
    try:
        if grant is None:
            raise unsupported_grant_type()
        access, refresh = grant(request, form)
    except Refusal as refusal:
        return refusal.response()
    sandbox.stats.count_grant(grant_type, access.user)
    # SPEC 2.5: this key order, no scope, and the library's no-cache headers.
    body = {
        "token_type": "Bearer",
        "expires_in": sandbox.tokens.access_ttl,
        "access_token": access.value,
        "refresh_token": refresh.value,
    }
    return MALResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


routes: list[BaseRoute] = [
    Route("/v1/oauth2/authorize", authorize, methods=["GET", "POST"]),
    Route("/v1/oauth2/token", token, methods=["GET", "POST"]),
]
