"""The `fields` parameter (SPEC 3.5): defaults, order, braces, ignored names, absent-not-null."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from malclient.sandbox import WEB_APP, SandboxApp, SandboxConfig, create_app
from malclient.sandbox.catalogue import Record
from malclient.sandbox.fields import parse_fields

CLIENT = {"X-MAL-CLIENT-ID": WEB_APP.client_id}
DEFAULTS = ["id", "title", "main_picture"]


@pytest.fixture(scope="module")
def shared_app() -> SandboxApp:
    return create_app(SandboxConfig())


@pytest.fixture(scope="module")
def reader(shared_app: SandboxApp) -> Iterator[TestClient]:
    with TestClient(shared_app, base_url="http://sandbox.test") as test_client:
        yield test_client


def bearer(app: SandboxApp, user: str = "alice") -> dict[str, str]:
    account = app.sandbox.catalogue.users[user].account
    token = app.sandbox.tokens.issue(WEB_APP.client_id, account.name, account.id)[0]
    return {"Authorization": f"Bearer {token.value}"}


def get(client: TestClient, path: str, headers: dict[str, str] | None = None) -> Any:
    response = client.get(path, headers=headers or CLIENT)
    assert response.status_code == 200, response.text
    return response.json()


def anime_where(app: SandboxApp, test: Any) -> Record:
    return next(r for r in app.sandbox.catalogue.anime.values() if test(r))


# --- the parser -----------------------------------------------------------------------------------


def test_parser_reads_nested_braces_and_tolerates_spaces() -> None:
    assert parse_fields("synopsis, my_list_status{priority, comments} ,related_anime{node{x}}") == {
        "synopsis": None,
        "my_list_status": {"priority": None, "comments": None},
        "related_anime": {"node": {"x": None}},
    }


def test_parser_keeps_the_first_place_of_a_repeated_name() -> None:
    assert list(parse_fields("a,b,a,c,b{x}")) == ["a", "b", "c"]
    assert parse_fields("a,b,a,c,b{x}")["b"] == {"x": None}


def test_parser_survives_unbalanced_braces() -> None:
    assert parse_fields("a{b,c") == {"a": {"b": None, "c": None}}
    assert parse_fields("}}a,,b}{") == {"a": None, "b": None}
    assert parse_fields("{x},y") == {"y": None}


def test_parser_handles_hostile_input_in_linear_time() -> None:
    started = time.perf_counter()
    deep = parse_fields("a{" * 10_000 + "b" + "}" * 10_000 + ",c")
    wide = parse_fields(",".join(f"f{i}" for i in range(20_000)))
    assert time.perf_counter() - started < 1.0
    assert list(deep) == ["a", "c"]
    assert len(wide) == 20_000


# --- defaults, order, ignored names --------------------------------------------------------------


def test_nodes_default_to_id_title_and_picture(reader: TestClient, shared_app: SandboxApp) -> None:
    record = anime_where(shared_app, lambda r: "large" in r.get("main_picture", {}))
    body = get(reader, f"/v2/anime/{record['id']}")
    assert body == {
        "id": record["id"],
        "title": record["title"],
        "main_picture": record["main_picture"],
    }
    for edge in get(reader, "/v2/anime/ranking?ranking_type=all&limit=5")["data"]:
        assert list(edge["node"]) == DEFAULTS


def test_asked_fields_follow_the_defaults_in_the_order_asked(
    reader: TestClient, shared_app: SandboxApp
) -> None:
    record = anime_where(shared_app, lambda r: "rank" in r and "start_season" in r)
    body = get(reader, f"/v2/anime/{record['id']}?fields=start_season,popularity,rank,id,title")
    assert list(body) == [*DEFAULTS, "start_season", "popularity", "rank"]
    body = get(reader, f"/v2/anime/{record['id']}?fields=rank,start_season,popularity,rank")
    assert list(body) == [*DEFAULTS, "rank", "start_season", "popularity"]


def test_unknown_fields_are_ignored(reader: TestClient, shared_app: SandboxApp) -> None:
    record = anime_where(shared_app, lambda r: True)
    body = get(reader, f"/v2/anime/{record['id']}?fields=author,_search,_approved,nonsense,status")
    assert list(body) == [*DEFAULTS, "status"]


def test_manga_fields_are_ignored_on_anime_and_back(
    reader: TestClient, shared_app: SandboxApp
) -> None:
    anime = anime_where(shared_app, lambda r: True)
    manga = next(iter(shared_app.sandbox.catalogue.manga.values()))
    assert list(get(reader, f"/v2/anime/{anime['id']}?fields=num_chapters,num_episodes")) == [
        *DEFAULTS,
        "num_episodes",
    ]
    assert list(get(reader, f"/v2/manga/{manga['id']}?fields=num_episodes,num_chapters")) == [
        *DEFAULTS,
        "num_chapters",
    ]


def test_values_mal_cannot_compute_are_absent_not_null(
    reader: TestClient, shared_app: SandboxApp
) -> None:
    record = anime_where(shared_app, lambda r: "mean" not in r and "rank" not in r)
    body = get(reader, f"/v2/anime/{record['id']}?fields=mean,rank,popularity")
    assert list(body) == [*DEFAULTS, "popularity"]
    assert None not in body.values()


DETAILS_ONLY = "pictures,background,related_anime,related_manga,recommendations,statistics"


def test_details_only_fields_are_dropped_from_lists(
    reader: TestClient, shared_app: SandboxApp
) -> None:
    body = get(reader, f"/v2/anime/ranking?ranking_type=all&limit=3&fields={DETAILS_ONLY},rank")
    for edge in body["data"]:
        assert list(edge["node"]) == [*DEFAULTS, "rank"]
    record_id = body["data"][0]["node"]["id"]
    details = get(reader, f"/v2/anime/{record_id}?fields={DETAILS_ONLY}")
    record = shared_app.sandbox.catalogue.anime[record_id]
    assert list(details) == [*DEFAULTS, *(f for f in DETAILS_ONLY.split(",") if f in record)]


# --- nested nodes ---------------------------------------------------------------------------------


def test_related_anime_braces_select_fields_of_the_related_node(
    reader: TestClient, shared_app: SandboxApp
) -> None:
    anime = shared_app.sandbox.catalogue.anime
    record = anime_where(
        shared_app, lambda r: any(i in anime for i, _ in r.get("related_anime", []))
    )
    plain = get(reader, f"/v2/anime/{record['id']}?fields=related_anime")["related_anime"]
    edge = plain[0]
    assert list(edge) == ["node", "relation_type", "relation_type_formatted"]
    assert list(edge["node"]) == [k for k in DEFAULTS if k in anime[edge["node"]["id"]]]
    assert edge["relation_type_formatted"][0].isupper()
    braced = get(reader, f"/v2/anime/{record['id']}?fields=related_anime{{popularity}}")
    assert (
        braced["related_anime"][0]["node"]["popularity"] == anime[edge["node"]["id"]]["popularity"]
    )
    spelled_out = get(
        reader, f"/v2/anime/{record['id']}?fields=related_anime{{node{{popularity}}}}"
    )
    assert spelled_out["related_anime"] == braced["related_anime"]


def test_related_nodes_never_nest_details(reader: TestClient, shared_app: SandboxApp) -> None:
    anime = shared_app.sandbox.catalogue.anime
    record = anime_where(
        shared_app, lambda r: any(i in anime for i, _ in r.get("related_anime", []))
    )
    body = get(
        reader, f"/v2/anime/{record['id']}?fields=related_anime{{related_anime,pictures,rank}}"
    )
    for edge in body["related_anime"]:
        assert "related_anime" not in edge["node"]
        assert "pictures" not in edge["node"]


def test_recommendations_carry_their_count(reader: TestClient, shared_app: SandboxApp) -> None:
    anime = shared_app.sandbox.catalogue.anime
    record = anime_where(
        shared_app, lambda r: any(i in anime for i, _ in r.get("recommendations", []))
    )
    body = get(reader, f"/v2/anime/{record['id']}?fields=recommendations{{num_episodes}}")
    edge = body["recommendations"][0]
    assert list(edge) == ["node", "num_recommendations"]
    assert isinstance(edge["num_recommendations"], int)
    assert "num_episodes" in edge["node"]


def test_manga_related_to_an_anime_render_as_manga(
    reader: TestClient, shared_app: SandboxApp
) -> None:
    manga = shared_app.sandbox.catalogue.manga
    record = anime_where(
        shared_app, lambda r: any(i in manga for i, _ in r.get("related_manga", []))
    )
    body = get(
        reader, f"/v2/anime/{record['id']}?fields=related_manga{{num_chapters,num_episodes}}"
    )
    node = body["related_manga"][0]["node"]
    assert node["title"] == manga[node["id"]]["title"]
    assert "num_chapters" in node
    assert "num_episodes" not in node


def test_authors_braces_pick_the_persons_keys(reader: TestClient, shared_app: SandboxApp) -> None:
    manga = next(r for r in shared_app.sandbox.catalogue.manga.values() if r.get("authors"))
    whole = get(reader, f"/v2/manga/{manga['id']}?fields=authors")["authors"]
    assert whole == manga["authors"]
    named = get(reader, f"/v2/manga/{manga['id']}?fields=authors{{last_name}}")["authors"]
    for person in named:
        assert list(person) == ["node", "role"]
        assert list(person["node"]) == ["id", "last_name"]


# --- my_list_status -------------------------------------------------------------------------------


def test_my_list_status_shows_the_whole_stored_status_to_its_owner(
    app: SandboxApp, client: TestClient
) -> None:
    alice = app.sandbox.catalogue.users["alice"]
    record_id, status = next(iter(alice.animelist.items()))
    body = get(client, f"/v2/anime/{record_id}?fields=my_list_status", bearer(app))
    assert body["my_list_status"] == status
    # Braces are accepted but select nothing inside the status (SPEC 3.5 Conflict).
    braced = get(client, f"/v2/anime/{record_id}?fields=my_list_status{{comments}}", bearer(app))
    assert braced["my_list_status"] == status


def test_names_in_my_list_status_braces_land_on_the_node(
    app: SandboxApp, client: TestClient
) -> None:
    # S-PROBE: `my_list_status{start_date}` returned the anime's own start_date on the node.
    alice = app.sandbox.catalogue.users["alice"]
    record_id = next(i for i in alice.animelist if "start_date" in app.sandbox.catalogue.anime[i])
    body = get(client, f"/v2/anime/{record_id}?fields=my_list_status{{start_date}}", bearer(app))
    assert body["start_date"] == app.sandbox.catalogue.anime[record_id]["start_date"]
    assert list(body)[-2:] == ["my_list_status", "start_date"]


def test_my_list_status_is_absent_for_titles_off_the_list_and_without_a_token(
    app: SandboxApp, client: TestClient
) -> None:
    alice = app.sandbox.catalogue.users["alice"]
    on_list = next(iter(alice.animelist))
    off_list = next(i for i in app.sandbox.catalogue.anime if i not in alice.animelist)
    assert "my_list_status" not in get(
        client, f"/v2/anime/{off_list}?fields=my_list_status", bearer(app)
    )
    assert "my_list_status" not in get(client, f"/v2/anime/{on_list}?fields=my_list_status")
    bob_view = get(client, f"/v2/anime/{on_list}?fields=my_list_status", bearer(app, "bob"))
    bob = app.sandbox.catalogue.users["bob"]
    assert bob_view.get("my_list_status") == bob.animelist.get(on_list)


def test_my_list_status_shows_on_list_endpoints_and_related_nodes(
    app: SandboxApp, client: TestClient
) -> None:
    catalogue = app.sandbox.catalogue
    alice = catalogue.users["alice"]
    entry = next(
        (record, related)
        for record in catalogue.anime.values()
        for related, _ in record.get("related_anime", [])
        if related in alice.animelist
    )
    record, related = entry
    body = get(
        client, f"/v2/anime/{record['id']}?fields=related_anime{{my_list_status}}", bearer(app)
    )
    shown = {e["node"]["id"]: e["node"].get("my_list_status") for e in body["related_anime"]}
    assert shown[related] == alice.animelist[related]
    listed = get(client, "/v2/users/@me/animelist?fields=my_list_status&limit=5", bearer(app))
    for edge in listed["data"]:
        assert edge["node"]["my_list_status"] == alice.animelist[edge["node"]["id"]]
