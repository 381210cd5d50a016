"""The Kometa `mal:` block of a YAML config file: where the file is, what the block says, and
writing the block back in place, atomically and under a lock shared by every writer.
Must not: talk to MAL, decide when tokens need refreshing, or change a byte outside the block.

Why edits are spliced, not dumped: users keep one heavily commented `config.yml` for Kometa and
a load/dump cycle, even ruamel's round trip, reflows comments, quotes and indentation. We parse
with ruamel only to *locate* nodes (their character offsets), render just the changed values,
splice them into the original text, then parse the result again and refuse to save unless
everything outside the edited keys is unchanged (SPEC 10: Kometa itself rewrites the file with
ruamel round trip, so its own saves may still reformat; ours never do).

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
import io
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import platformdirs
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from malclient import _atomic
from malclient._exceptions import ConfigError

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
# Kometa's order of keys (SPEC 10); new keys are placed according to it.
SETTING_KEYS: Final = ("client_id", "client_secret", "localhost_url", "authorization")
TOKEN_KEYS: Final = ("access_token", "token_type", "expires_in", "refresh_token")
_STATE_FORMAT: Final = 1


class ConfigFileError(ConfigError):
    """A config file cannot be read, parsed, locked or written; the message says how to fix it.

    `path` is the file, `line`/`column` (1-based) the spot of a parse error. Never carries a
    secret: parse errors are reported by position, not by the offending text.
    """

    def __init__(
        self, message: str, *, path: Path, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column


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


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "mapping"
    if isinstance(node, SequenceNode):
        return "list"
    return "single value"


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and str(node.tag).endswith(":null")


def _is_bare(node: Node) -> bool:
    """A value left empty after its colon (`localhost_url:`), as in Kometa's template."""
    return isinstance(node, ScalarNode) and _is_null(node) and node.value == "" and not node.style


def _is_alias(key: Node, value: Node) -> bool:
    # An alias resolves to the node where its anchor stands, which precedes this key.
    return int(value.start_mark.index) < int(key.end_mark.index)


@dataclass(frozen=True)
class _Pair:
    key: ScalarNode
    value: Node


def _find(target: Path, mapping: MappingNode, name: str, where: str) -> _Pair | None:
    found: _Pair | None = None
    for key, value in mapping.value:
        if isinstance(key, ScalarNode) and key.value == name:
            if found is not None:
                raise ConfigFileError(
                    f"{target}: `{where}{name}` appears twice (lines {_line(found.key)} and "
                    f"{_line(key)}). Delete one of them.",
                    path=target,
                    line=_line(key),
                )
            found = _Pair(key, value)
    return found


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
        new_text, new_root = _Splicer(target, text, root).apply(wanted)
        if new_text != text:
            _save(target, new_text, exists=original is not None)
        if not isinstance(authorization, _Unchanged):
            _remember_tokens(target, authorization)
        settings = _settings_from(target, new_root)
    return _with_file_facts(target, _with_sidecar(target, settings))


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


# --- splicing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str


def _apply_edits(text: str, edits: list[_Edit]) -> str:
    out: list[str] = []
    position = 0
    # Stable sort: insertions at one point keep the order in which they were planned.
    for edit in sorted(edits, key=lambda e: e.start):
        assert edit.start >= position, "planned edits overlap"
        out.append(text[position : edit.start])
        out.append(edit.text)
        position = edit.end
    out.append(text[position:])
    return "".join(out)


# YAML 1.1 readers (PyYAML) take these plain words for booleans: quote them for everyone.
_YAML11_WORDS = frozenset({"y", "n", "yes", "no", "on", "off"})


