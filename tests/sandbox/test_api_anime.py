"""Anime and manga reads (SPEC 4.1-4.5, 4.9): search, details, rankings, seasons, suggestions,
and which titles each of them may show (SPEC 3.6 nsfw, unapproved titles)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from malclient.sandbox import WEB_APP, SandboxApp, SandboxConfig, create_app
from malclient.sandbox.catalogue import Record

CLIENT = {"X-MAL-CLIENT-ID": WEB_APP.client_id}


@pytest.fixture(scope="module")
def shared_app() -> SandboxApp:
    return create_app(SandboxConfig())


@pytest.fixture(scope="module")
def reader(shared_app: SandboxApp) -> Iterator[TestClient]:
    """Read-only requests share one sandbox (nothing in this module writes through it)."""
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


def ids(body: Any) -> list[int]:
    return [edge["node"]["id"] for edge in body["data"]]


def records(app: SandboxApp, kind: str = "anime") -> dict[int, Record]:
    catalogue = app.sandbox.catalogue
    return catalogue.anime if kind == "anime" else catalogue.manga


def is_shown_by_default(record: Record) -> bool:
    return bool(record.get("_approved", True)) and record.get("nsfw") == "white"


def bad_request(message: str) -> bytes:
    return b'{"message":"' + message.encode() + b'","error":"bad_request"}'


# --- search ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["anime", "manga"])
@pytest.mark.parametrize("q", ["", "a", "ab", "x" * 65, "あ" * 65])
def test_search_needs_3_to_64_characters(reader: TestClient, kind: str, q: str) -> None:
    response = reader.get(f"/v2/{kind}", params={"q": q}, headers=CLIENT)
    assert response.status_code == 400
    assert response.content == bad_request("invalid q")


@pytest.mark.parametrize("kind", ["anime", "manga"])
def test_search_without_q_is_invalid_q(reader: TestClient, kind: str) -> None:
    response = reader.get(f"/v2/{kind}?limit=3", headers=CLIENT)
    assert response.content == bad_request("invalid q")


@pytest.mark.parametrize("q", ["abc", "x" * 64, "あ" * 64])
def test_search_counts_characters_not_bytes(reader: TestClient, q: str) -> None:
    assert reader.get("/v2/anime", params={"q": q}, headers=CLIENT).status_code == 200


@pytest.mark.parametrize("kind", ["anime", "manga"])
def test_search_finds_titles_case_insensitively_exact_match_first(
    reader: TestClient, shared_app: SandboxApp, kind: str
) -> None:
    table = records(shared_app, kind)
    target = next(
        r for r in table.values() if is_shown_by_default(r) and 3 <= len(r["title"]) <= 64
    )
    body = get(reader, f"/v2/{kind}?q={target['title'].upper()}&limit=100")
    assert body["data"][0]["node"]["title"].casefold() == target["title"].casefold()
    assert target["id"] in ids(body)
    for record_id in ids(body):
        record = table[record_id]
        haystack = f"{record['title']} {record.get('_search', '')}".casefold()
        assert target["title"].casefold() in haystack


def test_search_also_matches_alternative_titles(reader: TestClient, shared_app: SandboxApp) -> None:
    table = records(shared_app)
    target = next(
        r
        for r in table.values()
        if is_shown_by_default(r)
        and r["alternative_titles"].get("en")
        and len(r["alternative_titles"]["en"]) >= 3
        and r["alternative_titles"]["en"].casefold() not in r["title"].casefold()
    )
    english = target["alternative_titles"]["en"][:64]
    assert target["id"] in ids(get(reader, f"/v2/anime?q={english}&limit=100&nsfw=true"))


def test_search_order_is_stable(reader: TestClient) -> None:
    first = get(reader, "/v2/anime?q=the&limit=50")
    assert get(reader, "/v2/anime?q=THE&limit=50")["data"] == first["data"]


# --- which titles lists may show ------------------------------------------------------------------


def listing_paths() -> list[str]:
    return [
        "/v2/anime?q={q}&limit=100",
        "/v2/anime/ranking?ranking_type=all&limit=500",
        "/v2/anime/ranking?ranking_type=bypopularity&limit=500",
        "/v2/anime/season/{year}/{season}?limit=500",
    ]


def test_lists_hide_non_white_titles_unless_nsfw_is_asked(
    reader: TestClient, shared_app: SandboxApp
) -> None:
    table = records(shared_app)
    gray = next(
        r
        for r in table.values()
        if r.get("nsfw") != "white"
        and r.get("_approved", True)
        and "start_season" in r
        and len(r["title"]) >= 3
    )
    season = gray["start_season"]
    for template in listing_paths():
        path = template.format(q=gray["title"][:64], year=season["year"], season=season["season"])
        hidden = get(reader, path)
        assert all(table[i].get("nsfw") == "white" for i in ids(hidden)), path
        for flag in ("true", "1", "TRUE"):
            shown = ids(get(reader, f"{path}&nsfw={flag}"))
            assert any(table[i].get("nsfw") != "white" for i in shown), path
        assert ids(get(reader, f"{path}&nsfw=false")) == ids(hidden)


def test_unapproved_titles_appear_in_no_list_but_answer_details(
    reader: TestClient, shared_app: SandboxApp
) -> None:
    table = records(shared_app)
    hidden = next(r for r in table.values() if not r.get("_approved", True))
    season = hidden.get("start_season", {"year": 2020, "season": "fall"})
    for template in listing_paths():
        path = template.format(q=hidden["title"][:64], year=season["year"], season=season["season"])
        assert hidden["id"] not in ids(get(reader, f"{path}&nsfw=true")), path
    assert get(reader, f"/v2/anime/{hidden['id']}")["id"] == hidden["id"]


def test_details_answer_nsfw_titles_without_asking(
    reader: TestClient, shared_app: SandboxApp
) -> None:
    gray = next(r for r in records(shared_app).values() if r.get("nsfw") != "white")
    assert get(reader, f"/v2/anime/{gray['id']}?fields=nsfw")["nsfw"] == gray["nsfw"]


# --- details --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["anime", "manga"])
def test_details_are_a_bare_node(reader: TestClient, shared_app: SandboxApp, kind: str) -> None:
    record = next(iter(records(shared_app, kind).values()))
    body = get(reader, f"/v2/{kind}/{record['id']}?fields=status,genres")
    assert body["id"] == record["id"]
    assert body["status"] == record["status"]
    assert "data" not in body


@pytest.mark.parametrize("kind", ["anime", "manga"])
def test_unknown_ids_are_not_found(reader: TestClient, shared_app: SandboxApp, kind: str) -> None:
    missing = max(records(shared_app, kind)) + 1
    response = reader.get(f"/v2/{kind}/{missing}", headers=CLIENT)
    assert response.status_code == 404
    assert response.content == b'{"message":"","error":"not_found"}'


# --- rankings -------------------------------------------------------------------------------------

ANIME_TYPES = [
    "all",
    "airing",
    "upcoming",
    "tv",
    "ova",
    "movie",
    "special",
    "bypopularity",
    "favorite",
]
MANGA_TYPES = [
    "all",
    "manga",
    "novels",
    "oneshots",
    "doujin",
    "manhwa",
    "manhua",
    "bypopularity",
    "favorite",
]


@pytest.mark.parametrize(
    ("kind", "ranking_type"),
    [("anime", t) for t in ANIME_TYPES] + [("manga", t) for t in MANGA_TYPES],
)
def test_every_documented_ranking_type_answers(
    reader: TestClient, kind: str, ranking_type: str
) -> None:
    body = get(reader, f"/v2/{kind}/ranking?ranking_type={ranking_type}&limit=5&offset=2")
    assert [edge["ranking"] for edge in body["data"]] == [
        {"rank": n} for n in range(3, 3 + len(body["data"]))
    ]
    assert all(list(edge) == ["node", "ranking"] for edge in body["data"])


@pytest.mark.parametrize(
    ("kind", "ranking_type"),
    [
        ("anime", "ona"),
        ("anime", "music"),
        ("anime", "manga"),
        ("manga", "tv"),
        ("anime", "ALL"),
        ("anime", ""),
    ],
)
def test_other_ranking_types_are_refused(reader: TestClient, kind: str, ranking_type: str) -> None:
    response = reader.get(f"/v2/{kind}/ranking?ranking_type={ranking_type}", headers=CLIENT)
    assert response.status_code == 400
    assert response.content == bad_request("invalid ranking_type")


def test_a_missing_ranking_type_is_refused(reader: TestClient) -> None:
    response = reader.get("/v2/anime/ranking", headers=CLIENT)
    assert response.content == bad_request("invalid ranking_type")


def test_the_top_list_follows_overall_rank(reader: TestClient, shared_app: SandboxApp) -> None:
    body = get(reader, "/v2/anime/ranking?ranking_type=all&limit=50&fields=rank")
    ranks = [edge["node"]["rank"] for edge in body["data"]]
    assert ranks == sorted(ranks)


def test_type_rankings_count_places_in_their_own_list(
    reader: TestClient, shared_app: SandboxApp
) -> None:
    # SPEC 4.3: the movie list starts at 1 while node.rank is the overall rank.
    body = get(reader, "/v2/anime/ranking?ranking_type=movie&limit=20&fields=rank,media_type")
    assert {edge["node"]["media_type"] for edge in body["data"]} == {"movie"}
    assert body["data"][0]["ranking"] == {"rank": 1}
    assert body["data"][0]["node"]["rank"] >= 1


def test_popularity_ranking_follows_popularity(reader: TestClient) -> None:
    body = get(reader, "/v2/manga/ranking?ranking_type=bypopularity&limit=30&fields=popularity")
    popularity = [edge["node"]["popularity"] for edge in body["data"]]
    assert popularity == sorted(popularity)


def test_airing_and_upcoming_hold_what_their_names_say(reader: TestClient) -> None:
    airing = get(reader, "/v2/anime/ranking?ranking_type=airing&limit=50&fields=status")
    assert {edge["node"]["status"] for edge in airing["data"]} == {"currently_airing"}
    upcoming = get(reader, "/v2/anime/ranking?ranking_type=upcoming&limit=50&fields=status")
    assert {edge["node"]["status"] for edge in upcoming["data"]} == {"not_yet_aired"}


# --- seasons --------------------------------------------------------------------------------------


def a_busy_season(app: SandboxApp) -> tuple[int, str]:
    counts: dict[tuple[int, str], int] = {}
    for record in records(app).values():
        start = record.get("start_season")
        if start:
            key = (start["year"], start["season"])
            counts[key] = counts.get(key, 0) + 1
    return max(counts, key=lambda key: counts[key])


def test_a_season_lists_what_started_then_and_names_itself(
    reader: TestClient, shared_app: SandboxApp
) -> None:
    year, season = a_busy_season(shared_app)
    path = f"/v2/anime/season/{year}/{season}?limit=100&nsfw=true"
    body = get(reader, path)
    assert list(body) == ["data", "paging", "season"]
    assert body["season"] == {"year": year, "season": season}
    listed = ids(body)
    while "next" in body["paging"]:
        body = get(reader, body["paging"]["next"].removeprefix("http://sandbox.test"))
        listed += ids(body)
    started = {
        r["id"]
        for r in records(shared_app).values()
        if r.get("start_season") == {"year": year, "season": season} and r.get("_approved", True)
    }
    assert len(started) > 100  # several pages
    assert started <= set(listed)


def test_a_season_includes_shows_still_airing_from_earlier(
    reader: TestClient, shared_app: SandboxApp
) -> None:
    # SPEC 4.4: a long-running show started years ago is in this season's list too.
    long_runner = next(
        r
        for r in records(shared_app).values()
        if r.get("status") == "currently_airing"
        and is_shown_by_default(r)
        and r.get("start_season", {}).get("year", 9999) < 2020
        and "end_date" not in r
    )
    body = get(reader, "/v2/anime/season/2024/spring?limit=500&nsfw=true")
    assert long_runner["id"] in ids(body)


def test_season_sorts(reader: TestClient, shared_app: SandboxApp) -> None:
    year, season = a_busy_season(shared_app)
    path = f"/v2/anime/season/{year}/{season}?limit=100&fields=mean,num_list_users"
    by_members = get(reader, f"{path}&sort=anime_num_list_users")["data"]
    members = [edge["node"]["num_list_users"] for edge in by_members]
    assert members == sorted(members, reverse=True)
    # Without sort: the sandbox's documented default, the same order as anime_num_list_users.
    assert get(reader, path)["data"] == by_members
    by_score = get(reader, f"{path}&sort=anime_score")["data"]
    means = [edge["node"].get("mean", -1.0) for edge in by_score]
    assert means == sorted(means, reverse=True)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/v2/anime/season/2020/autumn", "invalid season"),
        ("/v2/anime/season/2020/Fall", "invalid season"),
        ("/v2/anime/season/20x0/fall", "invalid year"),
        ("/v2/anime/season/1800/fall", "invalid year"),
        ("/v2/anime/season/-2020/fall", "invalid year"),
        ("/v2/anime/season/2020/fall?sort=title", "invalid sort"),
        ("/v2/anime/season/2020/fall?sort=anime_score&limit=501", "invalid limit"),
    ],
)
def test_bad_season_requests_are_refused(reader: TestClient, path: str, message: str) -> None:
    response = reader.get(path, headers=CLIENT)
    assert response.status_code == 400
    assert response.content == bad_request(message)


# --- suggestions ----------------------------------------------------------------------------------


def test_suggestions_are_popular_titles_not_on_the_users_list(
    app: SandboxApp, client: TestClient
) -> None:
    alice = app.sandbox.catalogue.users["alice"]
    assert alice.animelist
    body = get(client, "/v2/anime/suggestions?limit=100&fields=popularity", bearer(app))
    suggested = ids(body)
    assert suggested
    assert not set(suggested) & set(alice.animelist)
    popularity = [edge["node"]["popularity"] for edge in body["data"]]
    assert popularity == sorted(popularity)
    assert all(is_shown_by_default(app.sandbox.catalogue.anime[i]) for i in suggested)


def test_suggestions_change_when_the_list_does(app: SandboxApp, client: TestClient) -> None:
    headers = bearer(app)
    path = "/v2/anime/suggestions?limit=10"
    top = ids(get(client, path, headers))[0]
    written = client.patch(f"/v2/anime/{top}/my_list_status", headers=headers, data={})
    assert written.status_code == 200
    assert top not in ids(get(client, path, headers))


def test_a_newcomer_gets_no_suggestions(app: SandboxApp, client: TestClient) -> None:
    assert not app.sandbox.catalogue.users["carol"].animelist
    body = get(client, "/v2/anime/suggestions", bearer(app, "carol"))
    assert body == {"data": [], "paging": {}}
