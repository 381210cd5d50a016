"""Crash-safe file replacement and a lock that holds across threads and processes.

Owns: writing a whole file atomically, and an advisory lock kept in a sidecar file.
Must not: know what the files contain, or turn OS errors into user messages (callers do that).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["file_lock", "remove_stale_temporaries", "write_atomic"]

_TEMP_SUFFIX = ".malclient-tmp"
_TEMP_TOKEN_LENGTH = 16  # hex digits


def _temp_pattern(target: Path) -> str:
    # Exactly our own temporaries of `target`: never those of a file whose name extends it.
    return f".{_glob_escape(target.name)}.{'[0-9a-f]' * _TEMP_TOKEN_LENGTH}{_TEMP_SUFFIX}"


def _open_temporary(target: Path) -> tuple[int, Path]:
    while True:
        token = secrets.token_hex(_TEMP_TOKEN_LENGTH // 2)
        candidate = target.with_name(f".{target.name}.{token}{_TEMP_SUFFIX}")
        try:
            return os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), candidate
        except FileExistsError:  # pragma: no cover - 64 random bits collided
            continue


def write_atomic(target: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace `target` with `data` so that a reader, or a crash, sees the old or the new file.

    A temporary file in the same directory is written, flushed, fsynced and renamed over the
    target; the directory is fsynced so the rename itself survives a power cut. `mode` forces
    the permission bits; without it an existing file keeps its bits (and, when we may, its
    owner) and a new one is 0600. Raises OSError untouched: the caller knows what to tell.
    """
    try:
        existing: os.stat_result | None = target.stat()
    except FileNotFoundError:
        existing = None
    fd, temp_path = _open_temporary(target)
    try:
        with os.fdopen(fd, "wb") as temp:
            # Created 0600; only widen to, or keep, what the user chose.
            if existing is not None:
                _keep_owner(temp.fileno(), existing)
            wanted = mode if mode is not None else 0o600 if existing is None else existing.st_mode
            if hasattr(os, "fchmod"):
                os.fchmod(temp.fileno(), stat.S_IMODE(wanted))
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        temp_path.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp_path.unlink()
        raise
    _fsync_directory(target.parent)


def remove_stale_temporaries(target: Path) -> None:
    """Delete temporary files a killed writer of `target` left behind.

    Only safe while holding the lock that every writer of `target` takes: then no temporary
    file of `target` can belong to a write in progress.
    """
    with contextlib.suppress(OSError):
        for leftover in target.parent.glob(_temp_pattern(target)):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _keep_owner(fd: int, existing: os.stat_result) -> None:
    # Only root can give a file away; for anyone else the new file is already theirs.
    if hasattr(os, "fchown") and (existing.st_uid, existing.st_gid) != (os.getuid(), os.getgid()):
        with contextlib.suppress(OSError):
            os.fchown(fd, existing.st_uid, existing.st_gid)


def _fsync_directory(directory: Path) -> None:
    if sys.platform == "win32":  # directories cannot be opened for fsync there
        return
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# --- locking ---------------------------------------------------------------------------------
#
# flock() excludes other processes but not other threads of this one (the lock belongs to the
# open file description), and a second open()+flock() in the same process would deadlock on
# itself. So each lock path gets one in-process entry: an RLock orders the threads, and only
# the outermost holder opens and flocks the file. The lock lives in its own file because the
# data file is replaced by rename, which would silently detach a lock taken on it.


@dataclass
class _Entry:
    rlock: threading.RLock = field(default_factory=threading.RLock)
    depth: int = 0
    fd: int | None = None


_entries: dict[str, _Entry] = {}
_entries_guard = threading.Lock()


def _forget_locks_in_child() -> None:
    # A forked child must not believe it holds its parent's flock (same open file description).
    global _entries, _entries_guard
    _entries = {}
    _entries_guard = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_in_child)


@contextlib.contextmanager
def file_lock(lock_path: Path, *, timeout: float) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` (created 0600, left in place) for the block.

    Re-entrant within a thread; excludes other threads and other processes. Raises
    TimeoutError after `timeout` seconds, OSError when the lock file cannot be opened.
    """
    key = os.path.realpath(lock_path)
    with _entries_guard:
        entry = _entries.setdefault(key, _Entry())
    deadline = time.monotonic() + timeout
    if not entry.rlock.acquire(timeout=max(timeout, 0.0)):
        raise TimeoutError(f"lock {key} is held by another thread")
    try:
        if entry.depth == 0:
            entry.fd = _acquire_os_lock(key, deadline)
        entry.depth += 1
        try:
            yield
        finally:
            entry.depth -= 1
            if entry.depth == 0 and entry.fd is not None:
                _release_os_lock(entry.fd)
                entry.fd = None
    finally:
        entry.rlock.release()


def _open_lock_file(path: str) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


if sys.platform == "win32":  # pragma: no cover - exercised only on Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _release_os_lock(fd: int) -> None:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        finally:
            os.close(fd)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _release_os_lock(fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _acquire_os_lock(path: str, deadline: float) -> int:
    fd = _open_lock_file(path)
    try:
        pause = 0.001
        while not _try_lock(fd):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"lock {path} is held by another process")
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, 0.05)
    except BaseException:
        os.close(fd)
        raise
    return fd
