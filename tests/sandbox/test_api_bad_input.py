"""Bad input never crashes the sandbox: each gets a MAL-shaped 4xx (or the normal answer).

Requests go straight into the ASGI app, so bytes an HTTP client would refuse to send (bad
escapes, 100 KB query strings, non-UTF-8 bodies) reach the API as they would reach MAL.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from malclient.sandbox import WEB_APP, SandboxApp

CLIENT = (b"x-mal-client-id", WEB_APP.client_id.encode())


def call(
    app: SandboxApp,
    method: str,
    path: str,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
) -> tuple[int, dict[bytes, bytes], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"sandbox.test"), *(headers if headers is not None else [CLIENT])],
        "client": ("127.0.0.1", 50000),
        "server": ("sandbox.test", 80),
    }
    messages: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in messages if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), content


def bearer(app: SandboxApp) -> list[tuple[bytes, bytes]]:
    account = app.sandbox.catalogue.users["alice"].account
    token = app.sandbox.tokens.issue(WEB_APP.client_id, account.name, account.id)[0]
    return [(b"authorization", f"Bearer {token.value}".encode())]


def assert_mal_error(status: int, headers: dict[bytes, bytes], content: bytes, code: int) -> None:
    assert status == code, content
    assert headers[b"content-type"] == b"application/json; charset=UTF-8"
    body = json.loads(content)
    assert isinstance(body["error"], str)


@pytest.mark.parametrize(
    "query",
    [
        b"q=%zz%zz%zz",
        b"&&&q=hello&&",
        b"=&=&q=hello",
        b"q=hello&%zz=1&fields=%ff%fe",
        b"q=hello&limit",
        b"q=hel%00lo",
        b"q=%E3%81%82%E3%81%84%E3%81%86",
        b"q=\xff\xfe\xfd",
        b"q[]=hello",
    ],
)
def test_malformed_query_strings_get_an_answer(app: SandboxApp, query: bytes) -> None:
    status, headers, content = call(app, "GET", "/v2/anime", query)
    if status == 200:
        body = json.loads(content)
        assert set(body) == {"data", "paging"}
    else:
        assert_mal_error(status, headers, content, 400)


def test_a_name_without_a_value_counts_as_sent_empty(app: SandboxApp) -> None:
    # `limit` with no `=` is an empty limit, which is not a valid one.
    status, _, content = call(app, "GET", "/v2/anime", b"q=hello&limit")
    assert status == 400
    assert content == b'{"message":"invalid limit","error":"bad_request"}'


def test_a_100_kb_fields_value_is_answered_quickly(app: SandboxApp) -> None:
    fields = ",".join(["rank", "popularity", "nonsense{a,b{c}}"] * 6000)[:100_000]
    started = time.perf_counter()
    status, _, content = call(
        app, "GET", "/v2/anime/ranking", f"ranking_type=all&limit=100&fields={fields}".encode()
    )
    assert time.perf_counter() - started < 2.0
    assert status == 200
    node = json.loads(content)["data"][0]["node"]
    assert list(node)[-2:] == ["rank", "popularity"]


def test_ten_thousand_nested_braces_are_answered(app: SandboxApp) -> None:
    record_id = next(iter(app.sandbox.catalogue.anime))
    fields = "related_anime" + "{related_anime" * 10_000 + "}" * 10_000 + ",popularity"
    status, _, content = call(app, "GET", f"/v2/anime/{record_id}", f"fields={fields}".encode())
    assert status == 200
    assert "popularity" in json.loads(content)


@pytest.mark.parametrize(
    "body",
    [
        b"comments=\xff\xfe\xfa&score=5",
        b"\x00\x01\x02",
        b"score=%zz",
        b"&&&==&",
        b"tags=a%ffb,c",
        b"x" * 200_000,
    ],
)
def test_bodies_that_are_not_utf8_or_not_forms_do_not_crash_a_write(
    app: SandboxApp, body: bytes
) -> None:
    record_id = next(iter(app.sandbox.catalogue.anime))
    headers = [*bearer(app), (b"content-type", b"application/x-www-form-urlencoded")]
    status, response_headers, content = call(
        app, "PATCH", f"/v2/anime/{record_id}/my_list_status", headers=headers, body=body
    )
    if status == 200:
        assert "status" in json.loads(content)
    else:
        assert_mal_error(status, response_headers, content, 400)


def test_non_utf8_comments_are_stored_with_replacement_characters(app: SandboxApp) -> None:
    record_id = next(iter(app.sandbox.catalogue.anime))
    headers = [*bearer(app), (b"content-type", b"application/x-www-form-urlencoded")]
    status, _, content = call(
        app,
        "PATCH",
        f"/v2/anime/{record_id}/my_list_status",
        headers=headers,
        body=b"comments=caf\xe9",
    )
    assert status == 200
    assert json.loads(content)["comments"] == "caf\ufffd"


@pytest.mark.parametrize(
    "path",
    ["/v2/nothing", "/v2/anime/1/2/3", "/v2/", "/v3/anime", "/v2/forum", "/v2/users/alice/friends"],
)
def test_unknown_paths_are_mal_shaped_404s(app: SandboxApp, path: str) -> None:
    status, headers, content = call(app, "GET", path)
    assert_mal_error(status, headers, content, 404)


@pytest.mark.parametrize(
    "path",
    ["/v2/anime/abc", "/v2/anime/-1", "/v2/anime/1.5", "/v2/manga/0x1", "/v2/forum/topic/abc"],
)
def test_ids_that_are_not_numbers_are_not_found(app: SandboxApp, path: str) -> None:
    status, _, content = call(app, "GET", path)
    assert status == 404
    assert content == b'{"message":"","error":"not_found"}'


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v2/anime"),
        ("DELETE", "/v2/anime/ranking"),
        ("POST", "/v2/anime/1/my_list_status"),
        ("GET", "/v2/anime/1/my_list_status"),
        ("PUT", "/v2/users/@me"),
        ("PATCH", "/v2/forum/boards"),
    ],
)
def test_wrong_methods_get_a_mal_shaped_error(app: SandboxApp, method: str, path: str) -> None:
    status, headers, content = call(app, method, path)
    assert_mal_error(status, headers, content, 405)
