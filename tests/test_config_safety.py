"""Saving tokens survives SIGKILL, concurrent writers and unwritable places without damage."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from malclient.config import (
    ConfigError,
    StoredTokens,
    locked,
    read_settings,
    write_authorization,
    write_settings,
)

CONFIG = """\
# Kometa config (shortened)
libraries:
  Anime:
    collection_files:
      - default: myanimelist   # needs mal:
settings:
  cache: true
mal:
  client_id: "0"   # a counter in the concurrency test
  client_secret: s3cret
  localhost_url:
  authorization:
    access_token:
    token_type:
    expires_in:
    refresh_token:
anidb:
  language: en
"""

TOKEN_SCRIPT_HEAD = """\
import os, sys
from malclient.config import StoredTokens, write_authorization

def generation(n):
    return StoredTokens(
        access_token=f"access-{n}-" + "a" * 1000,
        refresh_token=f"refresh-{n}-" + "r" * 1000,
        expires_in=1_000_000 + n,
        issued_at=float(n),
        client_id=f"client-{n}",
    )
"""

# Forks a writer per round so each kill hits a process already busy saving, not one starting up.
CRASH_HELPER = (
    TOKEN_SCRIPT_HEAD
    + """
path = sys.argv[1]
for line in sys.stdin:
    n = int(line)
    pid = os.fork()
    if pid == 0:
        try:
            while True:
                write_authorization(path, generation(n))
                n += 1
        finally:
            os._exit(1)
    print(pid, flush=True)
    os.waitpid(pid, 0)
    print("reaped", flush=True)
"""
)


def generation_of(path: Path) -> int | None:
    """Which generation of tokens the file holds, checking that all parts agree."""
    settings = read_settings(path)  # parses, or raises
    stored = settings.authorization
    if stored is None:
        return None
    n = int(stored.access_token.split("-")[1])
    assert stored.access_token == f"access-{n}-" + "a" * 1000
    assert stored.refresh_token == f"refresh-{n}-" + "r" * 1000
    assert stored.expires_in == 1_000_000 + n
    assert stored.token_type == "Bearer"
    # Sidecar facts are either those of these very tokens, or absent (written after the rename).
    assert (stored.issued_at, stored.client_id) in ((float(n), f"client-{n}"), (None, None))
    return n


def outside_block(text: str) -> str:
    lines = text.splitlines(keepends=True)
    start = lines.index("  authorization:\n")
    end = lines.index("anidb:\n")
    return "".join(lines[:start] + lines[end:])


def test_sigkill_while_saving_leaves_old_or_new_tokens_never_a_mix(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text(CONFIG)
    rng = random.Random(20240601)
    # Kill within about three saves' time, however fast this machine's disk is.
    started = time.perf_counter()
    write_authorization(path, StoredTokens(access_token="warm-0", refresh_token="r"))
    window = 3 * (time.perf_counter() - started) + 0.005
    write_authorization(path, None)
    current = generation_of(path)
    advanced = 0
    with subprocess.Popen(
        [sys.executable, "-c", CRASH_HELPER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as helper:
        assert helper.stdin is not None
        assert helper.stdout is not None
        for round_ in range(200):
            first = (round_ + 1) * 1_000_000_000
            helper.stdin.write(f"{first}\n")
            helper.stdin.flush()
            pid = int(helper.stdout.readline())
            time.sleep(rng.uniform(0.0, window))
            os.kill(pid, signal.SIGKILL)
            assert helper.stdout.readline() == "reaped\n"

            found = generation_of(path)
            assert found == current or (found is not None and found >= first)
            assert outside_block(path.read_text()) == outside_block(CONFIG)
            advanced += found != current
            current = found
        helper.stdin.close()
    # Most kills landed after some saves (the rest before the first): the writer was busy.
    assert advanced > 40
    # The next save cleans up what killed writers left behind.
    write_settings(path, client_id="1")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "config.yml",
        "config.yml.malclient",
        "config.yml.malclient.lock",
    ]


WORKER = """\
import sys, threading
from malclient.config import (
    StoredTokens, locked, read_settings, write_authorization, write_settings,
)

def work(path, tag, rounds, errors):
    try:
        for i in range(rounds):
            with locked(path):  # read-modify-write: no other writer may slip in between
                count = int(read_settings(path).client_id)
                write_settings(path, client_id=str(count + 1))
            tokens = StoredTokens(
                access_token=f"{tag}-{i}-a", refresh_token=f"{tag}-{i}-r", expires_in=i
            )
            write_authorization(path, tokens)
    except BaseException as exc:
        errors.append(exc)
        raise

