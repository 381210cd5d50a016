"""The Kometa `mal:` block of a YAML config file: where the file is, what the block says, and
writing the block back in place, atomically and under a lock shared by every writer.
Must not: talk to MAL, decide when tokens need refreshing, or change a byte outside the block.

Edits are spliced into the text, never dumped, so that every byte outside the changed keys
stays as the user wrote it: `_yamlsplice.py` plans and checks the splice; this module reads,
locks and writes.

Why extra data lives in a sidecar: Kometa copies `authorization` as exactly `access_token`,
`token_type`, `expires_in`, `refresh_token` (SPEC 10) and rewrites it whenever it differs, so
any key we added there would be dropped on its next refresh; an unknown top-level key would
survive but is moved around by Kometa's own saves. MAL's access token is a JWT that already
carries `iat`, `exp` and `aud` (SPEC 2.5), so callers can derive issue time and client from it;
what the token cannot tell -- the *local* clock's time of issue (immune to server clock skew)
and the client id we signed in with -- goes to `<config>.malclient`, a JSON file (0600) next to
the config. Its entry names a fingerprint of the access token it describes, so when Kometa (or
a hand edit) replaces the tokens the stale entry is ignored instead of misleading. The same
file holds the pending sign-in of `mal auth url`. Every writer holds `<config>.malclient.lock`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import errno
import hashlib
import json
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import platformdirs
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode
from ruamel.yaml.reader import ReaderError

from malclient import _atomic
from malclient._exceptions import ConfigError, ConfigFileError
from malclient._yamlsplice import (
    SETTING_KEYS,
    TOKEN_KEYS,
    _find,
    _is_null,
    _kind,
    _line,
    _Pair,
    _Splicer,
    _Wanted,
)

__all__ = [
    "ConfigError",
    "ConfigFileError",
    "MalSettings",
    "StoredTokens",
    "clear_pending",
    "default_config_path",
    "load_pending",
    "locked",
    "read_settings",
    "resolve_config_path",
    "save_pending",
    "write_authorization",
    "write_settings",
]

CONFIG_ENV: Final = "MAL_CONFIG"
DEFAULT_LOCK_TIMEOUT: Final = 60.0
_STATE_FORMAT: Final = 1


# --- values -----------------------------------------------------------------------------------


def _hidden(value: str | None) -> str:
    return "None" if value is None else f"<hidden, {len(value)} characters>"


@dataclass(frozen=True, kw_only=True, repr=False)
class StoredTokens:
    """The `authorization` sub-block, plus what the sidecar knows about it.

    `expires_in` is MAL's relative lifetime, kept as Kometa stores it; `issued_at` (seconds since
    the epoch, local clock) and `client_id` come from the sidecar and are None for tokens
    malclient did not save (derive them from the access token's claims then).
    """

    access_token: str
    refresh_token: str | None
    token_type: str = "Bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int | None = None
    issued_at: float | None = None
    client_id: str | None = None

    def __repr__(self) -> str:
        return (
            f"StoredTokens(access_token={_hidden(self.access_token)}, "
            f"refresh_token={_hidden(self.refresh_token)}, token_type={self.token_type!r}, "
            f"expires_in={self.expires_in!r}, issued_at={self.issued_at!r}, "
            f"client_id={self.client_id!r})"
        )


@dataclass(frozen=True, kw_only=True, repr=False)
class MalSettings:
    """What the `mal:` block of one config file says; empty when the file or block is absent."""

    path: Path
    client_id: str | None = None
    client_secret: str | None = None
    localhost_url: str | None = None  # may hold an authorization code: a secret
    authorization: StoredTokens | None = None
    has_block: bool = False
    # The file holds a secret or tokens and its mode lets group or others read it.
    secrets_readable_by_others: bool = False

    def __repr__(self) -> str:
        return (
            f"MalSettings(path={self.path!r}, client_id={self.client_id!r}, "
            f"client_secret={_hidden(self.client_secret)}, "
            f"localhost_url={_hidden(self.localhost_url)}, authorization={self.authorization!r}, "
            f"has_block={self.has_block!r}, "
            f"secrets_readable_by_others={self.secrets_readable_by_others!r})"
        )


class _Unchanged(enum.Enum):
    UNCHANGED = "unchanged"


_KEEP: Final = _Unchanged.UNCHANGED


# --- where the file is ------------------------------------------------------------------------


def default_config_path() -> Path:
    """`config.yml` in the platform's per-user config directory."""
    return platformdirs.user_config_path("malclient", appauthor=False) / "config.yml"


def resolve_config_path(explicit: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path:
    """`--config PATH`, else `MAL_CONFIG`, else the default; `~` is expanded."""
    if explicit is not None and os.fspath(explicit) != "":
        return Path(explicit).expanduser()
    from_env = env.get(CONFIG_ENV, "")
    if from_env:
        return Path(from_env).expanduser()
    return default_config_path()


def _target(path: str | os.PathLike[str]) -> Path:
    # Follow symlinks: a renamed-over link would become a plain file and stop pointing at the
    # real config; and all writers must agree on one lock whatever link they came through.
    return Path(os.path.realpath(Path(path).expanduser()))


def _state_path(target: Path) -> Path:
    return target.with_name(target.name + ".malclient")


def _lock_path(target: Path) -> Path:
    return target.with_name(target.name + ".malclient.lock")


# --- locking ----------------------------------------------------------------------------------


@contextlib.contextmanager
def locked(
    path: str | os.PathLike[str], *, timeout: float = DEFAULT_LOCK_TIMEOUT
) -> Iterator[None]:
    """Hold the config's write lock: exclusive across threads and processes, re-entrant.

    Hold it across read-refresh-write so that a second process finds the tokens the first one
    just saved instead of refreshing again. Writes in this module take it themselves. Blocks
    (up to `timeout` seconds); from async code call it in a worker thread.
    """
    target = _target(path)
    lock = _lock_path(target)
    with contextlib.ExitStack() as held:
        # Only taking the lock is translated here; errors of the caller's block pass untouched.
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            held.enter_context(_atomic.file_lock(lock, timeout=timeout))
        except TimeoutError:
            raise ConfigFileError(
                f"Timed out after {timeout:.0f} s waiting for another malclient process to "
                f"finish writing {target} (lock file {lock}). Wait for it to finish or stop it, "
                "then try again.",
                path=target,
            ) from None
        except OSError as exc:
            raise _os_error(target, exc, doing="lock") from None
        yield


# --- reading ----------------------------------------------------------------------------------


def read_settings(path: str | os.PathLike[str]) -> MalSettings:
    """Read the `mal:` block. A missing file or block gives empty settings, not an error."""
    target = _target(path)
    text = _read_text(target)
    if text is None:
        return MalSettings(path=target)
    root = _parse(target, text)
    settings = _settings_from(target, root)
    return _with_file_facts(target, _with_sidecar(target, settings))


def _read_text(target: Path) -> str | None:
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigFileError(
            f"{target} is a folder, not a config file. Point --config or {CONFIG_ENV} at a "
            "YAML file (for Kometa, its config.yml).",
            path=target,
        ) from None
    except OSError as exc:
        raise _os_error(target, exc, doing="read") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigFileError(
            f"{target} is not UTF-8 text (line {line}). Save it as UTF-8, the encoding Kometa "
            "reads; malclient will not change it until then.",
            path=target,
            line=line,
        ) from None


def _with_file_facts(target: Path, settings: MalSettings) -> MalSettings:
    holds_secret = settings.client_secret is not None or settings.authorization is not None
    try:
        mode = target.stat().st_mode
    except OSError:
        return settings
    exposed = holds_secret and bool(mode & 0o044)
    if exposed == settings.secrets_readable_by_others:
        return settings
    return dataclasses.replace(settings, secrets_readable_by_others=exposed)


# --- parsing ----------------------------------------------------------------------------------


def _parse(target: Path, text: str) -> MappingNode | None:
    """The document's top-level mapping, or None for an empty (or comments-only) file."""
    try:
        root = YAML(typ="rt").compose(text)
    except MarkedYAMLError as exc:
        raise _parse_error(target, exc) from None
    except ReaderError as exc:
        line, column = _line_column(text, exc.position)
        raise ConfigFileError(
            f"{target} contains a character YAML does not allow (line {line}, column "
            f"{column}). Remove it; malclient will not change the file until it parses.",
            path=target,
            line=line,
            column=column,
        ) from None
    except YAMLError:
        raise ConfigFileError(
            f"{target} is not valid YAML. Fix it (a YAML checker shows where); malclient will "
            "not change the file until it parses.",
            path=target,
        ) from None
    if root is None:
        return None
    if not isinstance(root, MappingNode):
        raise ConfigFileError(
            f"{target} must hold a mapping of sections at the top (like `mal:`, `plex:`), but "
            f"it holds a {_kind(root)}. Fix the file or point --config at another one.",
            path=target,
            line=_line(root),
        )
    return root


# Quoted fragments of parser messages may quote the file (a token, a secret): keep short ones
# like a stray character, drop the rest.
_LONG_QUOTED = re.compile(r"""(["'])(?:(?!\1).){13,}\1""")


def _parse_error(target: Path, exc: MarkedYAMLError) -> ConfigFileError:
    mark = exc.problem_mark if exc.problem_mark is not None else exc.context_mark
    problem = str(exc.problem or exc.context or "invalid YAML")
    problem = _LONG_QUOTED.sub("(text omitted)", problem).strip()
    line = column = None
    where = ""
    if mark is not None:
        line, column = mark.line + 1, mark.column + 1
        where = f" at line {line}, column {column}"
    if "undefined alias" in problem:
        problem += " (a value starting with `*` must be put in quotes)"
    if exc.context and exc.problem and exc.context_mark is not None:
        context = _LONG_QUOTED.sub("(text omitted)", str(exc.context)).strip()
        problem = f"{context} (line {exc.context_mark.line + 1}), {problem}"
    return ConfigFileError(
        f"{target} is not valid YAML{where}: {problem}. Fix the file there; malclient never "
        "overwrites a config it cannot parse.",
        path=target,
        line=line,
        column=column,
    )


def _line_column(text: str, index: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def _text_value(target: Path, pair: _Pair | None, where: str) -> str | None:
    if pair is None or _is_null(pair.value):
        return None
    if not isinstance(pair.value, ScalarNode):
        raise ConfigFileError(
            f"{target}: `{where}{pair.key.value}` (line {_line(pair.key)}) must be a single "
            f"value, but it is a {_kind(pair.value)}. Write it as `{pair.key.value}: VALUE`.",
            path=target,
            line=_line(pair.key),
        )
    # The scalar as written (quotes removed): a client id of digits stays text, never a number.
    text = str(pair.value.value)
    return text if text != "" else None


def _int_value(target: Path, pair: _Pair | None, where: str) -> int | None:
    text = _text_value(target, pair, where)
    if text is None or pair is None:
        return None
    try:
        return int(text.replace("_", ""))
    except ValueError:
        raise ConfigFileError(
            f"{target}: `{where}{pair.key.value}` (line {_line(pair.key)}) must be a whole "
            "number of seconds, as in MAL's token response. Fix it, or sign in again.",
            path=target,
            line=_line(pair.key),
        ) from None


def _mapping_or_none(target: Path, pair: _Pair | None, where: str) -> MappingNode | None:
    if pair is None or _is_null(pair.value):
        return None
    if not isinstance(pair.value, MappingNode):
        raise ConfigFileError(
            f"{target}: `{where}{pair.key.value}` (line {_line(pair.key)}) must be a mapping of "
            f"keys, but it is a {_kind(pair.value)}. Write it as in Kometa's config template "
            "(`mal:` followed by indented `client_id:`, `client_secret:`, ...).",
            path=target,
            line=_line(pair.key),
        )
    return pair.value


def _settings_from(target: Path, root: MappingNode | None) -> MalSettings:
    mal_pair = _find(target, root, "mal", "") if root is not None else None
    if mal_pair is None:
        return MalSettings(path=target)
    mal = _mapping_or_none(target, mal_pair, "")
    if mal is None:
        return MalSettings(path=target, has_block=True)
    values = {
        name: _text_value(target, _find(target, mal, name, "mal."), "mal.")
        for name in SETTING_KEYS[:3]
    }
    auth_pair = _find(target, mal, "authorization", "mal.")
    auth = _mapping_or_none(target, auth_pair, "mal.")
    tokens: StoredTokens | None = None
    if auth is not None:
        where = "mal.authorization."
        access = _text_value(target, _find(target, auth, "access_token", where), where)
        if access is not None:
            tokens = StoredTokens(
                access_token=access,
                refresh_token=_text_value(
                    target, _find(target, auth, "refresh_token", where), where
                ),
                token_type=_text_value(target, _find(target, auth, "token_type", where), where)
                or "Bearer",
                expires_in=_int_value(target, _find(target, auth, "expires_in", where), where),
            )
    return MalSettings(
        path=target,
        client_id=values["client_id"],
        client_secret=values["client_secret"],
        localhost_url=values["localhost_url"],
        authorization=tokens,
        has_block=True,
    )


# --- the sidecar ------------------------------------------------------------------------------


def _fingerprint(access_token: str) -> str:
    return hashlib.sha256(access_token.encode("utf-8")).hexdigest()[:32]


def _read_state(target: Path) -> dict[str, Any]:
    # Ours alone, rewritten whole under the lock: unreadable or foreign content counts as empty.
    try:
        state = json.loads(_state_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(state, dict) or state.get("format") != _STATE_FORMAT:
        return {}
    return state


def _write_state(target: Path, state: dict[str, Any]) -> None:
    sidecar = _state_path(target)
    entries = {key: value for key, value in state.items() if key != "format" and value}
    try:
        if not entries:
            sidecar.unlink(missing_ok=True)
            return
        data = json.dumps({"format": _STATE_FORMAT, **entries}, indent=2, sort_keys=True)
        _atomic.remove_stale_temporaries(sidecar)
        _atomic.write_atomic(sidecar, (data + "\n").encode("utf-8"), mode=0o600)
    except OSError as exc:
        raise _os_error(sidecar, exc, doing="write") from None


def _with_sidecar(target: Path, settings: MalSettings) -> MalSettings:
    tokens = settings.authorization
    if tokens is None:
        return settings
    entry = _read_state(target).get("tokens")
    if not isinstance(entry, dict) or entry.get("fingerprint") != _fingerprint(tokens.access_token):
        return settings
    issued_at = entry.get("issued_at")
    client_id = entry.get("client_id")
    enriched = StoredTokens(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        token_type=tokens.token_type,
        expires_in=tokens.expires_in,
        issued_at=float(issued_at) if isinstance(issued_at, int | float) else None,
        client_id=client_id if isinstance(client_id, str) else None,
    )
    return dataclasses.replace(settings, authorization=enriched)


def save_pending(
    path: str | os.PathLike[str], record: Mapping[str, Any], *, expires_at: float
) -> None:
    """Keep a started sign-in for another process (`mal auth url`, then `mal auth login`).

    `record` is the sign-in's own JSON-able record (verifier, state, redirect URI...); it is
    kept, mode 0600, until `expires_at` (seconds since the epoch: the code's lifetime) and
    replaces any earlier one.
    """
    target = _target(path)
    entry = {"record": dict(record), "expires_at": float(expires_at)}
    json.dumps(entry)  # a record that cannot be stored fails here, before anything is written
    with locked(target):
        state = _read_state(target)
        state["pending"] = entry
        _write_state(target, state)


def load_pending(
    path: str | os.PathLike[str], *, now: float | None = None
) -> dict[str, Any] | None:
    """The pending sign-in's record, or None when there is none or it has expired."""
    entry = _read_state(_target(path)).get("pending")
    if not isinstance(entry, dict) or not isinstance(entry.get("record"), dict):
        return None
    expires_at = entry.get("expires_at")
    if not isinstance(expires_at, int | float):
        return None
    if expires_at <= (time.time() if now is None else now):
        return None
    return dict(entry["record"])


def remember_redirect_uri(path: str | os.PathLike[str], redirect_uri: str | None) -> None:
    """Keep the redirect URI of the last sign-in for the next one; None forgets it."""
    target = _target(path)
    with locked(target):
        state = _read_state(target)
        if redirect_uri is None:
            if state.pop("redirect_uri", None) is None:
                return
        else:
            state["redirect_uri"] = redirect_uri
        _write_state(target, state)


def remembered_redirect_uri(path: str | os.PathLike[str]) -> str | None:
    """The redirect URI the last sign-in with this config used, if one was kept."""
    value = _read_state(_target(path)).get("redirect_uri")
    return value if isinstance(value, str) and value else None


def clear_pending(path: str | os.PathLike[str]) -> None:
    """Forget the pending sign-in (after it completed, or to cancel it)."""
    target = _target(path)
    with locked(target):
        state = _read_state(target)
        if state.pop("pending", None) is not None:
            _write_state(target, state)


# --- writing ----------------------------------------------------------------------------------


def write_authorization(
    path: str | os.PathLike[str],
    tokens: StoredTokens | None,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> MalSettings:
    """Save new or refreshed tokens, or with None remove them (sign out); nothing else changes."""
    return write_settings(path, authorization=tokens, lock_timeout=lock_timeout)


def write_settings(
    path: str | os.PathLike[str],
    *,
    client_id: str | _Unchanged | None = _KEEP,
    client_secret: str | _Unchanged | None = _KEEP,
    localhost_url: str | _Unchanged | None = _KEEP,
    authorization: StoredTokens | _Unchanged | None = _KEEP,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> MalSettings:
    """Change only the named keys of the `mal:` block and return the settings as saved.

    None empties a key (the key stays, as in Kometa's template). A missing block is appended at
    the end of the file, a flow-style one (`mal: {...}`) rewritten in block style; a missing
    file is created with mode 0600. The file is replaced atomically under the config lock; an
    unparsable file is never touched.
    """
    wanted: _Wanted = {}
    for name, value in (
        ("client_id", client_id),
        ("client_secret", client_secret),
        ("localhost_url", localhost_url),
    ):
        if not isinstance(value, _Unchanged):
            wanted[name] = value
    if isinstance(authorization, StoredTokens):
        wanted["authorization"] = {
            "access_token": authorization.access_token,
            "token_type": authorization.token_type,
            "expires_in": authorization.expires_in,
            "refresh_token": authorization.refresh_token,
        }
    elif authorization is None:
        wanted["authorization"] = dict.fromkeys(TOKEN_KEYS)
    target = _target(path)
    with locked(target, timeout=lock_timeout):
        _atomic.remove_stale_temporaries(target)
        _atomic.remove_stale_temporaries(_state_path(target))
        original = _read_text(target)
        text = original or ""
        root = _parse(target, text)
        new_text, new_root = _Splicer(target, text, root).apply(
            wanted, lambda new_root: _holds(target, new_root, wanted)
        )
        if new_text != text:
            _save(target, new_text, exists=original is not None)
        if not isinstance(authorization, _Unchanged):
            _remember_tokens(target, authorization)
        settings = _settings_from(target, new_root)
    return _with_file_facts(target, _with_sidecar(target, settings))


def _holds(target: Path, new_root: MappingNode, wanted: _Wanted) -> bool:
    """The spliced file reads back as the values asked for."""
    saved = _settings_from(target, new_root)
    for name, value in wanted.items():
        if name != "authorization" and getattr(saved, name) != (value or None):
            return False
    tokens = wanted.get("authorization")
    if tokens is None:
        return True
    stored = saved.authorization
    if not tokens["access_token"]:
        return stored is None
    return stored is not None and (
        stored.access_token,
        stored.token_type,
        stored.expires_in,
        stored.refresh_token,
    ) == (
        tokens["access_token"],
        tokens["token_type"] or "Bearer",
        tokens["expires_in"],
        tokens["refresh_token"] or None,
    )


def _remember_tokens(target: Path, tokens: StoredTokens | None) -> None:
    state = _read_state(target)
    entry = None
    if tokens is not None and (tokens.issued_at is not None or tokens.client_id is not None):
        entry = {
            "fingerprint": _fingerprint(tokens.access_token),
            "issued_at": tokens.issued_at,
            "client_id": tokens.client_id,
        }
    if state.get("tokens") != entry:
        state["tokens"] = entry
        # The tokens are saved by now; failing here would make a caller think they were not.
        # A stale entry is harmless: its fingerprint no longer matches.
        with contextlib.suppress(ConfigError):
            _write_state(target, state)


def _save(target: Path, text: str, *, exists: bool) -> None:
    if exists and not os.access(target, os.W_OK):
        raise ConfigFileError(
            f"Cannot save to {target}: the file is read-only for this user. Make it writable "
            f"(for example `chmod u+w`), or point --config / {CONFIG_ENV} at a writable copy. "
            "The file was not changed.",
            path=target,
        )
    try:
        _atomic.write_atomic(target, text.encode("utf-8"))
    except OSError as exc:
        raise _os_error(target, exc, doing="write") from None


def _os_error(target: Path, exc: OSError, *, doing: str) -> ConfigFileError:
    verb = {"read": "read", "write": "save to", "lock": "lock for writing"}[doing]
    unchanged = "" if doing == "read" else " The file was not changed."
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        if doing == "read":
            fix = "make it readable by this user, or point --config at another file"
        else:
            lock = f" and the lock file {_lock_path(target).name} in it" if doing == "lock" else ""
            fix = (
                f"the file and its folder ({target.parent}){lock} must be writable by this "
                f"user: fix their permissions or owner, or point --config / {CONFIG_ENV} at a "
                "writable file"
            )
        reason = f"permission denied; {fix}"
    elif exc.errno == errno.EROFS:
        reason = "the file system is read-only; copy the config somewhere writable"
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason = "the disk is full (or over quota); free some space and try again"
    elif exc.errno in (errno.EBUSY, errno.EXDEV):
        reason = (
            "it cannot be replaced by rename -- is the file itself mounted into a container? "
            "Mount its folder instead"
        )
    elif exc.errno == errno.ENOTDIR:
        reason = f"a part of the path {target.parent} is a file, not a folder"
    else:
        reason = exc.strerror or type(exc).__name__
    return ConfigFileError(f"Cannot {verb} {target}: {reason}.{unchanged}", path=target)
