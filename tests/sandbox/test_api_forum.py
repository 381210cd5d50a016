"""The forum (SPEC 4.11): boards, topic search with its filters, and topic pages with polls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from malclient.sandbox import WEB_APP, SandboxApp, SandboxConfig, create_app
from malclient.sandbox.catalogue import Forum, Record

CLIENT = {"X-MAL-CLIENT-ID": WEB_APP.client_id}
TOPIC_KEYS = {
    "id",
    "title",
    "created_at",
    "created_by",
    "number_of_posts",
    "last_post_created_at",
    "last_post_created_by",
    "is_locked",
}


@pytest.fixture(scope="module")
def shared_app() -> SandboxApp:
    return create_app(SandboxConfig())


@pytest.fixture(scope="module")
def forum(shared_app: SandboxApp) -> Forum:
    return shared_app.sandbox.catalogue.forum


@pytest.fixture(scope="module")
def reader(shared_app: SandboxApp) -> Iterator[TestClient]:
    with TestClient(shared_app, base_url="http://sandbox.test") as test_client:
        yield test_client


def get(client: TestClient, path: str) -> Any:
    response = client.get(path, headers=CLIENT)
    assert response.status_code == 200, response.text
    return response.json()


def all_topics(client: TestClient, query: str) -> list[Record]:
    found: list[Record] = []
    url: str | None = f"/v2/forum/topics?{query}&limit=100"
    while url:
        body = get(client, url.removeprefix("http://sandbox.test"))
        found += body["data"]
        url = body["paging"].get("next")
    return found


def test_boards_are_the_stored_categories(reader: TestClient, forum: Forum) -> None:
    assert get(reader, "/v2/forum/boards") == {"categories": forum.categories}


def test_topics_of_a_board_are_newest_activity_first(reader: TestClient, forum: Forum) -> None:
    board = next(iter(forum.topics.values()))["_board_id"]
    topics = all_topics(reader, f"board_id={board}")
    expected = {t["id"] for t in forum.topics.values() if t["_board_id"] == board}
    assert {t["id"] for t in topics} == expected
    latest = [t["last_post_created_at"] for t in topics]
    assert latest == sorted(latest, reverse=True)
    for topic in topics:
        assert set(topic) == TOPIC_KEYS  # no internal keys leak
        assert list(topic) == [k for k in forum.topics[topic["id"]] if not k.startswith("_")]


def test_topics_of_a_subboard(reader: TestClient, forum: Forum) -> None:
    subboard = next(t["_subboard_id"] for t in forum.topics.values() if t["_subboard_id"])
    topics = all_topics(reader, f"subboard_id={subboard}")
    assert topics
    assert all(forum.topics[t["id"]]["_subboard_id"] == subboard for t in topics)


def test_topic_search_matches_titles(reader: TestClient, forum: Forum) -> None:
    word = next(w for t in forum.topics.values() for w in t["title"].split() if len(w) > 4)
    topics = all_topics(reader, f"q={word.upper()}&sort=recent")
    assert topics
    assert all(word.casefold() in t["title"].casefold() for t in topics)
    assert len(topics) == sum(
        word.casefold() in t["title"].casefold() for t in forum.topics.values()
    )


def test_topic_filters_by_creator_and_by_poster(reader: TestClient, forum: Forum) -> None:
    topic = next(t for t in forum.topics.values() if len(t["_user_names"]) > 1)
    board = topic["_board_id"]
    creator = topic["created_by"]["name"]
    by_creator = all_topics(reader, f"board_id={board}&topic_user_name={creator}")
    assert topic["id"] in [t["id"] for t in by_creator]
    assert all(t["created_by"]["name"].lower() == creator.lower() for t in by_creator)
    poster = next(n for n in topic["_user_names"] if n != creator)
    by_poster = all_topics(reader, f"board_id={board}&user_name={poster}")
    assert topic["id"] in [t["id"] for t in by_poster]
    assert all(poster in forum.topics[t["id"]]["_user_names"] for t in by_poster)


def test_topics_without_board_subboard_or_q_time_out_like_mal(reader: TestClient) -> None:
    # SPEC 4.11: MAL hangs and its gateway answers 504; the sandbox answers that page at once.
    for query in ("", "?limit=5", "?q=", "?topic_user_name=someone", "?sort=recent"):
        response = reader.get(f"/v2/forum/topics{query}", headers=CLIENT)
        assert response.status_code == 504
        assert response.headers["content-type"].startswith("text/html")
        assert b"504 Gateway Time-out" in response.content


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("board_id=abc", "invalid board_id"),
        ("subboard_id=-1", "invalid subboard_id"),
        ("q=jojo&sort=oldest", "invalid sort"),
        ("q=jojo&limit=101", "invalid limit"),
    ],
)
def test_bad_topic_filters_are_refused(reader: TestClient, query: str, message: str) -> None:
    response = reader.get(f"/v2/forum/topics?{query}", headers=CLIENT)
    assert response.status_code == 400
    assert response.json() == {"message": message, "error": "bad_request"}


def test_a_topic_page_lists_posts_oldest_first_with_its_poll(
    reader: TestClient, forum: Forum
) -> None:
    topic_id = next(t for t in forum.topics if t in forum.polls and len(forum.posts[t]) > 3)
    body = get(reader, f"/v2/forum/topic/{topic_id}?limit=2&offset=1")
    assert list(body) == ["data", "paging"]
    assert list(body["data"]) == ["title", "posts", "poll"]
    assert body["data"]["title"] == forum.topics[topic_id]["title"]
    assert body["data"]["posts"] == forum.posts[topic_id][1:3]
    assert body["data"]["poll"] == forum.polls[topic_id]
    assert set(body["paging"]) == {"previous", "next"}
    assert (
        body["paging"]["next"] == f"http://sandbox.test/v2/forum/topic/{topic_id}?offset=3&limit=2"
    )


def test_a_topic_without_a_poll_has_poll_null(reader: TestClient, forum: Forum) -> None:
    topic_id = next(t for t in forum.topics if t not in forum.polls)
    assert get(reader, f"/v2/forum/topic/{topic_id}")["data"]["poll"] is None


def test_a_topic_page_holds_up_to_100_posts_by_default(reader: TestClient, forum: Forum) -> None:
    topic_id = max(forum.posts, key=lambda t: len(forum.posts[t]))
    body = get(reader, f"/v2/forum/topic/{topic_id}")
    assert len(body["data"]["posts"]) == min(100, len(forum.posts[topic_id]))


def test_an_unknown_topic_is_not_found(reader: TestClient, forum: Forum) -> None:
    response = reader.get(f"/v2/forum/topic/{max(forum.topics) + 1}", headers=CLIENT)
    assert response.status_code == 404
    assert response.content == b'{"message":"","error":"not_found"}'