def _render_scalar(value: str | int | None, old_style: str | None = None) -> str:
    """One value as YAML on one line: plain when safe, else quoted (in the old style if any)."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if old_style is None and value.lower() in _YAML11_WORDS:
        old_style = "'"
    return _dump_scalar(value, old_style)


def _dump_scalar(value: str, style: str | None) -> str:
    # The emitter decides what needs quoting (`: `, ` #`, leading `@`/`*`, numbers, ...).
    yaml = YAML(typ="safe", pure=True)
    yaml.width = 2**30
    yaml.default_flow_style = False
    buffer = io.StringIO()
    yaml.dump({"k": value}, buffer, transform=None)
    rendered = buffer.getvalue().removeprefix("k:").strip(" \n")
    if "\n" in rendered or not rendered or (style == '"' and not rendered.startswith('"')):
        return json.dumps(value)  # a JSON string is a valid YAML double-quoted scalar
    if style == "'" and not rendered.startswith(("'", '"')):
        return "'" + value.replace("'", "''") + "'"
    return rendered


def _eol(text: str, index: int) -> int:
    """Where the line holding `index` ends (before its CR/LF)."""
    found = text.find("\n", index)
    if found == -1:
        return len(text)
    return found - 1 if found > 0 and text[found - 1] == "\r" else found


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _newline(text: str) -> str:
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"


@dataclass(frozen=True)
class _Verbatim:
    """A value copied as written from a flow mapping we turn into a block."""

    source: str


_Wanted = dict[str, Any]  # key -> str | int | None; "authorization" -> dict of TOKEN_KEYS
_MARK: Final = ("mal", "edited")


def _leaves(wanted: Mapping[str, Any]) -> Iterator[Any]:
    for value in wanted.values():
        if isinstance(value, dict):
            yield from _leaves(value)
        else:
            yield value


class _Splicer:
    """Plans text edits of the `mal:` block, applies them, and checks the result."""

    def __init__(self, target: Path, text: str, root: MappingNode | None) -> None:
        self.target = target
        self.text = text
        self.root = root
        self.nl = _newline(text)
        self.step = self._indent_step()
        self.edits: list[_Edit] = []

    def apply(self, wanted: _Wanted) -> tuple[str, MappingNode | None]:
        self._plan(wanted)
        if not self.edits:
            return self.text, self.root
        new_text = _apply_edits(self.text, self.edits)
        try:
            new_root = YAML(typ="rt").compose(new_text)
        except YAMLError:
            new_root = None
        if not (
            isinstance(new_root, MappingNode)
            and self._same_outside(new_root)
            and self._holds(new_root, wanted)
        ):
            raise ConfigFileError(
                f"Cannot update the `mal:` block of {self.target} without changing other parts "
                "of the file (its layout there is unusual: an alias, a tag, a multi-line value). "
                "Write the block as in Kometa's config template, then try again. The file was "
                "not changed.",
                path=self.target,
            )
        return new_text, new_root

    # Planning ---------------------------------------------------------------------------

    def _plan(self, wanted: _Wanted) -> None:
        if self.root is not None and self.root.flow_style:
            raise ConfigFileError(
                f"{self.target} is written in flow style (`{{...}}`) at the top level; "
                "malclient edits block-style files like Kometa's. Rewrite it in block style, "
                "then try again. The file was not changed.",
                path=self.target,
            )
        mal = _find(self.target, self.root, "mal", "") if self.root is not None else None
        if mal is not None:
            self._edit_mapping(mal, wanted, "mal.", SETTING_KEYS)
        elif any(value is not None for value in _leaves(wanted)):
            self._append_block(wanted)

    def _edit_mapping(
        self, pair: _Pair, wanted: _Wanted, where: str, order: tuple[str, ...]
    ) -> None:
        if _is_alias(pair.key, pair.value):
            raise self._cannot(pair, where[:-1], "is an alias (`*name`) of another value")
        value = pair.value
        if _is_null(value):
            if any(new is not None for new in _leaves(wanted)):
                self._value_to_block(pair, self._template(order) | wanted)
        elif isinstance(value, MappingNode) and value.flow_style:
            items: _Wanted = {}
            for child_key, child_value in value.value:
                if not isinstance(child_key, ScalarNode) or _is_alias(child_key, child_value):
                    raise self._cannot(pair, where[:-1], "holds an alias or a complex key")
                name = str(child_key.value)
                items[name] = (
                    wanted[name] if name in wanted else _Verbatim(self._one_line(child_value))
                )
            self._value_to_block(pair, items | {n: v for n, v in wanted.items() if n not in items})
        elif isinstance(value, MappingNode):
            column = int(value.value[0][0].start_mark.column)
            for name in order:
                if name not in wanted:
                    continue
                new = wanted[name]
                child = _find(self.target, value, name, where)
                if isinstance(new, dict):
                    if child is not None:
                        self._edit_mapping(child, new, f"{where}{name}.", TOKEN_KEYS)
                    elif any(v is not None for v in new.values()):
                        self._insert(value, name, order, self._lines({name: new}, column), where)
                elif child is not None:
                    self._set_scalar(child, new, where)
                elif new is not None:
                    self._insert(value, name, order, self._lines({name: new}, column), where)
        else:
            raise self._cannot(pair, where[:-1], f"is a {_kind(value)}, not a mapping of keys")

    def _template(self, order: tuple[str, ...]) -> _Wanted:
        # A new `mal:` block gets every key of Kometa's template, so users see where things go.
        return dict.fromkeys(order) if order == SETTING_KEYS else {}

    def _set_scalar(self, pair: _Pair, new: str | int | None, where: str) -> None:
        key, value = pair.key, pair.value
        if _is_alias(key, value):
            raise self._cannot(pair, where + key.value, "is an alias (`*name`) of another value")
        if not isinstance(value, ScalarNode):
            raise self._cannot(pair, where + key.value, f"is a {_kind(value)}, not one value")
        colon = self._colon_after(key)
        start, end = int(value.start_mark.index), self._node_end(value)
        if _is_bare(value):
            if new is not None:
                self.edits.append(_Edit(colon + 1, colon + 1, " " + _render_scalar(new)))
        elif new is None:
            self.edits.append(_Edit(colon + 1, end, ""))
        else:
            # Keep the user's quoting style and anchor; the comment after the value stays.
            style = value.style if value.style in ("'", '"') else None
            anchor = f"&{value.anchor} " if value.anchor is not None else ""
            self.edits.append(_Edit(start, end, anchor + _render_scalar(new, style)))

    def _value_to_block(self, pair: _Pair, items: _Wanted) -> None:
        """`key:`, `key: ~` or `key: {a: 1}` becomes `key:` followed by an indented block."""
        colon = self._colon_after(pair.key)
        value = pair.value
        end = colon + 1
        if not _is_bare(value):
            end = int(value.end_mark.index)
            anchor = f" &{value.anchor}" if value.anchor is not None else ""
            self.edits.append(_Edit(colon + 1, end, anchor))
        point = _eol(self.text, end)
        column = int(pair.key.start_mark.column) + self.step
        self.edits.append(_Edit(point, point, self.nl + self._lines(items, column)))

    def _insert(
        self, mapping: MappingNode, name: str, order: tuple[str, ...], lines: str, where: str
    ) -> None:
        """Add a key where Kometa has it: after its predecessors, else before its successors."""
        pairs = [_Pair(k, v) for k, v in mapping.value]
        rank = order.index(name)
        before = [p for p in pairs if p.key.value in order[:rank]]
        after = [p for p in pairs if p.key.value in order[rank + 1 :]]
        if after and not before:
            first = min(after, key=lambda p: int(p.key.start_mark.index))
            point = _line_start(self.text, int(first.key.start_mark.index))
            if self.text[point : int(first.key.start_mark.index)].strip():
                raise self._cannot(first, where + first.key.value, "does not start its own line")
            self.edits.append(_Edit(point, point, lines + self.nl))
            return
        last = max(before, key=lambda p: int(p.key.start_mark.index)) if before else pairs[-1]
        point = _eol(self.text, self._pair_end(last))
        self.edits.append(_Edit(point, point, self.nl + lines))

    def _append_block(self, wanted: _Wanted) -> None:
        column = int(self.root.value[0][0].start_mark.column) if self.root else 0
        lead = ""
        if self.text and not self.text.endswith("\n"):
            lead = self.nl
        if self.text.strip() and not (self.text + lead).endswith(self.nl * 2):
            lead += self.nl  # a blank line between the user's last section and ours
        lines = self._lines({"mal": self._template(SETTING_KEYS) | wanted}, column)
        self.edits.append(_Edit(len(self.text), len(self.text), lead + lines + self.nl))

    def _lines(self, items: _Wanted, column: int) -> str:
        lines: list[str] = []
        for name, value in items.items():
            lead = " " * column + name + ":"
            if isinstance(value, dict):
                lines.append(lead)
                if value:
                    lines.append(self._lines(value, column + self.step))
            else:
                text = value.source if isinstance(value, _Verbatim) else _render_scalar(value)
                lines.append(f"{lead} {text}" if text else lead)
        return self.nl.join(lines)

    # Positions --------------------------------------------------------------------------

    def _pair_end(self, pair: _Pair) -> int:
        """Index just past the last character of a pair's value (comments after it excluded)."""
        key, node = pair.key, pair.value
        if _is_alias(key, node):
            match = re.compile(r"[ \t]*\*[^\s,\]}]+").match(self.text, self._colon_after(key) + 1)
            return match.end() if match else self._colon_after(key) + 1
        if _is_bare(node):
            return self._colon_after(key) + 1
        return self._node_end(node)

    def _node_end(self, node: Node) -> int:
        if isinstance(node, MappingNode) and not node.flow_style and node.value:
            last_key, last_value = node.value[-1]
            return self._pair_end(_Pair(last_key, last_value))
        if isinstance(node, SequenceNode) and not node.flow_style and node.value:
            return self._node_end(node.value[-1])
        start, end = int(node.start_mark.index), int(node.end_mark.index)
        while end > start and self.text[end - 1] in " \t\r\n":
            end -= 1  # block scalars' marks include their trailing line breaks
        return end

    def _colon_after(self, key: Node) -> int:
        match = re.compile(r"[ \t]*:").match(self.text, int(key.end_mark.index))
        if match is None:
            raise ConfigFileError(
                f"{self.target}: unusual layout at line {_line(key)} (the key is not followed "
                "by `:` on its line). Write the `mal:` block as in Kometa's config template, "
                "then try again. The file was not changed.",
                path=self.target,
                line=_line(key),
            )
        return match.end() - 1

    def _one_line(self, node: Node) -> str:
        if _is_bare(node):
            return ""
        source = self.text[int(node.start_mark.index) : int(node.end_mark.index)]
        if "\n" in source:
            raise ConfigFileError(
                f"{self.target}: a value of the flow-style mapping at line {_line(node)} spans "
                "several lines; write the `mal:` block in block style (one key per line), then "
                "try again. The file was not changed.",
                path=self.target,
                line=_line(node),
            )
        return source

    def _indent_step(self) -> int:
        """The file's indentation step; ruamel's own guess misreads Kometa files (STYLE.md)."""
        steps: Counter[int] = Counter()
        seen: set[int] = set()

        def walk(node: Node, column: int | None, weight: int) -> None:
            if id(node) in seen:
                return
            seen.add(id(node))
            if isinstance(node, MappingNode):
                if node.value and not node.flow_style and column is not None:
                    step = int(node.value[0][0].start_mark.column) - column
                    if step > 0:
                        steps[step] += weight
                for key, value in node.value:
                    # The `mal:` block's own indentation outweighs the rest of the file.
                    mal = column is None and isinstance(key, ScalarNode) and key.value == "mal"
                    walk(value, int(key.start_mark.column), 1000 if mal else weight)
            elif isinstance(node, SequenceNode):
                for item in node.value:
                    walk(item, None, weight)

        if self.root is not None:
            walk(self.root, None, 1)
        if not steps:
            return 2
        best = max(steps.values())
        return min(step for step, count in steps.items() if count == best)

    def _cannot(self, pair: _Pair, name: str, why: str) -> ConfigFileError:
        return ConfigFileError(
            f"Cannot update {self.target}: `{name}` (line {_line(pair.key)}) "
            f"{why}. Write it as in Kometa's config template, then try again. The file was not "
            "changed.",
            path=self.target,
            line=_line(pair.key),
        )

    # Checking ---------------------------------------------------------------------------

    def _same_outside(self, new_root: MappingNode) -> bool:
        """Everything but the edited keys parses exactly as before, in the same order."""
        old_items = _canonical_items(self.root, {"mal"})
        if _MARK not in [value for _, value in old_items]:
            old_items.append((_MARK, _MARK))
        if old_items != _canonical_items(new_root, {"mal"}):
            return False
        old_mal, new_mal = _child(self.root, "mal"), _child(new_root, "mal")
        if _canonical_items(old_mal, set(SETTING_KEYS)) != _canonical_items(
            new_mal, set(SETTING_KEYS)
        ):
            return False
        return _canonical_items(_child(old_mal, "authorization"), set(TOKEN_KEYS)) == (
            _canonical_items(_child(new_mal, "authorization"), set(TOKEN_KEYS))
        )

    def _holds(self, new_root: MappingNode, wanted: _Wanted) -> bool:
        saved = _settings_from(self.target, new_root)
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


