"""List writes (SPEC 4.6, 4.7, 5.3, 5.4): what PATCH/PUT store and answer, and DELETE's rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from malclient.sandbox import WEB_APP, SandboxApp, SandboxConfig
from malclient.sandbox.catalogue import Record

START = 1_700_000_000.0  # 2023-11-14T22:13:20+00:00
ANIME_KEYS = [
    "status",
    "score",
    "num_episodes_watched",
    "is_rewatching",
    "updated_at",
    "priority",
    "num_times_rewatched",
    "rewatch_value",
    "tags",
    "comments",
]
MANGA_KEYS = [
    "status",
    "is_rereading",
    "num_volumes_read",
    "num_chapters_read",
    "score",
    "updated_at",
    "priority",
    "num_times_reread",
    "reread_value",
    "tags",
    "comments",
]


@pytest.fixture
def config() -> SandboxConfig:
    return SandboxConfig(clock_start=START)


@pytest.fixture
def user(app: SandboxApp) -> dict[str, str]:
    account = app.sandbox.catalogue.users["alice"].account
    token = app.sandbox.tokens.issue(WEB_APP.client_id, account.name, account.id)[0]
    return {"Authorization": f"Bearer {token.value}"}


def anime_off_list(app: SandboxApp, test: Any = lambda r: True) -> Record:
    alice = app.sandbox.catalogue.users["alice"]
    return next(
        r
        for r in app.sandbox.catalogue.anime.values()
        if r["id"] not in alice.animelist and r.get("_approved", True) and test(r)
    )


def write(
    client: TestClient,
    headers: dict[str, str],
    record_id: int,
    form: dict[str, str] | None = None,
    kind: str = "anime",
    method: str = "PATCH",
) -> Any:
    path = f"/v2/{kind}/{record_id}/my_list_status"
    return client.request(method, path, headers=headers, data=form or {})


def stored(app: SandboxApp, record_id: int, kind: str = "anime") -> Record | None:
    alice = app.sandbox.catalogue.users["alice"]
    return (alice.animelist if kind == "anime" else alice.mangalist).get(record_id)


def bad_request(message: str) -> bytes:
    return b'{"message":"' + message.encode() + b'","error":"bad_request"}'


# --- creating and updating ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_a_write_adds_a_title_that_is_not_on_the_list(
    app: SandboxApp, client: TestClient, user: dict[str, str], method: str
) -> None:
    record = anime_off_list(app)
    response = write(client, user, record["id"], {"status": "watching"}, method=method)
    assert response.status_code == 200  # 200, not 201 (SPEC 4.6)
    body = response.json()
    assert list(body) == ANIME_KEYS
    assert body["status"] == "watching"
    assert body["updated_at"] == "2023-11-14T22:13:20+00:00"
    assert stored(app, record["id"]) == body


def test_a_new_entry_without_a_status_is_plan_to_watch(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    body = write(client, user, anime_off_list(app)["id"], {"score": "6"}).json()
    assert body["status"] == "plan_to_watch"
    assert body["score"] == 6
    assert body["num_episodes_watched"] == 0


def test_a_write_changes_only_what_was_sent(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    record_id, before = next(iter(app.sandbox.catalogue.users["alice"].animelist.items()))
    before = dict(before)
    app.sandbox.clock.advance(90)
    body = write(client, user, record_id, {"comments": "rewatch soon"}).json()
    changed = {k for k in body if body[k] != before.get(k)}
    assert changed == {"comments", "updated_at"}
    assert body["updated_at"] == "2023-11-14T22:14:50+00:00"


def test_an_empty_write_only_touches_updated_at(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    record_id, before = next(iter(app.sandbox.catalogue.users["alice"].animelist.items()))
    before = dict(before)
    app.sandbox.clock.advance(1)
    body = write(client, user, record_id).json()
    assert {k: v for k, v in body.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert body["updated_at"] != before["updated_at"]


def test_the_answer_is_the_whole_status_in_mals_key_order(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    form = {
        "comments": "c",
        "tags": "foo, bar,,baz",
        "finish_date": "2024-02-01",
        "start_date": "2024-01-02",
        "rewatch_value": "5",
        "num_times_rewatched": "2",
        "priority": "2",
        "is_rewatching": "true",
        "score": "10",
        "status": "completed",
    }
    body = write(client, user, anime_off_list(app)["id"], form).json()
    assert body == {
        "status": "completed",
        "score": 10,
        "num_episodes_watched": 0,
        "is_rewatching": True,
        "updated_at": "2023-11-14T22:13:20+00:00",
        "start_date": "2024-01-02",
        "finish_date": "2024-02-01",
        "priority": 2,
        "num_times_rewatched": 2,
        "rewatch_value": 5,
        "tags": ["foo", "bar", "baz"],
        "comments": "c",
    }
    assert list(body) == list(
        dict.fromkeys([*ANIME_KEYS[:5], "start_date", "finish_date", *ANIME_KEYS[5:]])
    )


def test_mal_adds_no_consistency_of_its_own(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    record = anime_off_list(app, lambda r: r.get("num_episodes", 0) > 1)
    total = str(record["num_episodes"])
    body = write(client, user, record["id"], {"num_watched_episodes": total}).json()
    assert body["status"] == "plan_to_watch"  # all watched, still planned
    assert "finish_date" not in body
    body = write(client, user, record["id"], {"status": "completed", "num_watched_episodes": "0"})
    assert body.json()["num_episodes_watched"] == 0
    assert "start_date" not in body.json()


# --- field rules ----------------------------------------------------------------------------------


def test_the_form_name_for_progress_is_num_watched_episodes(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    record = anime_off_list(app, lambda r: r.get("num_episodes", 0) > 3)
    body = write(client, user, record["id"], {"num_watched_episodes": "2"}).json()
    assert body["num_episodes_watched"] == 2
    # The response name is silently ignored: 200, unchanged (SPEC 5.3).
    response = write(client, user, record["id"], {"num_episodes_watched": "3"})
    assert response.status_code == 200
    assert response.json()["num_episodes_watched"] == 2


def test_progress_is_clamped_to_the_episode_count(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    record = anime_off_list(app, lambda r: r.get("num_episodes", 0) > 0)
    total = record["num_episodes"]
    for sent, kept in (("500", total), (str(total + 1), total), ("-1", 0), ("0", 0)):
        body = write(client, user, record["id"], {"num_watched_episodes": sent}).json()
        assert body["num_episodes_watched"] == kept, sent


def test_progress_is_unbounded_while_the_episode_count_is_unknown(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    record = anime_off_list(app, lambda r: r.get("num_episodes") == 0)
    body = write(client, user, record["id"], {"num_watched_episodes": "5000"}).json()
    assert body["num_episodes_watched"] == 5000


@pytest.mark.parametrize("sent", ["abc", "1.5", "", " 3", "1e3"])
def test_progress_must_be_an_integer(
    app: SandboxApp, client: TestClient, user: dict[str, str], sent: str
) -> None:
    record_id = anime_off_list(app)["id"]
    response = write(client, user, record_id, {"num_watched_episodes": sent})
    assert response.status_code == 400
    assert response.content == bad_request("invalid num_watched_episodes")
    assert stored(app, record_id) is None  # nothing was written


@pytest.mark.parametrize(
    ("sent", "kept"), [("0", 0), ("10", 10), ("7.5", 8), ("7.4", 7), ("8.5", 9)]
)
def test_scores_are_rounded_half_up(
    app: SandboxApp, client: TestClient, user: dict[str, str], sent: str, kept: int
) -> None:
    body = write(client, user, anime_off_list(app)["id"], {"score": sent}).json()
    assert body["score"] == kept


@pytest.mark.parametrize("sent", ["11", "-1", "10.6", "abc", "", "nan", "inf"])
def test_scores_outside_0_to_10_are_refused(
    app: SandboxApp, client: TestClient, user: dict[str, str], sent: str
) -> None:
    response = write(client, user, anime_off_list(app)["id"], {"score": sent})
    assert response.status_code == 400
    assert response.content == bad_request("invalid score")


@pytest.mark.parametrize("sent", ["watching", "completed", "on_hold", "dropped", "plan_to_watch"])
def test_every_anime_status_is_accepted(
    app: SandboxApp, client: TestClient, user: dict[str, str], sent: str
) -> None:
    assert write(client, user, anime_off_list(app)["id"], {"status": sent}).json()["status"] == sent


@pytest.mark.parametrize("sent", ["bogus", "reading", "Watching", ""])
def test_other_statuses_are_refused(
    app: SandboxApp, client: TestClient, user: dict[str, str], sent: str
) -> None:
    response = write(client, user, anime_off_list(app)["id"], {"status": sent})
    assert response.status_code == 400
    assert response.content == bad_request("invalid status")


@pytest.mark.parametrize(
    ("field", "sent"),
    [
        ("priority", "3"),
        ("priority", "-1"),
        ("rewatch_value", "6"),
        ("num_times_rewatched", "-2"),
        ("num_times_rewatched", "x"),
        ("is_rewatching", "maybe"),
    ],
)
def test_other_fields_are_range_checked(
    app: SandboxApp, client: TestClient, user: dict[str, str], field: str, sent: str
) -> None:
    response = write(client, user, anime_off_list(app)["id"], {field: sent})
    assert response.status_code == 400
    assert response.content == bad_request(f"invalid {field}")


@pytest.mark.parametrize(
    ("sent", "kept"), [("true", True), ("1", True), ("false", False), ("0", False)]
)
def test_rewatching_takes_true_and_false(
    app: SandboxApp, client: TestClient, user: dict[str, str], sent: str, kept: bool
) -> None:
    body = write(client, user, anime_off_list(app)["id"], {"is_rewatching": sent}).json()
    assert body["is_rewatching"] is kept


def test_tags_are_sent_comma_separated_and_answered_as_a_list(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    record_id = anime_off_list(app)["id"]
    assert write(client, user, record_id, {"tags": "foo,bar"}).json()["tags"] == ["foo", "bar"]
    assert write(client, user, record_id, {"tags": ""}).json()["tags"] == []


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("2024-03-05", "2024-03-05"),
        ("2024-03", "2024-03"),
        ("2024", "2024"),
        ("2024-03-00", "2024-03"),
        ("2024-00-00", "2024"),
        ("2024-02-29", "2024-02-29"),
    ],
)
@pytest.mark.parametrize("field", ["start_date", "finish_date"])
def test_full_and_partial_dates_are_stored(
    app: SandboxApp, client: TestClient, user: dict[str, str], field: str, sent: str, kept: str
) -> None:
    body = write(client, user, anime_off_list(app)["id"], {field: sent}).json()
    assert body[field] == kept


@pytest.mark.parametrize("sent", ["", "0000-00-00", "2023-02-29", "2024-13-01", "2024-04-31"])
def test_empty_zero_and_impossible_dates_clear_silently(
    app: SandboxApp, client: TestClient, user: dict[str, str], sent: str
) -> None:
    record_id = anime_off_list(app)["id"]
    write(client, user, record_id, {"start_date": "2020-01-01", "finish_date": "2020-02-02"})
    response = write(client, user, record_id, {"start_date": sent})
    assert response.status_code == 200
    assert "start_date" not in response.json()  # absent, not null (SPEC 3.5)
    assert response.json()["finish_date"] == "2020-02-02"


@pytest.mark.parametrize("sent", ["03/05/2024", "null", "2024-3-5", "2024-03-05T00:00:00", "24"])
def test_unreadable_dates_are_refused_without_a_message(
    app: SandboxApp, client: TestClient, user: dict[str, str], sent: str
) -> None:
    record_id = anime_off_list(app)["id"]
    before = write(client, user, record_id, {"start_date": "2020-01-01"}).json()
    response = write(client, user, record_id, {"start_date": sent, "score": "5"})
    assert response.status_code == 400
    assert response.content == b'{"error":"bad_request"}'
    assert stored(app, record_id) == before  # the score was not written either


def test_leaving_a_date_out_keeps_it(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    record_id = anime_off_list(app)["id"]
    write(client, user, record_id, {"start_date": "2021-06"})
    assert write(client, user, record_id, {"score": "4"}).json()["start_date"] == "2021-06"


# --- refusals -------------------------------------------------------------------------------------


def test_an_unknown_title_is_not_found(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    missing = max(app.sandbox.catalogue.anime) + 1
    response = write(client, user, missing, {"status": "watching"})
    assert response.status_code == 404
    assert response.content == b'{"message":"","error":"not_found"}'


def test_an_unapproved_title_cannot_be_added(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    hidden = next(r for r in app.sandbox.catalogue.anime.values() if not r.get("_approved", True))
    response = write(client, user, hidden["id"], {"status": "watching"})
    assert response.status_code == 400
    assert response.content == b'{"message":"Invalid content","error":"invalid_content"}'
    assert stored(app, hidden["id"]) is None


def test_a_json_body_is_refused(app: SandboxApp, client: TestClient, user: dict[str, str]) -> None:
    record_id = anime_off_list(app)["id"]
    response = client.patch(
        f"/v2/anime/{record_id}/my_list_status", headers=user, json={"status": "watching"}
    )
    assert response.status_code == 400
    assert response.content == b'{"error":"bad_request"}'
    assert stored(app, record_id) is None


def test_a_form_without_a_content_type_is_still_read(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    record_id = anime_off_list(app)["id"]
    response = client.patch(
        f"/v2/anime/{record_id}/my_list_status", headers=user, content=b"status=dropped"
    )
    assert response.json()["status"] == "dropped"


def test_the_write_is_seen_by_later_reads(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    record_id = anime_off_list(app)["id"]
    written = write(client, user, record_id, {"status": "on_hold", "score": "9"}).json()
    details = client.get(f"/v2/anime/{record_id}?fields=my_list_status", headers=user).json()
    assert details["my_list_status"] == written
    listed = client.get(
        "/v2/users/@me/animelist?status=on_hold&limit=1000&nsfw=true&fields=list_status",
        headers=user,
    ).json()
    assert record_id in [edge["node"]["id"] for edge in listed["data"]]


# --- manga ----------------------------------------------------------------------------------------


def manga_off_list(app: SandboxApp, test: Any = lambda r: True) -> Record:
    alice = app.sandbox.catalogue.users["alice"]
    return next(
        r
        for r in app.sandbox.catalogue.manga.values()
        if r["id"] not in alice.mangalist and r.get("_approved", True) and test(r)
    )


def test_manga_writes_use_manga_names(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    record = manga_off_list(
        app, lambda r: r.get("num_volumes", 0) > 1 and r.get("num_chapters", 0) > 1
    )
    form = {
        "status": "reading",
        "is_rereading": "false",
        "num_volumes_read": "1",
        "num_chapters_read": str(record["num_chapters"] + 5),
        "num_times_reread": "1",
        "reread_value": "3",
        "score": "7",
    }
    response = write(client, user, record["id"], form, kind="manga", method="PUT")
    body = response.json()
    assert list(body) == MANGA_KEYS
    assert body["num_volumes_read"] == 1
    assert body["num_chapters_read"] == record["num_chapters"]  # clamped like episodes
    assert body["num_times_reread"] == 1
    assert body["reread_value"] == 3


def test_manga_statuses_are_their_own(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    record_id = manga_off_list(app)["id"]
    assert write(client, user, record_id, {}, kind="manga").json()["status"] == "plan_to_read"
    response = write(client, user, record_id, {"status": "watching"}, kind="manga")
    assert response.content == bad_request("invalid status")


# --- deleting -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["anime", "manga"])
def test_deleting_an_entry_answers_an_empty_list(
    app: SandboxApp, client: TestClient, user: dict[str, str], kind: str
) -> None:
    alice = app.sandbox.catalogue.users["alice"]
    own = alice.animelist if kind == "anime" else alice.mangalist
    record_id = next(iter(own))
    response = client.delete(f"/v2/{kind}/{record_id}/my_list_status", headers=user)
    assert response.status_code == 200
    assert response.content == b"[]"
    assert record_id not in own


def test_deleting_what_is_not_on_the_list_is_not_found(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    record_id = anime_off_list(app)["id"]
    response = client.delete(f"/v2/anime/{record_id}/my_list_status", headers=user)
    assert response.status_code == 404
    assert response.content == b'{"message":"","error":"not_found"}'


def test_deleting_what_is_not_on_the_list_can_be_made_a_200(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    # SPEC 4.7 Conflict: a 2026 probe saw 200; the switch can be flipped while running.
    app.sandbox.delete_absent_ok = True
    record_id = anime_off_list(app)["id"]
    response = client.delete(f"/v2/anime/{record_id}/my_list_status", headers=user)
    assert response.status_code == 200
    assert response.content == b"[]"


def test_deleting_an_unknown_title_is_not_found_even_when_lenient(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    app.sandbox.delete_absent_ok = True
    missing = max(app.sandbox.catalogue.anime) + 1
    assert client.delete(f"/v2/anime/{missing}/my_list_status", headers=user).status_code == 404


def test_writes_touch_only_the_token_holders_list(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    bob = app.sandbox.catalogue.users["bob"]
    before = dict(bob.animelist)
    record_id = anime_off_list(app, lambda r: r["id"] not in bob.animelist)["id"]
    write(client, user, record_id, {"status": "watching"})
    assert bob.animelist == before


def test_updated_at_is_utc_from_the_sandbox_clock(
    app: SandboxApp, client: TestClient, user: dict[str, str]
) -> None:
    app.sandbox.clock.advance(86400 * 20)
    body = write(client, user, anime_off_list(app)["id"]).json()
    expected = datetime.fromtimestamp(START + 86400 * 20, UTC).isoformat()
    assert body["updated_at"] == expected
