"""The sandbox answers bursts like MAL (403, then a temporary ban) and injects faults on demand."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx2
import pytest
from starlette.testclient import TestClient

from malclient.sandbox import Faults, RatePolicy, SandboxConfig, create_app
from malclient.sandbox.config import WEB_APP
from malclient.sandbox.server import SandboxServer

CLIENT = {"X-MAL-CLIENT-ID": WEB_APP.client_id}
FORBIDDEN = b'{"message":"","error":"forbidden"}'


def sandbox(**settings: object) -> TestClient:
    config = SandboxConfig(clock_start=1_700_000_000.0, **settings)  # type: ignore[arg-type]
    return TestClient(create_app(config), base_url="http://sandbox.test")


def boards(client: TestClient) -> httpx2.Response:
    return client.get("/v2/forum/boards", headers=CLIENT)


def test_bursts_past_the_bucket_get_mals_forbidden_body() -> None:
    client = sandbox(rate_limit=RatePolicy(rate=1, burst=3, ban_after=100, ban_seconds=60))
    statuses = [boards(client).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 403, 403]
    refused = boards(client)
    assert refused.content == FORBIDDEN
    assert refused.headers["content-type"] == "application/json; charset=UTF-8"


def test_the_bucket_refills_with_time() -> None:
    client = sandbox(rate_limit=RatePolicy(rate=2, burst=2, ban_after=100, ban_seconds=60))
    assert [boards(client).status_code for _ in range(3)] == [200, 200, 403]
    client.app.sandbox.clock.advance(1.0)  # type: ignore[attr-defined]
    assert [boards(client).status_code for _ in range(3)] == [200, 200, 403]


def test_persistent_overrun_earns_a_ban_that_outlasts_the_bucket() -> None:
    client = sandbox(rate_limit=RatePolicy(rate=1, burst=1, ban_after=3, ban_seconds=600))
    clock = client.app.sandbox.clock  # type: ignore[attr-defined]
    assert [boards(client).status_code for _ in range(4)] == [200, 403, 403, 403]
    clock.advance(60)  # the bucket is full again, but the address is banned
    assert boards(client).status_code == 403
    stats = client.get("/_sandbox/stats").json()
    assert stats["throttled"] == 3
    assert stats["banned"] == 1
    clock.advance(600)
    assert boards(client).status_code == 200


def test_a_ban_can_answer_with_mals_html_block_page() -> None:
    client = sandbox(
        rate_limit=RatePolicy(rate=1, burst=1, ban_after=1, ban_seconds=600, html=True)
    )
    boards(client)
    assert boards(client).content == FORBIDDEN  # the throttled request that earns the ban
    banned = boards(client)
    assert banned.status_code == 403
    assert banned.headers["content-type"].startswith("text/html")
    assert "blocked" in banned.text


def test_token_requests_are_not_rate_limited() -> None:
    # The guide's author: "the rate limit should only apply to API calls".
    client = sandbox(rate_limit=RatePolicy(rate=1, burst=1, ban_after=1, ban_seconds=600))
    answers = {client.post("/v1/oauth2/token", data={}).status_code for _ in range(5)}
    assert answers == {400}


def test_rate_limit_can_be_switched_on_and_off_at_run_time() -> None:
    client = sandbox()
    assert {boards(client).status_code for _ in range(5)} == {200}
    changed = client.post("/_sandbox/settings", json={"rate_limit": "rate=1,burst=2"})
    assert changed.json()["rate_limit"]["burst"] == 2
    assert [boards(client).status_code for _ in range(3)] == [200, 200, 403]
    client.post("/_sandbox/settings", json={"rate_limit": None})
    assert boards(client).status_code == 200


def test_injected_gateway_errors_are_html_like_a_real_gateway() -> None:
    client = sandbox(faults=Faults(status=((503, 1.0),)))
    answer = boards(client)
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("text/html")
    assert client.get("/_sandbox/stats").json()["faults"] == {"503": 1}


def test_seeded_faults_repeat_exactly() -> None:
    def run() -> list[int]:
        client = sandbox(faults=Faults(status=((500, 0.2), (502, 0.1)), seed=42))
        return [boards(client).status_code for _ in range(60)]

    first = run()
    assert first == run()
    assert {200, 500, 502} <= set(first)


def test_sandbox_control_endpoints_are_never_faulted() -> None:
    client = sandbox(faults=Faults(status=((500, 1.0),)))
    assert client.get("/_sandbox/stats").status_code == 200


def test_bad_fault_settings_are_refused_with_a_reason() -> None:
    client = sandbox()
    answer = client.post("/_sandbox/settings", json={"faults": "418=0.5"})
    assert answer.status_code == 400
    assert "418" in answer.json()["error"]
    with pytest.raises(ValueError, match="between 0 and 1"):
        Faults.parse("503=2")
    with pytest.raises(ValueError, match="unknown rate-limit setting"):
        RatePolicy.parse("speed=3")


@pytest.fixture(scope="module")
def faulty() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig()) as server:
        yield server


def set_faults(server: SandboxServer, spec: str) -> None:
    httpx2.post(f"{server.url}/_sandbox/settings", json={"faults": spec}).raise_for_status()


def test_dropped_connections_reach_the_client_as_transport_errors(faulty: SandboxServer) -> None:
    set_faults(faulty, "drop=1")
    try:
        with pytest.raises(httpx2.TransportError):
            httpx2.get(f"{faulty.url}/v2/forum/boards", headers=CLIENT)
    finally:
        set_faults(faulty, "")
    assert httpx2.get(f"{faulty.url}/v2/forum/boards", headers=CLIENT).status_code == 200


def test_truncated_bodies_reach_the_client_as_incomplete_reads(faulty: SandboxServer) -> None:
    set_faults(faulty, "truncate=1")
    try:
        with pytest.raises(httpx2.RemoteProtocolError):
            httpx2.get(f"{faulty.url}/v2/forum/boards", headers=CLIENT)
    finally:
        set_faults(faulty, "")


def test_slow_responses_are_delayed(faulty: SandboxServer) -> None:
    set_faults(faulty, "slow=1,slow-seconds=0.3")
    try:
        started = time.monotonic()
        answer = httpx2.get(f"{faulty.url}/v2/forum/boards", headers=CLIENT)
        assert time.monotonic() - started >= 0.3
        assert answer.status_code == 200
        with pytest.raises(httpx2.ReadTimeout):
            httpx2.get(f"{faulty.url}/v2/forum/boards", headers=CLIENT, timeout=0.1)
    finally:
        set_faults(faulty, "")