def _child(mapping: Node | None, name: str) -> Node | None:
    if not isinstance(mapping, MappingNode):
        return None
    for key, value in mapping.value:
        if isinstance(key, ScalarNode) and key.value == name:
            return value  # type: ignore[no-any-return]
    return None


def _canonical_items(mapping: Node | None, managed: set[str]) -> list[tuple[Any, Any]]:
    """A mapping's pairs as comparable values; managed keys left out (`mal` kept as a marker)."""
    if not isinstance(mapping, MappingNode):
        return []
    memo: dict[int, Any] = {}
    items: list[tuple[Any, Any]] = []
    for key, value in mapping.value:
        if isinstance(key, ScalarNode) and key.value in managed:
            if key.value == "mal":
                items.append((_MARK, _MARK))
            continue
        items.append((_canonical(key, memo), _canonical(value, memo)))
    return items


def _canonical(node: Node, memo: dict[int, Any]) -> Any:
    # Tag and text of every scalar, shape of every collection; styles and comments ignored.
    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, ScalarNode):
        result: Any = ("scalar", str(node.tag), node.value)
    else:
        memo[id(node)] = ("recursive", str(node.tag))
        if isinstance(node, MappingNode):
            result = (
                "map",
                tuple((_canonical(k, memo), _canonical(v, memo)) for k, v in node.value),
            )
        else:
            result = ("seq", tuple(_canonical(item, memo) for item in node.value))
    memo[id(node)] = result
    return result
