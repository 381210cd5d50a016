"""The token store contract, run unchanged against SQLite and PostgreSQL (`store_url`)."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from servers import free_port
from stores_support import CLIENT_ID, make_token

from malclient import MALError
from malclient.stores import (
    PostgresTokenStore,
    SQLiteTokenStore,
    SQLTokenStore,
    TokenStoreError,
    UserTokens,
    open_token_store,
)

Opener = Callable[..., SQLTokenStore[Any]]
OTHER_CLIENT = "0123456789abcdef0123456789abcdef"


def test_saved_tokens_come_back_exactly(open_store: Opener) -> None:
    store = open_store()
    token = make_token(101)
    store.put(token, user_name="alice")
    assert store.get(CLIENT_ID, 101) == token  # every field, times to the microsecond
    assert open_store().get(CLIENT_ID, 101) == token  # and for another store object


def test_a_user_who_never_signed_in_has_no_tokens(open_store: Opener) -> None:
    store = open_store()
    assert store.get(CLIENT_ID, 404) is None
    assert store.for_user(CLIENT_ID, 404).load() is None
    assert store.delete(CLIENT_ID, 404) is False


def test_deleting_a_user_forgets_only_their_tokens(open_store: Opener) -> None:
    store = open_store()
    store.put(make_token(1))
    store.put(make_token(2))
    assert store.delete(CLIENT_ID, 1) is True
    assert store.get(CLIENT_ID, 1) is None
    assert store.get(CLIENT_ID, 2) is not None
    assert [user.user_id for user in store.users()] == [2]


def test_tokens_are_kept_per_app_and_per_user(open_store: Opener) -> None:
    store = open_store()
    mine, theirs = make_token(7), make_token(7, OTHER_CLIENT)
    store.put(mine, user_name="alice")
    store.put(theirs, user_name="alice")
    assert store.get(CLIENT_ID, 7) == mine
    assert store.get(OTHER_CLIENT, 7) == theirs
    assert [(u.client_id, u.user_id) for u in store.users(OTHER_CLIENT)] == [(OTHER_CLIENT, 7)]
    assert len(store.users()) == 2


def test_put_reads_whose_token_it_is_from_the_token_itself(open_store: Opener) -> None:
    store = open_store()
    view = store.put(make_token(555))
    assert view == store.for_user(CLIENT_ID, 555)
    assert isinstance(view, UserTokens)


def test_a_token_is_never_saved_under_another_user_or_app(open_store: Opener) -> None:
    store = open_store()
    with pytest.raises(ValueError, match="belongs to MAL user 1"):
        store.put(make_token(1), user_id=2)
    with pytest.raises(ValueError, match="issued to client"):
        store.put(make_token(1), client_id=OTHER_CLIENT)
    opaque = dataclasses.replace(make_token(1), access_token="opaque", client_id=None)
    with pytest.raises(ValueError, match="pass client_id= and user_id="):
        store.put(opaque)
    assert store.users() == []


def test_listing_shows_who_and_when_but_no_secret(open_store: Opener) -> None:
    store = open_store()
    token = make_token(9)
    store.put(token, user_name="carol")
    store.put(make_token(9))  # a refresh does not know the name: it is kept
    (user,) = store.users()
    assert (user.user_id, user.user_name) == (9, "carol")
    assert user.expires_at == pytest.approx(token.expires_at, abs=5)
    shown = repr(store.users()) + repr(store) + repr(store.for_user(CLIENT_ID, 9))
    shown += repr(store.get(CLIENT_ID, 9))
    assert token.access_token not in shown
    assert token.refresh_token not in shown


def test_a_users_lock_keeps_other_writers_out_until_it_is_released(open_store: Opener) -> None:
    store = open_store()
    store.put(make_token(1))
    locked, trying = threading.Event(), threading.Event()
    released = threading.Event()
    seen: list[bool] = []

    def other_writer() -> None:
        locked.wait()
        trying.set()
        with store.lock(CLIENT_ID, 1):
            seen.append(released.is_set())

    thread = threading.Thread(target=other_writer)
    thread.start()
    with store.lock(CLIENT_ID, 1):
        locked.set()
        trying.wait()
        time.sleep(0.2)  # room for the other writer to get in, were the lock not holding
        released.set()
    thread.join()
    assert seen == [True]


def test_load_and_save_inside_the_lock_use_its_transaction(open_store: Opener) -> None:
    store = open_store()
    old, new = make_token(3), make_token(3)
    store.put(old)
    view = store.for_user(CLIENT_ID, 3)
    outside: list[Any] = []
    with view.lock():
        view.save(new)
        assert view.load() == new  # the lock's own transaction sees its write
        reader = threading.Thread(target=lambda: outside.append(store.get(CLIENT_ID, 3)))
        reader.start()
        reader.join()
    assert outside == [old]  # nobody else saw it before the lock was released
    assert store.get(CLIENT_ID, 3) == new


def test_a_failure_inside_the_lock_saves_nothing(open_store: Opener) -> None:
    store = open_store()
    old = make_token(4)
    store.put(old)
    view = store.for_user(CLIENT_ID, 4)

    def refresh_that_fails_after_saving() -> None:
        with view.lock():
            view.save(make_token(4))
            raise RuntimeError("refresh failed")

    with pytest.raises(RuntimeError, match="refresh failed"):
        refresh_that_fails_after_saving()
    assert store.get(CLIENT_ID, 4) == old
    with view.lock():  # and the lock is free again
        view.save(make_token(4))


_OTHER_PROCESS = """
import sys, hashlib
from malclient.stores import open_token_store
store = open_token_store(sys.argv[1])
view = store.for_user(sys.argv[2], int(sys.argv[3]))
print("trying", flush=True)
with view.lock():
    token = view.load()
