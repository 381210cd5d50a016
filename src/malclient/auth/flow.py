"""The sign-in flow as data: the app, the authorize URL, what comes back, the token requests.

Builds requests and reads what the user brings back; sends nothing and imports no HTTP library,
so any transport (sync, async, a test) can drive it.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, urlencode

from malclient._exceptions import (
    ConfigError,
    NoAuthorizationCode,
    ReauthorizationRequired,
    StateMismatch,
)
from malclient.auth.errors import authorize_error
from malclient.auth.pkce import (
    DEFAULT_VERIFIER_LENGTH,
    KOMETA_FIXED_VERIFIER,
    code_challenge,
    is_public_verifier,
    is_valid_verifier,
    new_state,
    new_verifier,
)
from malclient.auth.tokens import Token

DEFAULT_AUTH_URL = "https://myanimelist.net/v1/oauth2"
# How long MAL's codes live is undocumented; its server library's usual 10 minutes (SPEC 2.5).
CODE_TTL = 600.0
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
_SECRET_FIELDS = frozenset({"client_secret", "code", "code_verifier", "refresh_token"})


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, repr=False)
class FormPost:
    """A form-encoded POST for any transport to send: `url`, `headers`, `body()`.

    The token endpoint reads only form bodies: JSON or URL parameters get
    `unsupported_grant_type` (SPEC 2.5). `repr()` shows field names, never their values.
    """

    url: str
    form: Mapping[str, str]
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Extra headers are welcome; the content type is not negotiable.
        headers = {"Accept": "application/json", **self.headers}
        for name in [name for name in headers if name.lower() == "content-type"]:
            del headers[name]
        headers["Content-Type"] = FORM_CONTENT_TYPE
        object.__setattr__(self, "form", _frozen(self.form))
        object.__setattr__(self, "headers", _frozen(headers))

    @property
    def grant_type(self) -> str:
        return self.form.get("grant_type", "")

    def body(self) -> bytes:
        return urlencode(list(self.form.items())).encode("ascii")

    def __repr__(self) -> str:
        shown = [
            f"{name}=<hidden>" if name in _SECRET_FIELDS else f"{name}={value!r}"
            for name, value in self.form.items()
        ]
        return f"FormPost(url={self.url!r}, form({', '.join(shown)}))"


@dataclass(frozen=True, repr=False)
class Callback:
    """What the authorize page sent back: the code and the echoed `state` (None if absent)."""

    code: str
    state: str | None = None

    def __repr__(self) -> str:
        return f"Callback(code=<hidden>, state={self.state!r})"


def _strip_quotes(text: str) -> str:
    return text.strip().strip("\"'`<>“”‘’«»").strip()


def _why_no_code(text: str, path: str, params: Mapping[str, str]) -> str:
    """An explanation that fits what the user pasted (never quoting it: it may hold secrets)."""
    if not text:
        return (
            "Nothing was given: paste the address the browser ended on after clicking Allow "
            "on MyAnimeList's page."
        )
    if (
        "code_challenge" in params
        or "response_type" in params
        or path.rstrip("/").endswith("/authorize")
    ):
        return (
            "This looks like the authorize URL itself, not the address the browser ended on. "
            "Open it, sign in, click Allow, then copy the address of the page you land on (it "
            "may not load; that is expected)."
        )
    if "login.php" in path or "myanimelist.net/login" in path:
        return (
            "This is MyAnimeList's login page: sign in, click Allow, then copy the address the "
            "browser ends on."
        )
    if "code" in params:
        return "The address has an empty code: copy the whole address again, or sign in again."
    return (
        "This address has no code in it. After clicking Allow, the browser goes to the app's "
        "redirect URL with ?code=... appended (the page may not load; that is expected): copy "
        "that whole address from the address bar."
    )


def parse_redirect(text: str) -> Callback:
    """Find the code in whatever the user brings back from the authorize page.

    Accepts a full redirect URL (any scheme, `myapp://` too, or Kometa's scheme-less
    `localhost/?code=...`), its query string with or without `?`, a `#fragment` form, or a bare
    code; surrounding whitespace and quotes, and line breaks from wrapped terminals, are
    ignored. Raises AccessDenied after Cancel, AuthorizationRefused for another error,
    NoAuthorizationCode when there is no code. State is checked by PendingAuthorization.
    """
    cleaned = _strip_quotes(text)
    if cleaned.startswith("{"):
        # MAL shows authorize errors as a JSON page, not a redirect (SPEC 2.3); users paste those.
        try:
            page: Any = json.loads(cleaned)
        except (ValueError, RecursionError):
            page = None
        if isinstance(page, dict) and isinstance(page.get("error"), str):
            message, hint = page.get("message"), page.get("hint")
            raise authorize_error(
                page["error"],
                message if isinstance(message, str) else None,
                hint if isinstance(hint, str) else None,
            )
    # URLs hold no whitespace: what is there came from wrapping or copying.
    cleaned = "".join(cleaned.split()).replace("&amp;", "&")
    if not any(mark in cleaned for mark in "?#=&/:"):
        if not cleaned:
            raise NoAuthorizationCode(_why_no_code(cleaned, "", {}))
        return Callback(cleaned)
    before_fragment, _, fragment = cleaned.partition("#")
    path, has_query, query = before_fragment.partition("?")
    if not has_query and not fragment and "=" in path and "://" not in path:
        path, query = "", path  # a bare query string: code=...&state=...
    params: dict[str, str] = {}
    for part in (query, fragment):
        for key, value in parse_qsl(part, keep_blank_values=True):
            params.setdefault(key, value)
    if "error" in params:
        # Denial: state, error=access_denied, message, hint (SPEC 2.4; MAL says `message`).
        raise authorize_error(
            params["error"],
            params.get("message") or params.get("error_description"),
            params.get("hint"),
        )
    code = params.get("code", "")
    if not code:
        raise NoAuthorizationCode(_why_no_code(cleaned, path, params))
    return Callback(code, params.get("state"))


@dataclass(frozen=True, repr=False)
class PendingAuthorization:
    """One sign-in between the authorize URL and the code: keep it until the code comes back.

    `to_dict()`/`from_dict()` let another process finish it (`mal auth url`, then `mal auth
    login --redirect-url`); the verifier is a secret, so store it like one. `repr()` hides it.
    """

    client_id: str
    verifier: str
    state: str | None
    redirect_uri: str | None = None
    auth_url: str = DEFAULT_AUTH_URL
    created_at: float | None = None

    def __post_init__(self) -> None:
        if not is_valid_verifier(self.verifier):
            raise ValueError(
                "a PKCE code verifier must be 43 to 128 characters of A-Z, a-z, 0-9 and - . _ ~ "
                "(RFC 7636, SPEC 2.2)"
            )

    @property
    def authorize_url(self) -> str:
        """The address to open in a browser (SPEC 2.3). It contains the verifier: plain PKCE."""
        params = [("response_type", "code"), ("client_id", self.client_id)]
        # Only when configured: MAL then requires the same value at the token step (SPEC 2.5).
        if self.redirect_uri is not None:
            params.append(("redirect_uri", self.redirect_uri))
        params += [
            ("code_challenge", code_challenge(self.verifier)),
            ("code_challenge_method", "plain"),
        ]
        if self.state is not None:
            params.append(("state", self.state))
        return f"{self.auth_url}/authorize?{urlencode(params)}"

    @property
    def token_url(self) -> str:
        # The code can only be redeemed where it was issued.
        return f"{self.auth_url}/token"

    @property
    def uses_public_verifier(self) -> bool:
        """True for Kometa's published verifier: warn with KOMETA_VERIFIER_WARNING."""
        return is_public_verifier(self.verifier)

    def expired(self, now: float | None = None, ttl: float = CODE_TTL) -> bool:
        """True once a code from this sign-in can no longer be fresh; False if start unknown."""
        if self.created_at is None:
            return False
        moment = time.time() if now is None else now
        return moment >= self.created_at + ttl

    def check_state(self, callback: Callback) -> None:
        """Raise StateMismatch unless `callback` comes from this sign-in."""
        if self.state is None:
            if callback.state is not None:
                # We sent no state, so this code came from another authorize URL: its challenge
                # is not our verifier and the exchange would fail with a vaguer error.
                raise StateMismatch(
                    "This address comes from a different sign-in (it carries a state this one "
                    "never sent). Use the address from the authorize URL printed for this "
                    "sign-in, or start again."
                )
            return
        if callback.state is None:
            raise StateMismatch(
                "This address has no state, but this sign-in sent one, so it did not come from "
                "this sign-in's authorize URL (or the state was cut off while copying). Copy the "
                "whole address of the page you land on, or start again."
            )
        if not hmac.compare_digest(callback.state.encode(), self.state.encode()):
            raise StateMismatch()

    def accept(self, text: str) -> Callback:
        """Parse what the user brought back (see parse_redirect) and check it belongs here."""
        callback = parse_redirect(text)
        self.check_state(callback)
        return callback

    def to_dict(self) -> dict[str, str | float | None]:
        return {
            "client_id": self.client_id,
            "verifier": self.verifier,
            "state": self.state,
            "redirect_uri": self.redirect_uri,
            "auth_url": self.auth_url,
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> PendingAuthorization:
        """Rebuild a stored sign-in; ConfigError if the record is damaged."""

        def damaged(what: str) -> ConfigError:
            return ConfigError(f"The saved sign-in is damaged ({what}): start the sign-in again.")

        def required(name: str) -> str:
            value = data.get(name)
            if not isinstance(value, str) or not value:
                raise damaged(f"{name} is missing or not text")
            return value

        def optional(name: str) -> str | None:
            value = data.get(name)
            return None if value is None else required(name)

        created = data.get("created_at")
        if created is not None and (
            isinstance(created, bool) or not isinstance(created, int | float)
        ):
            raise damaged("created_at is not a number")
        try:
            return cls(
                client_id=required("client_id"),
                verifier=required("verifier"),
                state=optional("state"),
                redirect_uri=optional("redirect_uri"),
                auth_url=optional("auth_url") or DEFAULT_AUTH_URL,
                created_at=None if created is None else float(created),
            )
        except ValueError:
            raise damaged("its verifier is malformed") from None

    def __repr__(self) -> str:
        return (
            f"PendingAuthorization(client_id={self.client_id!r}, verifier=<hidden>, "
            f"state={self.state!r}, redirect_uri={self.redirect_uri!r}, "
            f"auth_url={self.auth_url!r}, created_at={self.created_at!r})"
        )


def _no_whitespace(name: str, value: str) -> None:
    if any(char.isspace() for char in value):
        raise ConfigError(
            f"The {name} contains spaces or line breaks: copy it again from "
            "https://myanimelist.net/apiconfig without them."
        )


@dataclass(frozen=True, repr=False)
class App:
    """An app registered at https://myanimelist.net/apiconfig, as this program uses it.

    Web apps have a `client_secret`; android/ios/other apps have none and must not send one
    (SPEC 2.1). `redirect_uri` is sent only when set: with one registered URL MAL needs none
    (SPEC 2.3). `auth_url` points at MAL or a sandbox (`<origin>/v1/oauth2`). `repr()` hides
    the secret.
    """

    client_id: str
    client_secret: str | None = None
    redirect_uri: str | None = None
    auth_url: str = DEFAULT_AUTH_URL

    def __post_init__(self) -> None:
        for name in ("client_id", "client_secret", "redirect_uri", "auth_url"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                # YAML reads an unquoted all-digit id as a number, dropping leading zeros.
                raise ConfigError(
                    f"{name} must be text, not {type(value).__name__}: put it in quotes in the "
                    "config file."
                )
        # Blank values, as in a Kometa block with `client_secret:` left empty, mean "none".
        client_id = _strip_quotes(self.client_id or "")
        secret = _strip_quotes(self.client_secret or "") or None
        redirect_uri = (self.redirect_uri or "").strip() or None
        auth_url = (self.auth_url or "").strip().rstrip("/")
        if not client_id:
            raise ConfigError(
                "The client id is empty: copy the Client ID of your app from "
                "https://myanimelist.net/apiconfig."
            )
        _no_whitespace("client id", client_id)
        if secret is not None:
            _no_whitespace("client secret", secret)
        if redirect_uri is not None:
            _no_whitespace("redirect URL", redirect_uri)
        if not auth_url.startswith(("https://", "http://")):
            raise ConfigError(
                "The auth URL must be an http(s) address ending in /v1/oauth2, such as "
                f"{DEFAULT_AUTH_URL}."
            )
        object.__setattr__(self, "client_id", client_id)
        object.__setattr__(self, "client_secret", secret)
        object.__setattr__(self, "redirect_uri", redirect_uri)
        object.__setattr__(self, "auth_url", auth_url)

    @property
    def is_public(self) -> bool:
        """True for android/ios/other apps: no client secret."""
        return self.client_secret is None

    @property
    def token_url(self) -> str:
        return f"{self.auth_url}/token"

    def start_authorization(
        self,
        *,
        now: float | None = None,
        verifier_length: int = DEFAULT_VERIFIER_LENGTH,
        state: bool = True,
    ) -> PendingAuthorization:
        """A new sign-in: fresh verifier and state; open `.authorize_url` in a browser."""
        return PendingAuthorization(
            client_id=self.client_id,
            verifier=new_verifier(verifier_length),
            state=new_state() if state else None,
            redirect_uri=self.redirect_uri,
            auth_url=self.auth_url,
            created_at=time.time() if now is None else now,
        )

    def kometa_authorization(self) -> PendingAuthorization:
        """The sign-in Kometa's docs have users open by hand (SPEC 10).

        Fixed public verifier, no state, no redirect_uri: completes codes obtained that way.
        Its `uses_public_verifier` is True; tell the user (KOMETA_VERIFIER_WARNING).
        """
        return PendingAuthorization(
            client_id=self.client_id,
            verifier=KOMETA_FIXED_VERIFIER,
            state=None,
            auth_url=self.auth_url,
        )

    def _credentials(self) -> dict[str, str]:
        # In the form, the way MAL's guide and Kometa send them; the secret only for web apps.
        form = {"client_id": self.client_id}
        if self.client_secret is not None:
            form["client_secret"] = self.client_secret
        return form

    def token_request(self, pending: PendingAuthorization, code: str | Callback) -> FormPost:
        """The `authorization_code` grant for a code brought back to `pending` (SPEC 2.5)."""
        if pending.client_id != self.client_id:
            raise ConfigError(
                f"This sign-in was started with client id {pending.client_id} but is being "
                f"completed with {self.client_id}: use the same app for both steps, or start "
                "again."
            )
        value = code.code if isinstance(code, Callback) else code.strip()
        if not value:
            raise NoAuthorizationCode()
        form = {"grant_type": "authorization_code", **self._credentials()}
        form["code"] = value
        form["code_verifier"] = pending.verifier
        # Required iff it went out in the authorize URL, and then identical (SPEC 2.5 5f/5g).
        if pending.redirect_uri is not None:
            form["redirect_uri"] = pending.redirect_uri
        return FormPost(pending.token_url, form)

    def refresh_request(self, token: Token | str) -> FormPost:
        """The `refresh_token` grant (SPEC 2.5). Raises ReauthorizationRequired without one."""
        value = token.refresh_token if isinstance(token, Token) else token
        if not value or not value.strip():
            raise ReauthorizationRequired(
                "There is no refresh token to renew the access token with."
            )
        form = {"grant_type": "refresh_token", **self._credentials()}
        form["refresh_token"] = value.strip()
        return FormPost(self.token_url, form)

    def __repr__(self) -> str:
        secret = "None" if self.client_secret is None else "<hidden>"
        return (
            f"App(client_id={self.client_id!r}, client_secret={secret}, "
            f"redirect_uri={self.redirect_uri!r}, auth_url={self.auth_url!r})"
        )