def run(path, tag, threads, rounds):
    errors = []
    workers = [
        threading.Thread(target=work, args=(path, f"{tag}t{k}", rounds, errors))
        for k in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors
"""

PROCESS_WORKER = (
    WORKER
    + """
print("ready", flush=True)
sys.stdin.readline()
sys.exit(1 if run(sys.argv[1], sys.argv[2], 4, 10) else 0)
"""
)


def test_concurrent_threads_and_processes_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text(CONFIG)
    namespace: dict[str, object] = {}
    exec(WORKER, namespace)  # noqa: S102 - the same worker, in this process's threads
    with contextlib.ExitStack() as stack:
        children = [
            stack.enter_context(
                subprocess.Popen(
                    [sys.executable, "-c", PROCESS_WORKER, str(path), f"p{k}"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            for k in range(2)
        ]
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline() == "ready\n"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        errors = namespace["run"](str(path), "main", 4, 10)  # type: ignore[operator]
        assert [child.wait(timeout=60) for child in children] == [0, 0]
    assert errors == []

    settings = read_settings(path)
    assert settings.client_id == str((2 * 4 + 4) * 10)
    stored = settings.authorization
    assert stored is not None
    assert stored.refresh_token == stored.access_token[:-1] + "r"
    text = path.read_text()
    assert outside_block(text).replace(f'client_id: "{settings.client_id}"', 'client_id: "0"') == (
        outside_block(CONFIG)
    )


def test_next_save_removes_temporary_files_a_killed_writer_left(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text(CONFIG)
    leftovers = [
        tmp_path / ".config.yml.0123456789abcdef.malclient-tmp",
        tmp_path / ".config.yml.malclient.fedcba9876543210.malclient-tmp",
    ]
    others = [
        tmp_path / ".config.yml.swp",  # an editor's
        tmp_path / ".config.yml.x.0123456789abcdef.malclient-tmp",  # config.yml.x's writer's
    ]
    for file in leftovers + others:
        file.write_text("half a file")
    write_authorization(path, StoredTokens(access_token="a", refresh_token="r"))
    assert [file.exists() for file in leftovers + others] == [False, False, True, True]


def test_a_writer_waiting_too_long_for_the_lock_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text(CONFIG)
    script = (
        "import sys\nfrom malclient.config import locked\n"
        "with locked(sys.argv[1]):\n    print('held', flush=True)\n    sys.stdin.read()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(ConfigError, match=r"Timed out after 0 s waiting for another"):
            write_authorization(
                path, StoredTokens(access_token="a", refresh_token="r"), lock_timeout=0.2
            )
        assert holder.stdin is not None
        holder.stdin.close()
    assert path.read_text() == CONFIG
    write_authorization(path, StoredTokens(access_token="a", refresh_token="r"), lock_timeout=5)


def test_lock_excludes_other_threads_of_this_process(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    inside = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with locked(path):
            inside.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    inside.wait(10)
    try:
        with pytest.raises(ConfigError, match="Timed out"), locked(path, timeout=0.1):
            pass
    finally:
        release.set()
        holder.join()
    with locked(path, timeout=1):
        pass


# --- places we may not write --------------------------------------------------------------------
#
# Root ignores permission bits, so as root the attempt runs in a child that drops to `nobody`
# once Python and malclient are loaded (the interpreter itself may live where nobody can read).

UNPRIVILEGED_ATTEMPT = """\
import os, sys, tempfile
from pathlib import Path
from malclient.config import ConfigError, StoredTokens, read_settings, write_authorization

tokens = StoredTokens(access_token="new-access", refresh_token="new-refresh", expires_in=1)
with tempfile.TemporaryDirectory() as scratch:  # load every lazily imported module first
    write_authorization(Path(scratch) / "warm.yml", tokens)
    read_settings(Path(scratch) / "warm.yml")
if os.geteuid() == 0:
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
try:
    write_authorization(sys.argv[1], tokens)
except ConfigError as exc:
    print(exc)
else:
    print("written")
"""


@pytest.fixture
def shared_dir(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        yield tmp_path
        return
    # pytest's own temporary folders are private to root; `nobody` must reach this one.
    place = Path(tempfile.mkdtemp(prefix="malclient-test-"))
    place.chmod(0o755)
    try:
        yield place
    finally:
        for folder in [place, *place.rglob("*")]:
            if folder.is_dir():
                folder.chmod(0o755)
        shutil.rmtree(place)


def attempt_write(path: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", UNPRIVILEGED_ATTEMPT, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_unwritable_folder_gives_a_clear_error_and_keeps_the_file(shared_dir: Path) -> None:
    folder = shared_dir / "kometa"
    folder.mkdir()
    path = folder / "config.yml"
    path.write_text(CONFIG)
    path.chmod(0o644)
    folder.chmod(0o555)
    message = attempt_write(path)
    folder.chmod(0o755)
    assert "permission denied" in message
    assert str(folder) in message
    assert "writable" in message
    assert "new-access" not in message
    assert "s3cret" not in message
    assert path.read_text() == CONFIG
    assert [p.name for p in folder.iterdir()] == ["config.yml"]


def test_read_only_file_gives_a_clear_error_and_stays_as_it_was(shared_dir: Path) -> None:
    folder = shared_dir / "kometa"
    folder.mkdir()
    folder.chmod(0o777)
    path = folder / "config.yml"
    path.write_text(CONFIG)
    path.chmod(0o444)
    message = attempt_write(path)
    assert "read-only" in message
    assert "chmod u+w" in message
    assert path.read_text() == CONFIG
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert not [p for p in folder.iterdir() if p.name.endswith(".malclient-tmp")]


def test_kometa_can_still_load_the_file_after_many_saves(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text(CONFIG)
    for n in range(5):
        write_authorization(
            path, StoredTokens(access_token=f"a{n}", refresh_token=f"r{n}", expires_in=n)
        )
    data = YAML(typ="rt").load(path.read_text())
    assert dict(data["mal"]["authorization"]) == {
        "access_token": "a4",
        "token_type": "Bearer",
        "expires_in": 4,
        "refresh_token": "r4",
    }
    assert textwrap.dedent(outside_block(path.read_text())) == textwrap.dedent(
        outside_block(CONFIG)
    )
