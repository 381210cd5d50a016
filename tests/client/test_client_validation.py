"""Obviously bad input fails at the call, with a message naming the argument, and nothing is
sent: the transport below refuses to carry any request at all."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest

from malclient import ConfigError, InvalidArgument
from malclient.client import AsyncClient, Client
from malclient.sandbox import WEB_APP
from malclient.sandbox.server import SandboxServer
from malclient.session import MemoryTokenStore
from tokens_support import sandbox_config, sign_in

SENT: list[httpx2.Request] = []


def refuse(request: httpx2.Request) -> httpx2.Response:
    SENT.append(request)
    raise AssertionError(f"a request was sent: {request.method} {request.url}")


@pytest.fixture
def client() -> Iterator[Client]:
    SENT.clear()
    http = httpx2.Client(transport=httpx2.MockTransport(refuse))
    with Client(WEB_APP.client_id, api_url="https://api.example/v2", http=http) as client:
        yield client
    assert SENT == []


@pytest.fixture(scope="module")
def signed_in() -> Iterator[Client]:
    """A signed-in client whose API requests all fail: only its checks can answer."""
    with SandboxServer(sandbox_config()) as sandbox:
        token = sign_in(sandbox.url)
    http = httpx2.Client(transport=httpx2.MockTransport(refuse))
    with Client(
        WEB_APP.client_id,
        client_secret=WEB_APP.client_secret,
        token_store=MemoryTokenStore(token),
        api_url="https://api.example/v2",
        http=http,
    ) as client:
        yield client


BAD_CALLS: list[tuple[str, Callable[[Client], Any], type[Exception], str]] = [
    ("empty query", lambda c: c.anime.search(""), InvalidArgument, r"anime\.search: q is empty"),
    ("blank query", lambda c: c.manga.search("   "), InvalidArgument, "q is empty"),
    ("short query", lambda c: c.anime.search("ab"), InvalidArgument, "3 to 64 characters"),
    ("long query", lambda c: c.anime.search("x" * 65), InvalidArgument, "not 65"),
    ("query type", lambda c: c.anime.search(123), TypeError, "q must be text"),
    ("limit above max", lambda c: c.anime.search("abc", limit=101), InvalidArgument, "1 to 100"),
    ("ranking limit", lambda c: c.anime.ranking(limit=501), InvalidArgument, "1 to 500"),
    ("list limit", lambda c: c.animelist.list("bob", limit=1001), InvalidArgument, "1 to 1000"),
    ("zero limit", lambda c: c.forum.topics(q="abc", limit=0), InvalidArgument, "1 to 100"),
    ("negative offset", lambda c: c.anime.search("abc", offset=-1), InvalidArgument, "negative"),
    ("ranking type", lambda c: c.anime.ranking("ona"), InvalidArgument, "ranking_type must be"),
    ("manga ranking", lambda c: c.manga.ranking("tv"), InvalidArgument, "novels"),
    ("season", lambda c: c.anime.seasonal(2024, "autumn"), InvalidArgument, "winter, spring"),
    ("year", lambda c: c.anime.seasonal(24, "fall"), InvalidArgument, "four-digit year"),
    ("season sort", lambda c: c.anime.seasonal(2024, "fall", sort="x"), InvalidArgument, "sort"),
    (
        "list status",
        lambda c: c.animelist.list("bob", status="reading"),
        InvalidArgument,
        "watching",
    ),
    ("list sort", lambda c: c.mangalist.list("bob", sort="anime_title"), InvalidArgument, "manga_"),
    ("user name", lambda c: c.animelist.list(" "), InvalidArgument, "user name"),
    ("id zero", lambda c: c.anime.get(0), InvalidArgument, "positive id"),
    ("id text", lambda c: c.manga.get("12"), TypeError, "whole number"),
    ("id bool", lambda c: c.anime.get(True), TypeError, "whole number"),
    ("field typo", lambda c: c.anime.get(1, fields="synopsys"), InvalidArgument, "Did you mean"),
    ("manga field", lambda c: c.anime.get(1, fields=["num_chapters"]), InvalidArgument, "anime"),
    ("nsfw type", lambda c: c.anime.search("abc", nsfw="yes"), TypeError, "True or False"),
    ("forum scope", lambda c: c.forum.topics(), InvalidArgument, "board_id, subboard_id, q"),
    ("topic id", lambda c: c.forum.topic(-3), InvalidArgument, "positive id"),
]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [case[1:] for case in BAD_CALLS],
    ids=[case[0] for case in BAD_CALLS],
)
def test_bad_input_fails_before_any_request(
    client: Client, call: Callable[[Client], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call(client)


BAD_WRITES: list[tuple[str, Callable[[Client], Any], type[Exception], str]] = [
    (
        "score",
        lambda c: c.animelist.update(1, score=11),
        InvalidArgument,
        "score must be from 0 to 10",
    ),
    ("status", lambda c: c.animelist.update(1, status="reading"), InvalidArgument, "plan_to_watch"),
    (
        "manga status",
        lambda c: c.mangalist.update(1, status="watching"),
        InvalidArgument,
        "reading",
    ),
    ("episodes", lambda c: c.animelist.update(1, num_episodes_watched=-1), InvalidArgument, "0 or"),
    ("tag comma", lambda c: c.animelist.update(1, tags=["a,b"]), InvalidArgument, "comma"),
    ("date", lambda c: c.animelist.update(1, start_date="03/05/2024"), InvalidArgument, "YYYY"),
    ("priority", lambda c: c.mangalist.update(1, priority=3), InvalidArgument, "0 to 2"),
    ("progress", lambda c: c.animelist.progress(1, -2), InvalidArgument, "negative"),
    ("chapters", lambda c: c.mangalist.progress(1), TypeError, "say how far"),
    (
        "complete date",
        lambda c: c.animelist.complete(1, finish_date="soon"),
        InvalidArgument,
        "date",
    ),
    ("delete id", lambda c: c.animelist.delete(0), InvalidArgument, "positive id"),
]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [case[1:] for case in BAD_WRITES],
    ids=[case[0] for case in BAD_WRITES],
)
def test_bad_list_writes_fail_before_any_request(
    signed_in: Client, call: Callable[[Client], Any], error: type[Exception], message: str
) -> None:
    SENT.clear()
    with pytest.raises(error, match=message):
        call(signed_in)
    assert SENT == []


def test_async_methods_check_their_arguments_at_the_call_too() -> None:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(refuse))
    client = AsyncClient(WEB_APP.client_id, api_url="https://api.example/v2", http=http)
    # A list method checks before returning its pager, so the error points at this line.
    with pytest.raises(ValueError, match="3 to 64"):
        client.anime.search("ab")

    async def details() -> None:
        async with client:
            with pytest.raises(ValueError, match="positive id"):
                await client.anime.get(-1)
            with pytest.raises(ConfigError, match="signed-in user"):
                await client.animelist.update(1, score=3)

    asyncio.run(details())
    assert SENT == []
