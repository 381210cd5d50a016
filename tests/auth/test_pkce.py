"""PKCE verifier, plain challenge and state: what MAL accepts (SPEC 2.2) and Kometa's constant."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from malclient.auth import (
    KOMETA_FIXED_VERIFIER,
    code_challenge,
    is_public_verifier,
    is_valid_verifier,
    new_state,
    new_verifier,
)
from recorded import FIXTURES

UNRESERVED = set(string.ascii_letters + string.digits + "-._~")


def test_default_verifier_is_128_unreserved_characters() -> None:
    verifier = new_verifier()
    assert len(verifier) == 128
    assert set(verifier) <= UNRESERVED
    assert is_valid_verifier(verifier)


def test_verifiers_are_fresh_each_time() -> None:
    assert len({new_verifier() for _ in range(50)}) == 50


@given(st.integers(min_value=43, max_value=128))
def test_any_allowed_length_gives_a_verifier_mal_accepts(length: int) -> None:
    verifier = new_verifier(length)
    assert len(verifier) == length
    assert re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", verifier)


@pytest.mark.parametrize("length", [0, 42, 129, 1000, -1])
def test_lengths_outside_43_to_128_are_refused_with_the_rule(length: int) -> None:
    with pytest.raises(ValueError, match="43 to 128"):
        new_verifier(length)


@pytest.mark.parametrize("length", [True, 64.0, "128"])
def test_a_length_that_is_not_an_integer_is_refused(length: object) -> None:
    with pytest.raises(TypeError, match="integer"):
        new_verifier(length)  # type: ignore[arg-type]


def test_the_challenge_is_the_verifier_because_mal_supports_only_plain() -> None:
    verifier = new_verifier()
    assert code_challenge(verifier) == verifier


@pytest.mark.parametrize(
    "value",
    ["a" * 42, "a" * 129, "a" * 60 + "+", "a" * 60 + "=", "a" * 60 + " ", "ä" * 50, ""],
)
def test_values_mal_would_refuse_are_not_valid_verifiers(value: str) -> None:
    assert not is_valid_verifier(value)


def test_kometa_fixed_verifier_is_the_published_one() -> None:
    spec = (FIXTURES.parent / "SPEC.md").read_text(encoding="utf-8")
    assert f"`{KOMETA_FIXED_VERIFIER}`" in spec
    assert len(KOMETA_FIXED_VERIFIER) == 128
    assert is_valid_verifier(KOMETA_FIXED_VERIFIER)


def test_only_kometas_verifier_counts_as_public() -> None:
    assert is_public_verifier(KOMETA_FIXED_VERIFIER)
    assert not is_public_verifier(new_verifier())
    assert not is_public_verifier(KOMETA_FIXED_VERIFIER[:-1] + "y")


def test_state_is_url_safe_and_unguessable() -> None:
    states = {new_state() for _ in range(50)}
    assert len(states) == 50
    for state in states:
        assert re.fullmatch(r"[A-Za-z0-9_-]{32,}", state)
