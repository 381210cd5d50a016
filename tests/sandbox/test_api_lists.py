"""Users' lists and profile (SPEC 4.8-4.10): list_status edges, filters, orders, /users/@me."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from malclient.sandbox import WEB_APP, SandboxApp
from malclient.sandbox.catalogue import UserData

CLIENT = {"X-MAL-CLIENT-ID": WEB_APP.client_id}
ANIME_DEFAULT = ["status", "score", "num_episodes_watched", "is_rewatching", "updated_at"]
MANGA_DEFAULT = [
    "status",
    "is_rereading",
    "num_volumes_read",
    "num_chapters_read",
    "score",
    "updated_at",
]


def bearer(app: SandboxApp, user: str = "alice") -> dict[str, str]:
    account = app.sandbox.catalogue.users[user].account
    token = app.sandbox.tokens.issue(WEB_APP.client_id, account.name, account.id)[0]
    return {"Authorization": f"Bearer {token.value}"}


def get(client: TestClient, path: str, headers: dict[str, str] | None = None) -> Any:
    response = client.get(path, headers=headers or CLIENT)
    assert response.status_code == 200, response.text
    return response.json()


def busiest(app: SandboxApp) -> UserData:
    """The user with the longest anime list that still fits on one 1,000-entry page."""
    users = app.sandbox.catalogue.users.values()
    return max((u for u in users if len(u.animelist) <= 1000), key=lambda u: len(u.animelist))


def everything(client: TestClient, path: str, headers: dict[str, str] | None = None) -> list[Any]:
    separator = "&" if "?" in path else "?"
    return list(get(client, f"{path}{separator}limit=1000&nsfw=true", headers)["data"])


# --- list_status on edges -------------------------------------------------------------------------


def test_list_status_appears_only_when_asked(app: SandboxApp, client: TestClient) -> None:
    user = busiest(app).account.name
    for edge in get(client, f"/v2/users/{user}/animelist")["data"]:
        assert list(edge) == ["node"]
    for edge in get(client, f"/v2/users/{user}/animelist?fields=list_status")["data"]:
        assert list(edge) == ["node", "list_status"]


def test_list_status_has_the_default_keys_and_dates_when_set(
    app: SandboxApp, client: TestClient
) -> None:
    user = busiest(app)
    edges = everything(client, f"/v2/users/{user.account.name}/animelist?fields=list_status")
    assert len(edges) == len(user.animelist)
    for edge in edges:
        stored = user.animelist[edge["node"]["id"]]
        dates = [d for d in ("start_date", "finish_date") if d in stored]
        assert list(edge["list_status"]) == [*ANIME_DEFAULT, *dates]
        assert all(edge["list_status"][k] == stored[k] for k in edge["list_status"])


def test_list_status_braces_add_the_extras_in_the_order_named(
    app: SandboxApp, client: TestClient
) -> None:
    user = busiest(app).account.name
    path = f"/v2/users/{user}/animelist?fields=list_status{{comments, tags,priority,status}}"
    for edge in get(client, path)["data"]:
        keys = list(edge["list_status"])
        assert keys[:5] == ANIME_DEFAULT
        assert keys[-3:] == ["comments", "tags", "priority"]


def test_manga_list_status_uses_manga_keys(app: SandboxApp, client: TestClient) -> None:
    user = busiest(app)
    assert user.mangalist
    path = f"/v2/users/{user.account.name}/mangalist?fields=list_status{{num_times_reread}}"
    for edge in everything(client, path):
        stored = user.mangalist[edge["node"]["id"]]
        dates = [d for d in ("start_date", "finish_date") if d in stored]
        assert list(edge["list_status"]) == [*MANGA_DEFAULT, *dates, "num_times_reread"]


def test_my_list_status_on_a_user_list_is_the_viewers_own(
    app: SandboxApp, client: TestClient
) -> None:
    # `list_status` is the list owner's; my_list_status inside the node is the token holder's.
    bob = app.sandbox.catalogue.users["bob"]
    path = "/v2/users/alice/animelist?fields=list_status,my_list_status"
    for edge in everything(client, path, bearer(app, "bob")):
        assert edge["node"].get("my_list_status") == bob.animelist.get(edge["node"]["id"])


# --- who, which, in what order --------------------------------------------------------------------


def test_at_me_is_the_token_holders_list(app: SandboxApp, client: TestClient) -> None:
    for name in ("alice", "bob"):
        mine = everything(client, "/v2/users/@me/animelist", bearer(app, name))
        theirs = everything(client, f"/v2/users/{name}/animelist")
        assert mine == theirs


def test_user_names_are_case_insensitive(app: SandboxApp, client: TestClient) -> None:
    assert everything(client, "/v2/users/ALICE/animelist") == everything(
        client, "/v2/users/alice/animelist"
    )


def test_an_unknown_user_is_not_found(client: TestClient) -> None:
    response = client.get("/v2/users/nobody-here/animelist", headers=CLIENT)
    assert response.status_code == 404
    assert response.content == b'{"message":"","error":"not_found"}'


def test_user_lists_hide_nsfw_titles_unless_asked(app: SandboxApp, client: TestClient) -> None:
    catalogue = app.sandbox.catalogue
    user = busiest(app)
    assert any(catalogue.anime[i].get("nsfw") != "white" for i in user.animelist)
    name = user.account.name
    hidden = get(client, f"/v2/users/{name}/animelist?limit=1000")["data"]
    shown = get(client, f"/v2/users/{name}/animelist?limit=1000&nsfw=true")["data"]
    assert all(catalogue.anime[e["node"]["id"]]["nsfw"] == "white" for e in hidden)
    assert len(shown) == len(user.animelist) > len(hidden)


@pytest.mark.parametrize("status", ["watching", "completed", "on_hold", "dropped", "plan_to_watch"])
def test_status_filters_the_list(app: SandboxApp, client: TestClient, status: str) -> None:
    user = busiest(app)
    path = f"/v2/users/{user.account.name}/animelist?status={status}&fields=list_status"
    edges = everything(client, path)
    assert {e["list_status"]["status"] for e in edges} <= {status}
    assert len(edges) == sum(s["status"] == status for s in user.animelist.values())


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/v2/users/alice/animelist?status=reading", "invalid status"),
        ("/v2/users/alice/mangalist?status=watching", "invalid status"),
        ("/v2/users/alice/animelist?sort=manga_title", "invalid sort"),
        ("/v2/users/alice/mangalist?sort=anime_id", "invalid sort"),
        ("/v2/users/alice/animelist?sort=", "invalid sort"),
    ],
)
def test_bad_filters_are_refused(client: TestClient, path: str, message: str) -> None:
    response = client.get(path, headers=CLIENT)
    assert response.status_code == 400
    assert response.json() == {"message": message, "error": "bad_request"}


def test_default_order_is_by_title(app: SandboxApp, client: TestClient) -> None:
    user = busiest(app).account.name
    titles = [e["node"]["title"] for e in everything(client, f"/v2/users/{user}/animelist")]
    assert titles == sorted(titles, key=str.casefold)
    by_sort = everything(client, f"/v2/users/{user}/animelist?sort=anime_title")
    assert [e["node"]["title"] for e in by_sort] == titles


def test_list_sorts(app: SandboxApp, client: TestClient) -> None:
    user = busiest(app).account.name
    base = f"/v2/users/{user}/animelist?fields=list_status,start_date"

    def column(sort: str, pick: Any) -> list[Any]:
        return [pick(edge) for edge in everything(client, f"{base}&sort={sort}")]

    scores = column("list_score", lambda e: e["list_status"]["score"])
    assert scores == sorted(scores, reverse=True)
    updated = column("list_updated_at", lambda e: e["list_status"]["updated_at"])
    assert updated == sorted(updated, reverse=True)
    started = column("anime_start_date", lambda e: e["node"].get("start_date", ""))
    assert started == sorted(started, reverse=True)
    assert column("anime_id", lambda e: e["node"]["id"]) == sorted(
        column("anime_id", lambda e: e["node"]["id"])
    )


def test_a_big_list_pages_through_every_entry_once(app: SandboxApp, client: TestClient) -> None:
    bob = app.sandbox.catalogue.users["bob"]
    assert len(bob.animelist) > 5000
    path = "/v2/users/bob/animelist?nsfw=true&limit=1000&sort=anime_id"
    seen: list[int] = []
    url: str | None = path
    while url:
        body = get(client, url.removeprefix("http://sandbox.test"))
        seen += [edge["node"]["id"] for edge in body["data"]]
        url = body["paging"].get("next")
    assert seen == sorted(bob.animelist)


def test_a_write_moves_the_entry_to_the_top_of_recent_updates(
    app: SandboxApp, client: TestClient
) -> None:
    user = busiest(app)
    name = user.account.name
    oldest = everything(client, f"/v2/users/{name}/animelist?sort=list_updated_at")[-1]
    record_id = oldest["node"]["id"]
    app.sandbox.clock.advance(60)
    headers = bearer(app, name.lower())
    client.patch(f"/v2/anime/{record_id}/my_list_status", headers=headers, data={"score": "3"})
    newest = everything(client, f"/v2/users/{name}/animelist?sort=list_updated_at")[0]
    assert newest["node"]["id"] == record_id


# --- /users/@me -----------------------------------------------------------------------------------


def test_my_info_answers_mals_default_keys(app: SandboxApp, client: TestClient) -> None:
    user = app.sandbox.catalogue.users["alice"]
    body = get(client, "/v2/users/@me", bearer(app))
    defaults = ("gender", "location", "joined_at", "picture")
    assert list(body) == ["id", "name", *(k for k in user.profile if k in defaults)]
    assert body["id"] == user.account.id
    assert body["name"] == user.account.name


def test_my_info_adds_optional_keys_when_asked(app: SandboxApp, client: TestClient) -> None:
    user = app.sandbox.catalogue.users["alice"]
    body = get(client, "/v2/users/@me?fields=time_zone,birthday,is_supporter", bearer(app))
    assert list(body)[2:] == list(user.profile)


def test_anime_statistics_are_computed_from_the_list(app: SandboxApp, client: TestClient) -> None:
    user = busiest(app)
    body = get(
        client, "/v2/users/@me?fields=anime_statistics", bearer(app, user.account.name.lower())
    )
    stats = body["anime_statistics"]
    assert stats["num_items"] == len(user.animelist)
    assert stats["num_items_watching"] == sum(
        s["status"] == "watching" for s in user.animelist.values()
    )
    assert stats["num_episodes"] == sum(s["num_episodes_watched"] for s in user.animelist.values())
    floats = [k for k in stats if k.startswith("num_days")] + ["mean_score"]
    assert all(isinstance(stats[k], float) for k in floats)
    ints = [k for k in stats if k not in floats]
    assert all(type(stats[k]) is int for k in ints)
    assert len(stats) == 15


def test_a_newcomers_statistics_are_zero(app: SandboxApp, client: TestClient) -> None:
    stats = get(client, "/v2/users/@me?fields=anime_statistics", bearer(app, "carol"))
    assert stats["anime_statistics"]["num_items"] == 0
    assert stats["anime_statistics"]["mean_score"] == 0.0


def test_other_user_names_have_no_profile(app: SandboxApp, client: TestClient) -> None:
    response = client.get("/v2/users/alice", headers=bearer(app))
    assert response.status_code == 404
    assert response.content == b'{"message":"","error":"not_found"}'


# --- answers stay current (the sandbox remembers rendered pages) ---------------------------------


def test_a_page_read_again_after_a_write_shows_the_write(
    app: SandboxApp, client: TestClient
) -> None:
    path = "/v2/users/alice/animelist?fields=list_status{comments}&limit=5"
    first_page = get(client, path)["data"]
    record_id = first_page[0]["node"]["id"]
    headers = bearer(app)
    client.patch(f"/v2/anime/{record_id}/my_list_status", headers=headers, data={"comments": "new"})
    assert get(client, path)["data"][0]["list_status"]["comments"] == "new"
    client.delete(f"/v2/anime/{record_id}/my_list_status", headers=headers)
    assert record_id not in [edge["node"]["id"] for edge in get(client, path)["data"]]


def test_statistics_read_again_after_a_write_count_it(app: SandboxApp, client: TestClient) -> None:
    headers = bearer(app)
    path = "/v2/users/@me?fields=anime_statistics"
    before = get(client, path, headers)["anime_statistics"]["num_items"]
    alice = app.sandbox.catalogue.users["alice"]
    new = next(i for i in app.sandbox.catalogue.anime if i not in alice.animelist)
    client.patch(f"/v2/anime/{new}/my_list_status", headers=headers, data={"status": "dropped"})
    assert get(client, path, headers)["anime_statistics"]["num_items"] == before + 1


def test_the_same_page_shows_each_viewer_their_own_statuses(
    app: SandboxApp, client: TestClient
) -> None:
    path = "/v2/users/alice/animelist?fields=my_list_status&limit=20"
    alice, bob = app.sandbox.catalogue.users["alice"], app.sandbox.catalogue.users["bob"]
    for headers, own in (
        (bearer(app, "alice"), alice.animelist),
        (CLIENT, {}),
        (bearer(app, "bob"), bob.animelist),
        (bearer(app, "alice"), alice.animelist),
    ):
        for edge in get(client, path, headers)["data"]:
            assert edge["node"].get("my_list_status") == own.get(edge["node"]["id"])
