"""The pure half of a call (`_protocol`): requests as MAL wants them, answers read into data or
the exception a user can act on, and the refresh-then-resend decision. No network."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest

from malclient import (
    APIError,
    BadRequest,
    NotFound,
    ServerError,
    Throttled,
    TransportError,
    Unauthorized,
)
from malclient._protocol import (
    ApiRequest,
    ApiResponse,
    Flow,
    NeedToken,
    Refresh,
    Send,
    build_request,
    call_flow,
    read_response,
)
from malclient.auth import Token

API = "https://api.myanimelist.net/v2"
ACCESS = "KNOWN-ACCESS-TOKEN-abcdef"


def token(access: str = ACCESS) -> Token:
    return Token(
        access_token=access,
        refresh_token="KNOWN-REFRESH-TOKEN",
        expires_in=3600,
        expires_at=time.time() + 3600,
    )


def json_response(status: int, body: object, **headers: str) -> ApiResponse:
    return ApiResponse(
        status,
        {"content-type": "application/json; charset=UTF-8", **headers},
        json.dumps(body).encode(),
    )


def html_response(status: int) -> ApiResponse:
    page = f"<html><head><title>{status}</title></head><body>error</body></html>"
    return ApiResponse(status, {"content-type": "text/html"}, page.encode())


ME = build_request(API, "GET", "/users/@me", token=token())


# --- building -------------------------------------------------------------------------------------


def test_a_user_call_carries_the_bearer_token_and_a_public_call_the_client_id() -> None:
    assert ME.url == f"{API}/users/@me"
    assert ME.headers["Authorization"] == f"Bearer {ACCESS}"
    assert "X-MAL-CLIENT-ID" not in ME.headers
    public = build_request(API, "GET", "anime/1", client_id="abc123")
    assert public.headers["X-MAL-CLIENT-ID"] == "abc123"
    assert "Authorization" not in public.headers
    with pytest.raises(ValueError, match="token or a client id"):
        build_request(API, "GET", "/anime/1")


def test_parameters_use_mal_conventions_and_none_is_not_sent() -> None:
    request = build_request(
        API,
        "get",
        "/anime",
        params={"q": "one", "fields": ["rank", "mean"], "nsfw": True, "limit": 4, "offset": None},
        client_id="abc",
    )
    assert request.method == "GET"
    assert request.params == (
        ("q", "one"),
        ("fields", "rank,mean"),
        ("nsfw", "true"),
        ("limit", "4"),
    )


def test_list_updates_are_sent_as_forms() -> None:
    # MAL answers JSON bodies on list writes with 400 (SPEC 5.3).
    request = build_request(
        API,
        "PATCH",
        "/anime/21/my_list_status",
        data={"status": "watching", "score": 8},
        token=token(),
    )
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.body() == b"status=watching&score=8"


def test_paging_links_are_followed_but_the_token_never_leaves_the_api() -> None:
    link = f"{API}/users/@me/animelist?offset=10&limit=10"
    assert build_request(API, "GET", link, token=token()).url == link
    with pytest.raises(ValueError, match="only there"):
        build_request(API, "GET", "https://evil.example/v2/users/@me", token=token())
    with pytest.raises(ValueError, match="only there"):
        build_request(API, "GET", "https://api.myanimelist.net/v2evil/x", token=token())


def test_a_request_repr_hides_the_token() -> None:
    assert ACCESS not in repr(ME)
    assert "<hidden>" in repr(ME)


# --- reading --------------------------------------------------------------------------------------


def test_success_is_decoded_json_and_an_empty_body_is_none() -> None:
    assert read_response(json_response(200, {"name": "alice"}), ME, user=True) == {"name": "alice"}
    assert read_response(ApiResponse(200, {}, b""), ME, user=True) is None


@pytest.mark.parametrize(
    ("response", "expected", "words"),
    [
        (
            json_response(400, {"message": "invalid q", "error": "bad_request"}),
            BadRequest,
            "invalid q",
        ),
        (
            json_response(400, {"message": "Invalid client id", "error": "bad_request"}),
            BadRequest,
            "apiconfig",
        ),
        (json_response(403, {"message": "", "error": "forbidden"}), Throttled, "too fast"),
        (html_response(403), Throttled, "HTML block page"),
        (json_response(404, {"message": "", "error": "not_found"}), NotFound, "check the id"),
        (html_response(502), ServerError, "try again in a few minutes"),
        (ApiResponse(504, {}, b""), ServerError, "HTTP 504"),
        (json_response(418, {"error": "teapot"}), APIError, "HTTP 418"),
    ],
)
def test_errors_become_exceptions_that_say_what_to_do(
    response: ApiResponse, expected: type[APIError], words: str
) -> None:
    with pytest.raises(expected) as caught:
        read_response(response, ME, user=True)
    assert type(caught.value) is expected
    assert words in str(caught.value)
    assert caught.value.status == response.status
    assert "/users/@me" in str(caught.value) or response.status == 400


def test_a_cut_or_foreign_success_body_is_a_transport_error_that_quotes_nothing() -> None:
    half = b'{"access_token": "' + ACCESS.encode()
    with pytest.raises(TransportError, match="not JSON") as caught:
        read_response(ApiResponse(200, {}, half), ME, user=True)
    assert ACCESS not in str(caught.value)
    with pytest.raises(TransportError, match="HTML page"):
        read_response(html_response(200), ME, user=True)


def test_a_401_without_a_user_token_says_to_sign_in() -> None:
    public = build_request(API, "GET", "/users/@me", client_id="abc")
    with pytest.raises(Unauthorized, match=r"needs a signed-in user.*mal auth login"):
        read_response(json_response(401, {"error": "invalid_token"}), public, user=False)


# --- the flow -------------------------------------------------------------------------------------


def drive(
    flow: Flow, answers: list[ApiResponse], refreshed: Token | None = None
) -> tuple[Any, list[Any]]:
    """A driver that records each step and answers from a script."""
    steps: list[Any] = []
    outcome: Any = None
    while True:
        try:
            step = flow.send(outcome)
        except StopIteration as done:
            return done.value, steps
        steps.append(step)
        if isinstance(step, NeedToken):
            outcome = token()
        elif isinstance(step, Refresh):
            outcome = refreshed
        else:
            assert isinstance(step, Send)
            outcome = answers.pop(0)


def sent(steps: list[Any]) -> list[ApiRequest]:
    return [step.request for step in steps if isinstance(step, Send)]


def test_a_rejected_token_is_refreshed_once_and_the_call_resent_with_the_new_one() -> None:
    rejected = json_response(401, {"error": "invalid_token"})
    result, steps = drive(
        call_flow(API, "GET", "/users/@me"),
        [rejected, json_response(200, {"name": "alice"})],
        refreshed=token("NEW-ACCESS"),
    )
    assert result == {"name": "alice"}
    assert [type(step) for step in steps] == [NeedToken, Send, Refresh, Send]
    refresh = steps[2]
    assert refresh.stale.access_token == ACCESS
    assert [r.headers["Authorization"] for r in sent(steps)] == [
        f"Bearer {ACCESS}",
        "Bearer NEW-ACCESS",
    ]


def test_a_second_401_stops_with_a_clear_message_instead_of_refreshing_again() -> None:
    rejected = json_response(401, {"error": "invalid_token"})
    with pytest.raises(Unauthorized) as caught:
        drive(call_flow(API, "GET", "/users/@me"), [rejected, rejected], refreshed=token("NEW"))
    message = str(caught.value)
    assert "right after it was refreshed" in message
    assert "mal auth login" in message


def test_a_public_call_never_asks_for_a_token() -> None:
    result, steps = drive(
        call_flow(API, "GET", "/anime/1", client_id="abc"), [json_response(200, {"id": 1})]
    )
    assert result == {"id": 1}
    assert [type(step) for step in steps] == [Send]


def test_the_protocol_imports_no_http_library() -> None:
    # Decisions stay testable without a network and shared by sync and async drivers.
    code = (
        "import sys, malclient._protocol\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'httpx2', 'httpx', 'httpcore2', 'anyio', 'ruamel', 'asyncio'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
