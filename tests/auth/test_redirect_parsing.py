"""Whatever the user brings back from MAL's authorize page: URLs, queries, codes, Cancel, state."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from malclient._exceptions import (
    AccessDenied,
    AuthorizationRefused,
    NoAuthorizationCode,
    RedirectError,
    StateMismatch,
)
from malclient.auth import App, Callback, PendingAuthorization, new_verifier, parse_redirect

CODE = "def50200" + "0a1b2c3d4e5f" * 80  # MAL's codes are ~1,000 characters (SPEC 2.4)
STATE = "Zk3-q_9"
DENIED = "The resource owner or authorization server denied the request."


@pytest.mark.parametrize(
    "text",
    [
        f"http://localhost/?code={CODE}&state={STATE}",
        f"http://localhost/oauth?state={STATE}&code={CODE}",
        f"https://example.org/cb?from=mal&code={CODE}&state={STATE}",
        f"myapp://oauth/mal?code={CODE}&state={STATE}",
        f"http://127.0.0.1:8765/callback?code={CODE}&state={STATE}",
        f"/callback?code={CODE}&state={STATE}",  # the request line a loopback server sees
        f"localhost/?code={CODE}&state={STATE}",  # Kometa's docs: "localhost/?code=BLAH"
        f"?code={CODE}&state={STATE}",
        f"code={CODE}&state={STATE}",
        f"http://localhost/#code={CODE}&state={STATE}",
        f"#code={CODE}&state={STATE}",
        f'  "http://localhost/?code={CODE}&state={STATE}"\n',
        f"'code={CODE}&state={STATE}'",
        f"<http://localhost/?code={CODE}&state={STATE}>",
        f"“http://localhost/?code={CODE}&state={STATE}”",
        f"http://localhost/?code={CODE}&amp;state={STATE}",  # copied from HTML source
        # A terminal wrapped the long address over several lines.
        f"http://localhost/?code={CODE[:300]}\n{CODE[300:700]}\n  {CODE[700:]}&state={STATE}",
    ],
)
def test_code_and_state_are_found_in_every_form_users_paste(text: str) -> None:
    assert parse_redirect(text) == Callback(CODE, STATE)


@pytest.mark.parametrize("text", [CODE, f"  {CODE}  ", f'"{CODE}"', f"\n{CODE}\n"])
def test_a_bare_code_is_accepted_without_state(text: str) -> None:
    assert parse_redirect(text) == Callback(CODE, None)


def test_a_redirect_without_state_gives_none() -> None:
    assert parse_redirect(f"http://localhost/?code={CODE}") == Callback(CODE, None)


def test_percent_encoded_values_are_decoded() -> None:
    assert parse_redirect("http://localhost/?code=a%2Bb%2Fc&state=s%7E1") == Callback(
        "a+b/c", "s~1"
    )


def test_the_query_wins_over_the_fragment() -> None:
    callback = parse_redirect("http://localhost/?code=fromquery#code=fromfragment")
    assert callback.code == "fromquery"


def test_cancel_on_mals_page_is_access_denied_quoting_mal() -> None:
    url = (
        f"http://localhost/?state={STATE}&error=access_denied"
        "&message=The+resource+owner+or+authorization+server+denied+the+request."
        "&hint=The+user+denied+the+request"
    )
    with pytest.raises(AccessDenied) as caught:
        parse_redirect(url)
    error = caught.value
    assert (error.error, error.message, error.hint) == (
        "access_denied",
        DENIED,
        "The user denied the request",
    )
    assert DENIED in str(error)
    assert "click Allow" in str(error)


def test_cancel_without_state_is_access_denied_too() -> None:
    # Without a state the library leaves "?&error=..." (SPEC 2.4, [INF]).
    with pytest.raises(AccessDenied):
        parse_redirect(f"http://localhost/?&error=access_denied&message={DENIED}")


def test_another_error_in_the_redirect_is_a_refusal_quoting_mal() -> None:
    with pytest.raises(AuthorizationRefused) as caught:
        parse_redirect("myapp://cb?error=server_error&message=Something+broke")
    assert caught.value.error == "server_error"
    assert "Something broke" in str(caught.value)


def test_mals_json_error_page_pasted_back_explains_the_client_or_redirect_problem() -> None:
    page = '{"error":"invalid_client","message":"Client authentication failed"}'
    with pytest.raises(AuthorizationRefused, match="redirect_uri is not registered") as caught:
        parse_redirect(page)
    assert caught.value.message == "Client authentication failed"


def test_the_authorize_url_itself_is_recognised_and_its_verifier_never_echoed() -> None:
    pending = App("5a1d6b7c0e9f4a3b8c2d7e6f1a0b9c8d").start_authorization()
    with pytest.raises(NoAuthorizationCode, match="authorize URL itself") as caught:
        parse_redirect(pending.authorize_url)
    assert pending.verifier not in str(caught.value)
    assert "the address the browser ended on" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "Nothing was given"),
        ("   \n ", "Nothing was given"),
        ('""', "Nothing was given"),
        ("http://localhost/", "no code"),
        ("http://localhost/?state=abc", "no code"),
        ("localhost/", "no code"),
        ("http://localhost/?code=&state=abc", "empty code"),
        ("https://myanimelist.net/login.php?from=%2Fv1%2Foauth2%2Fauthorize", "login page"),
    ],
)
def test_no_code_explains_what_was_expected(text: str, words: str) -> None:
    with pytest.raises(NoAuthorizationCode, match=words):
        parse_redirect(text)


@given(st.text(max_size=300))
def test_any_text_gives_a_code_or_a_redirect_error(text: str) -> None:
    try:
        callback = parse_redirect(text)
    except RedirectError:
        return
    assert callback.code
    assert not any(char.isspace() for char in callback.code)


# Printable text without whitespace: a URL carries none, so such values could not be pasted.
VALUES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]),
    min_size=1,
)


@given(VALUES, VALUES)
def test_any_code_and_state_in_a_redirect_url_come_back_exactly(code: str, state: str) -> None:
    url = "http://localhost/?" + urlencode({"code": code, "state": state})
    assert parse_redirect(url) == Callback(code, state)


def test_repr_of_a_callback_hides_the_code() -> None:
    assert CODE not in repr(Callback(CODE, STATE))


# --- state -------------------------------------------------------------------------------------


def pending(state: str | None) -> PendingAuthorization:
    return PendingAuthorization(client_id="c" * 32, verifier=new_verifier(), state=state)


def test_matching_state_is_accepted() -> None:
    assert pending(STATE).accept(f"http://localhost/?code={CODE}&state={STATE}") == Callback(
        CODE, STATE
    )


def test_a_different_state_is_refused() -> None:
    with pytest.raises(StateMismatch, match="different sign-in"):
        pending(STATE).accept(f"http://localhost/?code={CODE}&state=other")


def test_a_missing_state_is_refused_when_one_was_sent() -> None:
    with pytest.raises(StateMismatch, match="no state"):
        pending(STATE).accept(f"http://localhost/?code={CODE}")
    with pytest.raises(StateMismatch):
        pending(STATE).accept(CODE)


def test_no_state_sent_and_none_back_is_accepted() -> None:
    assert pending(None).accept(f"http://localhost/?code={CODE}") == Callback(CODE, None)
    assert pending(None).accept(CODE) == Callback(CODE, None)


def test_a_state_nobody_sent_means_the_code_is_from_another_sign_in() -> None:
    with pytest.raises(StateMismatch, match="never sent"):
        pending(None).accept(f"http://localhost/?code={CODE}&state={STATE}")


def test_cancel_is_reported_before_state_is_checked() -> None:
    with pytest.raises(AccessDenied):
        pending(STATE).accept("http://localhost/?state=other&error=access_denied")
