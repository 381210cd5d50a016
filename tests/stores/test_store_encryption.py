"""Tokens at rest: with a key, a database dump holds no usable token; without the right key,
a clear error and never a garbled token. Same suite for SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from stores_support import CLIENT_ID, make_token

from malclient import ConfigError
from malclient.stores import SQLTokenStore, TokenKeyError, generate_key

Opener = Callable[..., SQLTokenStore[Any]]


def dump(store_url: str) -> str:
    """Everything in the token table, as an attacker with a database dump would see it."""
    if store_url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(store_url) as conn:
            rows = conn.execute("SELECT * FROM malclient_tokens").fetchall()
    else:
        with sqlite3.connect(store_url) as conn:
            rows = conn.execute("SELECT * FROM malclient_tokens").fetchall()
    return repr(rows)


def test_with_a_key_a_dump_holds_no_token(open_store: Opener, store_url: str) -> None:
    store = open_store(key=generate_key())
    token = make_token(1)
    store.put(token)
    seen = dump(store_url)
    assert token.access_token not in seen
    assert token.refresh_token not in seen
    assert token.access_token.split(".")[1] not in seen  # not even the JWT's claims
    assert store.get(CLIENT_ID, 1) == token


def test_the_key_comes_from_mal_token_key(
    open_store: Opener, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAL_TOKEN_KEY", generate_key())
    store = open_store()
    token = make_token(1)
    store.put(token)
    assert token.refresh_token not in dump(store_url)
    assert open_store().get(CLIENT_ID, 1) == token


def test_a_wrong_key_is_an_error_never_a_garbled_token(open_store: Opener) -> None:
    open_store(key=generate_key()).put(make_token(1))
    with pytest.raises(TokenKeyError, match="not in MAL_TOKEN_KEY"):
        open_store(key=generate_key()).get(CLIENT_ID, 1)


def test_without_a_key_an_encrypted_database_refuses_to_open(open_store: Opener) -> None:
    open_store(key=generate_key()).put(make_token(1))
    with pytest.raises(TokenKeyError, match="set MAL_TOKEN_KEY") as caught:
        open_store(key="")
    assert isinstance(caught.value, ConfigError)


def test_a_value_copied_into_another_users_row_does_not_open(
    open_store: Opener, store_url: str
) -> None:
    key = generate_key()
    store = open_store(key=key)
    store.put(make_token(1))
    store.put(make_token(2))
    swap = "UPDATE malclient_tokens SET refresh_token = ? WHERE user_id = 2"
    read = "SELECT refresh_token FROM malclient_tokens WHERE user_id = 1"
    if store_url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(store_url) as conn:
            (stolen,) = conn.execute(read).fetchone()  # type: ignore[misc]
            conn.execute(swap.replace("?", "%s"), (stolen,))
    else:
        with sqlite3.connect(store_url) as conn:
            (stolen,) = conn.execute(read).fetchone()
            conn.execute(swap, (stolen,))
    with pytest.raises(TokenKeyError, match="altered or copied from another row"):
        store.get(CLIENT_ID, 2)
    assert store.get(CLIENT_ID, 1) is not None


def test_keys_rotate_without_signing_anyone_out(open_store: Opener, store_url: str) -> None:
    old, new = generate_key(), generate_key()
    token = make_token(1)
    open_store(key=old).put(token)
    rotated = open_store(key=f"{new},{old}")  # the first key seals, any key opens
    assert rotated.get(CLIENT_ID, 1) == token
    assert rotated.reencrypt() == 1
    assert open_store(key=new).get(CLIENT_ID, 1) == token  # the old key is no longer needed


def test_a_clear_database_moves_to_encryption(open_store: Opener, store_url: str) -> None:
    token = make_token(1)
    open_store(key="").put(token)
    assert token.refresh_token in dump(store_url)
    store = open_store(key=generate_key())
    assert store.get(CLIENT_ID, 1) == token  # rows saved in the clear still read
    assert store.reencrypt() == 1
    assert token.refresh_token not in dump(store_url)


@pytest.mark.parametrize("bad", ["short", "not base64 at all!", "QUFB"])
def test_a_malformed_key_is_refused_before_anything_is_written(
    open_store: Opener, bad: str
) -> None:
    with pytest.raises(TokenKeyError, match="is not a token key"):
        open_store(key=bad)


def test_reprs_never_show_the_key(open_store: Opener) -> None:
    key = generate_key()
    store = open_store(key=key)
    assert key not in repr(store)
    assert "encrypted" in repr(store)
