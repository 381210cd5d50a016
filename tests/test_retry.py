"""When a request is sent again (`_retry`): which failures, which methods, how long to wait, and
what the caller gets when retrying does not help. Pure: a scripted driver plays MAL's part."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from malclient import Forbidden, RateLimited, Throttled, Timeout, TransportError
from malclient._exceptions import ConnectError
from malclient._protocol import ApiRequest, ApiResponse, build_request
from malclient._retry import (
    NO_RETRIES,
    CoolDown,
    RetryPolicy,
    RetryStep,
    Transmit,
    Wait,
    attempts,
    backoff,
    classify,
    cool_down_pause,
    retry_after,
)
from malclient.auth import Token

API = "https://api.myanimelist.net/v2"
POLICY = RetryPolicy(retries=3, backoff=1.0, max_backoff=30.0, throttle_retries=2, cool_down=4.0)


def request(method: str = "GET", path: str = "/anime/1", **kwargs: object) -> ApiRequest:
    return build_request(API, method, path, client_id="CLIENT-ID", **kwargs)  # type: ignore[arg-type]


def user_request(method: str = "GET", path: str = "/users/@me") -> ApiRequest:
    token = Token(access_token="ACCESS", refresh_token="REFRESH", expires_in=3600, expires_at=0)
    return build_request(API, method, path, token=token)


def answer(status: int, body: object = None, **headers: str) -> ApiResponse:
    if body is None:
        body = {} if status < 400 else {"message": "", "error": "bad_request"}
    return ApiResponse(
        status, {"content-type": "application/json", **headers}, json.dumps(body).encode()
    )


FORBIDDEN = answer(403, {"message": "", "error": "forbidden"})
BLOCK_PAGE = ApiResponse(
    403, {"content-type": "text/html; charset=UTF-8"}, b"<!DOCTYPE html><h1>Request blocked</h1>"
)


def play(
    req: ApiRequest,
    script: Sequence[ApiResponse | TransportError],
    policy: RetryPolicy = POLICY,
    random: float = 0.5,
) -> tuple[ApiResponse, list[RetryStep]]:
    """Run `attempts` with MAL answering from `script`; return the final answer and the steps."""
    flow = attempts(req, policy, lambda: random)
    answers = iter(script)
    steps: list[RetryStep] = []
    try:
        step = next(flow)
        while True:
            steps.append(step)
            if not isinstance(step, Transmit):
                step = flow.send(None)
            elif isinstance(upcoming := next(answers), Exception):
                step = flow.throw(upcoming)
            else:
                step = flow.send(upcoming)
    except StopIteration as done:
        return done.value, steps


def kinds(steps: list[RetryStep]) -> list[str]:
    return [type(step).__name__ for step in steps]


# --- what counts as worth another try -------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "verdict"),
    [
        (answer(200), "done"),
        (answer(400), "done"),
        (answer(404, {"message": "", "error": "not_found"}), "done"),
        (answer(500), "transient"),
        (answer(502), "transient"),
        (answer(503), "transient"),
        (answer(504), "transient"),
        (answer(501), "done"),
        (FORBIDDEN, "throttle"),
        (BLOCK_PAGE, "throttle"),
        (answer(429), "throttle"),
        (answer(403, {"message": "", "error": "access_denied"}), "done"),
    ],
)
def test_answers_are_sorted_into_final_transient_and_throttled(
    response: ApiResponse, verdict: str
) -> None:
    assert classify(response, request()) == verdict
    assert classify(response, user_request()) == verdict


def test_a_403_to_a_request_without_credentials_is_an_auth_problem_not_a_throttle() -> None:
    bare = ApiRequest("GET", f"{API}/anime/1")
    assert classify(FORBIDDEN, bare) == "done"
    assert play(bare, [FORBIDDEN]) == (FORBIDDEN, [Transmit(bare, 1)])


# --- how long to wait -----------------------------------------------------------------------------


def test_backoff_is_full_jitter_under_a_doubling_ceiling_that_is_capped() -> None:
    policy = RetryPolicy(backoff=0.5, max_backoff=5.0)
    assert [backoff(policy, n, lambda: 1.0) for n in range(6)] == [0.5, 1, 2, 4, 5, 5]
    assert backoff(policy, 3, lambda: 0.0) == 0.0
    assert backoff(policy, 3, lambda: 0.25) == 1.0


def test_a_throttle_cool_down_is_never_shorter_than_half_its_doubling_pause() -> None:
    policy = RetryPolicy(cool_down=5.0, max_cool_down=60.0)
    assert [cool_down_pause(policy, n, lambda: 0.0) for n in range(5)] == [2.5, 5, 10, 20, 30]
    assert [cool_down_pause(policy, n, lambda: 1.0) for n in range(5)] == [5, 10, 20, 40, 60]


def test_retry_after_is_read_as_seconds_or_as_a_date_against_the_servers_clock() -> None:
    assert retry_after(answer(503, **{"Retry-After": "7"})) == 7.0
    dated = answer(
        503,
        **{"Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT", "Date": "Wed, 21 Oct 2026 07:28:00 GMT"},
    )
    assert retry_after(dated) == 30.0
    assert retry_after(answer(503, **{"Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT"})) is None
    assert retry_after(answer(503, **{"Retry-After": "soon"})) is None
    assert retry_after(answer(503, **{"Retry-After": "-3"})) == 0.0
    assert retry_after(answer(503)) is None


# --- one request's life ---------------------------------------------------------------------------


def test_a_get_survives_gateway_errors_with_growing_waits() -> None:
    final, steps = play(request(), [answer(503), answer(502), answer(200)], random=1.0)
    assert final.status == 200
    assert kinds(steps) == ["Transmit", "Wait", "Transmit", "Wait", "Transmit"]
    assert [s.seconds for s in steps if isinstance(s, Wait)] == [1.0, 2.0]
    assert [s.attempt for s in steps if isinstance(s, Transmit)] == [1, 2, 3]


def test_after_the_last_retry_the_server_error_goes_to_the_caller() -> None:
    final, steps = play(request(), [answer(500)] * 4)
    assert final.status == 500
    assert kinds(steps).count("Transmit") == POLICY.retries + 1
    assert "retry 3 of 3" in [s for s in steps if isinstance(s, Wait)][-1].reason


@pytest.mark.parametrize("method", ["PATCH", "DELETE", "PUT"])
def test_list_writes_are_retried_because_they_set_absolute_values(method: str) -> None:
    req = request(method, "/anime/1/my_list_status")
    final, steps = play(req, [answer(503), answer(200)])
    assert final.status == 200
    assert kinds(steps) == ["Transmit", "Wait", "Transmit"]


def test_a_post_is_not_repeated_after_it_may_have_arrived() -> None:
    final, steps = play(request("POST", "/things"), [answer(503)])
    assert final.status == 503
    assert kinds(steps) == ["Transmit"]
    with pytest.raises(Timeout):
        play(request("POST", "/things"), [Timeout("slow")])


def test_a_refused_connection_is_retried_for_any_method_since_nothing_arrived() -> None:
    final, steps = play(request("POST", "/things"), [ConnectError("refused"), answer(200)])
    assert final.status == 200
    assert kinds(steps) == ["Transmit", "Wait", "Transmit"]


def test_timeouts_and_cut_connections_are_retried_then_raised() -> None:
    final, _ = play(request(), [Timeout("slow"), TransportError("cut"), answer(200)])
    assert final.status == 200
    with pytest.raises(TransportError, match="cut"):
        play(request(), [Timeout("slow")] * 3 + [TransportError("cut")])


def test_a_retry_after_header_is_obeyed_when_present() -> None:
    _, steps = play(request(), [answer(503, **{"Retry-After": "9"}), answer(200)], random=0.0)
    assert [s.seconds for s in steps if isinstance(s, Wait)] == [9.0]


def test_a_retry_after_beyond_the_limit_ends_the_retries_at_once() -> None:
    final, steps = play(request(), [answer(503, **{"Retry-After": "86400"})])
    assert final.status == 503
    assert kinds(steps) == ["Transmit"]


# --- throttles ------------------------------------------------------------------------------------


def test_a_throttle_cools_down_and_tries_again() -> None:
    final, steps = play(user_request(), [FORBIDDEN, BLOCK_PAGE, answer(200)], random=0.0)
    assert final.status == 200
    assert kinds(steps) == ["Transmit", "CoolDown", "Transmit", "CoolDown", "Transmit"]
    assert [s.seconds for s in steps if isinstance(s, CoolDown)] == [2.0, 4.0]


def test_a_throttled_post_may_be_sent_again_since_mal_refused_it_unprocessed() -> None:
    final, _ = play(request("POST", "/things"), [FORBIDDEN, answer(200)])
    assert final.status == 200


def test_throttling_that_outlasts_the_cool_downs_raises_rate_limited_with_what_was_tried() -> None:
    with pytest.raises(RateLimited) as caught:
        play(request(), [FORBIDDEN, FORBIDDEN, BLOCK_PAGE], random=0.0)
    error = caught.value
    assert isinstance(error, Throttled)
    assert isinstance(error, Forbidden)
    assert error.status == 403
    text = str(error)
    assert "GET /v2/anime/1" in text
    assert "HTML block page" in text
    assert "after 2 cool-downs (6 s in all)" in text
    assert "MAL_RATE=1" in text


def test_without_retries_the_answer_reaches_the_caller_untouched() -> None:
    for response in (FORBIDDEN, answer(503)):
        assert play(request(), [response], NO_RETRIES) == (response, [Transmit(request(), 1)])
    with pytest.raises(Timeout):
        play(request(), [Timeout("slow")], NO_RETRIES)


def test_policies_refuse_negative_numbers() -> None:
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(retries=-1)
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(cool_down=-1)