print(hashlib.sha256(token.access_token.encode()).hexdigest(), flush=True)
"""


def test_another_process_waits_for_the_lock_and_then_reads_the_new_tokens(
    open_store: Opener, store_url: str
) -> None:
    import hashlib

    store = open_store()
    store.put(make_token(5))
    new = make_token(5)
    view = store.for_user(CLIENT_ID, 5)
    with view.lock():
        child = subprocess.Popen(
            [sys.executable, "-c", _OTHER_PROCESS, store_url, CLIENT_ID, "5"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "trying"
        time.sleep(0.3)  # the child now waits on the lock (or, were it broken, reads old tokens)
        view.save(new)
    out, _ = child.communicate(timeout=30)
    assert child.returncode == 0
    assert out.strip() == hashlib.sha256(new.access_token.encode()).hexdigest()


def test_async_code_uses_the_same_store(open_store: Opener) -> None:
    store = open_store()
    token = make_token(11)

    async def main() -> tuple[Any, ...]:
        view = await store.aput(token, user_name="dana")
        got = await store.aget(CLIENT_ID, 11)
        users = await store.ausers(CLIENT_ID)
        gone = await store.adelete(CLIENT_ID, 11)
        return view, got, users, gone, await store.aget(CLIENT_ID, 11)

    view, got, users, gone, after = asyncio.run(main())
    assert view == store.for_user(CLIENT_ID, 11)
    assert got == token
    assert [(u.user_id, u.user_name) for u in users] == [(11, "dana")]
    assert (gone, after) == (True, None)


def test_many_threads_share_a_small_pool(open_store: Opener) -> None:
    store = open_store(pool_size=2)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for _ in range(20):
                store.put(make_token(n))
                assert store.get(CLIENT_ID, n) is not None
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.users()) == 8


def test_a_closed_store_says_so(open_store: Opener) -> None:
    store = open_store()
    store.close()
    with pytest.raises(TokenStoreError, match="closed"):
        store.get(CLIENT_ID, 1)


def test_store_urls_pick_the_backend(tmp_path: Path, postgres_url: str) -> None:
    with open_token_store(f"sqlite:///{tmp_path}/a.sqlite3") as by_url:  # four slashes
        assert isinstance(by_url, SQLiteTokenStore)
        assert by_url.path == tmp_path / "a.sqlite3"
    with open_token_store(tmp_path / "b.sqlite3") as by_path:
        assert isinstance(by_path, SQLiteTokenStore)
    with open_token_store(postgres_url) as server:
        assert isinstance(server, PostgresTokenStore)


def test_the_sqlite_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "private" / "tokens.sqlite3"
    with SQLiteTokenStore(path) as store:
        store.put(make_token(1))
    assert path.stat().st_mode & 0o777 == 0o600


def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    url = f"postgresql://app:hunter2secret@127.0.0.1:{free_port()}/tokens"
    with pytest.raises(TokenStoreError) as caught:
        PostgresTokenStore(url, connect_timeout=2)
    assert isinstance(caught.value, MALError)
    assert "hunter2secret" not in str(caught.value)
    assert "postgresql://app:***@127.0.0.1" in str(caught.value)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are not tokens\n" * 100)
    with pytest.raises(TokenStoreError, match="not a usable token database"):
        SQLiteTokenStore(path)
