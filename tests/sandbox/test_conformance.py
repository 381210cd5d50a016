"""The sandbox against MAL's recorded real responses (shared/mal-api/fixtures, see PROVENANCE.md).

For each recorded body, the sandbox's answer to the same request must have the same structure:
the same keys in the same order at every level, the same JSON types (int, float, str, bool,
list, object, null) and the same paging shape (which links, which parameters, which offsets).
Values differ: the sandbox's catalogue is synthetic, so each test picks entities whose optional
keys match the fixture's (a title with a rank when the fixture node has one). Error fixtures are
reproduced byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from starlette.testclient import TestClient

from malclient.sandbox import WEB_APP, SandboxApp, SandboxConfig, create_app
from malclient.sandbox.catalogue import Record
from malclient.sandbox.queries import INDEXES
from recorded import FIXTURES, fixture_json

ORIGIN = "http://sandbox.test"
# main_picture, and its `large` size, are optional (SPEC 5.1).
PICTURE = frozenset({"main_picture", "large"})
CLIENT = {"X-MAL-CLIENT-ID": WEB_APP.client_id}


# --- the structural comparator ------------------------------------------------------------------


def json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    for kind, name in ((int, "int"), (float, "float"), (str, "str"), (list, "list"), (dict, "obj")):
        if isinstance(value, kind):
            return name
    raise TypeError(value)


def url_shape(url: str) -> tuple[str, int, list[str], str]:
    """(resource, path depth, parameter names in order, offset) of a paging link; ids, user
    names and seasons differ between MAL's catalogue and the sandbox's."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    names = [name for name, _ in pairs]
    return segments[2], len(segments), names, dict(pairs).get("offset", "")


def mismatches(
    actual: Any, expected: Any, path: str = "$", optional: frozenset[str] = frozenset()
) -> list[str]:
    """Every structural difference between a sandbox body and a recorded one.

    `optional` names keys SPEC 5 documents as optional, which the sandbox may lack where MAL's
    recording has them; only for requests whose entities a test cannot choose (rankings).
    """
    if json_kind(actual) != json_kind(expected):
        return [f"{path}: {json_kind(actual)} where MAL has {json_kind(expected)}"]
    found: list[str] = []
    if isinstance(expected, dict):
        wanted = [key for key in expected if key in actual or key not in optional]
        if list(actual) != wanted:
            found.append(f"{path}: keys {list(actual)} where MAL has {list(expected)}")
        for key, value in expected.items():
            if key in actual:
                found += mismatches(actual[key], value, f"{path}.{key}", optional)
    elif isinstance(expected, list):
        if expected and not actual:
            found.append(f"{path}: empty where MAL has items")
        for i, item in enumerate(actual):
            if expected:
                like = expected[min(i, len(expected) - 1)]
                found += mismatches(item, like, f"{path}[{i}]", optional)
    elif path.endswith((".next", ".previous")):
        if not actual.startswith(ORIGIN + "/v2/"):
            found.append(f"{path}: {actual} does not point back at the sandbox")
        if url_shape(actual) != url_shape(expected):
            found.append(f"{path}: {url_shape(actual)} where MAL has {url_shape(expected)}")
    return found


def assert_conforms(actual: Any, fixture: str, optional: frozenset[str] = frozenset()) -> None:
    problems = mismatches(actual, fixture_json(fixture), optional=optional)
    assert not problems, "\n".join(problems)


def test_comparator_notices_key_order_types_and_paging() -> None:
    link = "https://api.myanimelist.net/v2/anime?offset=2&q=a"
    expected = {"data": [{"node": {"id": 1, "mean": 1.5}}], "paging": {"next": link}}
    same = {
        "data": [{"node": {"id": 9, "mean": 7.0}}],
        "paging": {"next": ORIGIN + "/v2/anime?offset=2&q=b"},
    }
    assert mismatches(same, expected) == []
    assert mismatches(
        {"data": [{"node": {"mean": 1.5, "id": 1}}], "paging": same["paging"]}, expected
    )
    assert mismatches(
        {"data": [{"node": {"id": 1, "mean": 1}}], "paging": same["paging"]}, expected
    )
    assert mismatches({"data": [], "paging": same["paging"]}, expected)
    assert mismatches({**same, "paging": {"next": ORIGIN + "/v2/anime?q=b&offset=2"}}, expected)
    assert mismatches({**same, "paging": {}}, expected)
    pictureless = {"data": [{"node": {"id": 9}}], "paging": same["paging"]}
    with_picture = {"data": [{"node": {"id": 1, "main_picture": {}}}], "paging": same["paging"]}
    assert mismatches(pictureless, with_picture)
    assert not mismatches(pictureless, with_picture, optional=PICTURE)


# --- choosing sandbox entities like the fixture's ------------------------------------------------


def fits(record: Record, node: dict[str, Any]) -> bool:
    """Does this record render every key the fixture node has, lists non-empty where MAL's are?"""
    for key, value in node.items():
        if key not in record:
            return False
        have = record[key]
        if isinstance(value, list) and value and not have:
            return False
        if (
            isinstance(value, dict)
            and isinstance(have, dict)
            and list(value) != list(have)
            and (key != "alternative_titles" or set(value) != set(have))
        ):
            return False
        if key == "alternative_titles" and value.get("synonyms") and not have.get("synonyms"):
            return False
    return True


def optional_keys(fixture_nodes: list[dict[str, Any]], asked: tuple[str, ...]) -> set[str]:
    return {key for key in asked if all(key in node for node in fixture_nodes)}


@pytest.fixture(scope="module")
def shared_app() -> SandboxApp:
    return create_app(SandboxConfig())


@pytest.fixture(scope="module")
def reader(shared_app: SandboxApp) -> Iterator[TestClient]:
    """A client for read-only requests, shared by the module (nothing here writes through it)."""
    with TestClient(shared_app, base_url=ORIGIN) as test_client:
        yield test_client


def bearer(app: SandboxApp, user: str = "alice") -> dict[str, str]:
    account = app.sandbox.catalogue.users[user].account
    token = app.sandbox.tokens.issue(WEB_APP.client_id, account.name, account.id)[0]
    return {"Authorization": f"Bearer {token.value}"}


def first(records: dict[int, Record], wanted: Callable[[Record], bool]) -> Record:
    for record in records.values():
        if record.get("_approved", True) and wanted(record):
            return record
    pytest.fail("the catalogue has no entity shaped like the fixture's")


def nodes_of(fixture: str) -> list[dict[str, Any]]:
    body = fixture_json(fixture)
    assert isinstance(body, dict)
    return [edge["node"] for edge in body["data"]]


def get(client: TestClient, path: str, headers: dict[str, str] | None = None) -> Any:
    response = client.get(path, headers=headers or CLIENT)
    assert response.status_code == 200, response.text
    return response.json()


# --- anime and manga ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "kind", "fields"),
    [
        (
            "go-myanimelist__animeDetails.json",
            "anime",
            "alternative_titles,media_type,num_episodes,start_season,source,genres,studios,"
            "average_episode_duration",
        ),
        (
            "go-myanimelist__mangaDetails.json",
            "manga",
            "alternative_titles,media_type,num_volumes,num_chapters,authors{first_name,last_name},"
            "genres,status",
        ),
        (
            "MAL-API-Client-Upgraded__animeDetails_48556_num_favorites.json",
            "anime",
            "num_favorites",
        ),
        (
            "MAL-API-Client-Upgraded__animeDetails_48556_opening_ending_themes.json",
            "anime",
            "source,opening_themes,ending_themes",
        ),
        (
            "MAL-API-Client-Upgraded__mangaDetails_74697_light_novel.json",
            "manga",
            "id,title,main_picture,author,media_type",
        ),
        ("MAL-API-Client-Upgraded__mangaDetails_656_on_hiatus.json", "manga", "status"),
        ("MAL-API-Client-Upgraded__mangaDetails_669_discontinued.json", "manga", "status"),
    ],
)
def test_details_have_the_recorded_structure(
    reader: TestClient, shared_app: SandboxApp, fixture: str, kind: str, fields: str
) -> None:
    expected = fixture_json(fixture)
    assert isinstance(expected, dict)
    catalogue = shared_app.sandbox.catalogue
    records = catalogue.anime if kind == "anime" else catalogue.manga
    # Same media_type/status as the fixture when the catalogue has one, else any fitting title.
    fitting = [r for r in records.values() if fits(r, expected)]
    assert fitting, "the catalogue has no entity shaped like the fixture's"
    for key in ("media_type", "status"):
        if key in expected and key in fields:
            fitting = [r for r in fitting if r.get(key) == expected[key]] or fitting
    body = get(reader, f"/v2/{kind}/{fitting[0]['id']}?fields={fields}")
    assert_conforms(body, fixture)


def search_query(app: SandboxApp, kind: str, node: dict[str, Any], size: int) -> str:
    """A `q` whose first `size` hits all fit the fixture's node shape, with more hits after."""
    catalogue = app.sandbox.catalogue
    records = catalogue.anime if kind == "anime" else catalogue.manga
    index = INDEXES.of(records)
    for record in records.values():
        for word in str(record["title"]).split():
            if 3 <= len(word) <= 64:
                hits = index.search(word, nsfw=False)
                if len(hits) > size and all(fits(records[i], node) for i in hits[:size]):
                    return word
    pytest.fail("no search word finds titles shaped like the fixture's")


@pytest.mark.parametrize(
    ("fixture", "kind", "fields"),
    [
        ("go-myanimelist__animeList.json", "anime", "rank,popularity,start_season"),
        ("go-myanimelist__mangaList.json", "manga", "num_volumes,num_chapters,alternative_titles"),
    ],
)
def test_search_pages_have_the_recorded_structure(
    reader: TestClient, shared_app: SandboxApp, fixture: str, kind: str, fields: str
) -> None:
    q = search_query(shared_app, kind, nodes_of(fixture)[0], 3)
    # Parameters in the order MAL's recorded `next` link lists them: fields, limit, q.
    body = get(reader, f"/v2/{kind}?fields={fields}&limit=3&q={q}")
    assert len(body["data"]) == 3
    assert_conforms(body, fixture)


@pytest.mark.parametrize(
    ("fixture", "path"),
    [
        (
            "go-myanimelist__animeRanking.json",
            "/v2/anime/ranking?fields=rank,popularity&limit=6&ranking_type=airing",
        ),
        (
            "go-myanimelist__mangaRanking.json",
            "/v2/manga/ranking?fields=rank,popularity&limit=6&ranking_type=bypopularity",
        ),
        (
            "MyAnimeList_Client__animeRanking_all.json",
            "/v2/anime/ranking?ranking_type=all&limit=10",
        ),
    ],
)
def test_rankings_have_the_recorded_structure(reader: TestClient, fixture: str, path: str) -> None:
    body = get(reader, path)
    assert len(body["data"]) == len(nodes_of(fixture))
    # The top of a ranking is what it is: a title there may lack a picture (SPEC 5.1 "opt").
    assert_conforms(body, fixture, optional=PICTURE)


def test_seasonal_page_has_the_recorded_structure(
    reader: TestClient, shared_app: SandboxApp
) -> None:
    fixture = "go-myanimelist__animeSeasonal.json"
    node = nodes_of(fixture)[0]
    index = INDEXES.of(shared_app.sandbox.catalogue.anime)
    anime = shared_app.sandbox.catalogue.anime
    for year in range(2025, 1990, -1):
        for season in ("fall", "summer", "spring", "winter"):
            ids = index.season(year, season, "anime_num_list_users", nsfw=False)
            if len(ids) > 3 and all(fits(anime[i], node) for i in ids[:3]):
                body = get(
                    reader,
                    f"/v2/anime/season/{year}/{season}"
                    "?fields=rank,popularity&limit=3&sort=anime_num_list_users",
                )
                assert body["season"] == {"year": year, "season": season}
                assert_conforms(body, fixture)
                return
    pytest.fail("no season starts with three ranked titles")


def test_suggestions_have_the_recorded_structure(app: SandboxApp, client: TestClient) -> None:
    body = get(client, "/v2/anime/suggestions?fields=rank,popularity&limit=3", bearer(app))
    assert len(body["data"]) == 3
    assert_conforms(body, "go-myanimelist__animeSuggested.json", optional=PICTURE)


# --- list writes ----------------------------------------------------------------------------------


def test_anime_list_write_answers_the_recorded_structure(
    app: SandboxApp, client: TestClient
) -> None:
    alice = app.sandbox.catalogue.users["alice"]
    target = first(app.sandbox.catalogue.anime, lambda r: r["id"] not in alice.animelist)
    response = client.patch(
        f"/v2/anime/{target['id']}/my_list_status",
        headers=bearer(app),
        data={
            "status": "watching",
            "score": "8",
            "num_watched_episodes": "1",
            "start_date": "2022-02-20",
            "comments": "You wa shock!",
        },
    )
    assert response.status_code == 200
    assert_conforms(response.json(), "go-myanimelist__updateMyAnimeList.json")


def test_manga_list_write_answers_the_recorded_structure(
    app: SandboxApp, client: TestClient
) -> None:
    alice = app.sandbox.catalogue.users["alice"]
    target = first(app.sandbox.catalogue.manga, lambda r: r["id"] not in alice.mangalist)
    response = client.put(
        f"/v2/manga/{target['id']}/my_list_status",
        headers=bearer(app),
        data={
            "status": "reading",
            "num_volumes_read": "1",
            "num_chapters_read": "5",
            "start_date": "2022-02-20",
            "comments": "Migi",
        },
    )
    assert response.status_code == 200
    assert_conforms(response.json(), "go-myanimelist__updateMyMangaList.json")


# --- users' lists and profile ------------------------------------------------------------------


def fill_list(
    app: SandboxApp,
    client: TestClient,
    kind: str,
    user: str,
    wanted: Callable[[Record], bool],
    count: int,
    form: dict[str, str],
) -> list[Record]:
    """Put `count` titles on a user's list through the API, as the recorded user did: shown
    without nsfw, with both picture sizes like every recorded list node."""
    catalogue = app.sandbox.catalogue
    records = catalogue.anime if kind == "anime" else catalogue.manga
    chosen = [
        r
        for r in records.values()
        if r.get("_approved", True)
        and r.get("nsfw") == "white"
        and list(r.get("main_picture", {})) == ["medium", "large"]
        and wanted(r)
    ][:count]
    assert len(chosen) == count
    for record in chosen:
        response = client.patch(
            f"/v2/{kind}/{record['id']}/my_list_status", headers=bearer(app, user), data=form
        )
        assert response.status_code == 200, response.text
    return chosen


def test_last_page_of_a_user_anime_list_has_the_recorded_structure(
    app: SandboxApp, client: TestClient
) -> None:
    # carol starts with an empty list; five undated entries like the recorded ones.
    fill_list(app, client, "anime", "carol", lambda r: True, 5, {"status": "watching"})
    body = get(client, "/v2/users/carol/animelist?fields=list_status")
    assert body["paging"] == {}
    assert_conforms(body, "go-myanimelist__userAnimeList.json")


def test_last_page_of_a_user_manga_list_has_the_recorded_structure(
    app: SandboxApp, client: TestClient
) -> None:
    fill_list(app, client, "manga", "carol", lambda r: True, 2, {"status": "reading"})
    body = get(client, "/v2/users/carol/mangalist?fields=list_status{comments,tags}")
    assert_conforms(body, "go-myanimelist__userMangaList.json")


def test_first_default_page_of_a_user_list_has_the_recorded_structure(
    app: SandboxApp, client: TestClient
) -> None:
    fill_list(app, client, "anime", "carol", lambda r: True, 12, {"status": "plan_to_watch"})
    body = get(client, "/v2/users/carol/animelist?fields=list_status")
    assert len(body["data"]) == 10  # no limit sent: MAL's page is 10 long
    assert_conforms(body, "mal-stats__userAnimeList_roshizzle.json")


def test_recently_updated_anime_entry_has_the_recorded_structure(
    app: SandboxApp, client: TestClient
) -> None:
    # The recorded entry is a not-yet-aired sequel: no rank. Its envelope was trimmed by the
    # source, so only the item is compared.
    fill_list(
        app,
        client,
        "anime",
        "carol",
        lambda r: "rank" not in r and bool(r.get("genres")),
        1,
        {"status": "plan_to_watch"},
    )
    body = get(
        client,
        "/v2/users/carol/animelist?sort=list_updated_at&fields=list_status,genres,num_episodes,num_chapters,nsfw,rank",
    )
    expected = fixture_json(
        "StatisticShock.github.io__userAnimeList_HikariMontgomery_nopaging.json"
    )
    assert isinstance(expected, dict)
    problems = mismatches(body["data"][:1], expected["data"])
    assert not problems, "\n".join(problems)


def test_recently_updated_manga_entry_has_the_recorded_structure(
    app: SandboxApp, client: TestClient
) -> None:
    fill_list(
        app,
        client,
        "manga",
        "carol",
        lambda r: "rank" in r and bool(r.get("genres")),
        1,
        {"status": "reading", "start_date": "2025-09-10"},
    )
    body = get(
        client,
        "/v2/users/carol/mangalist?sort=list_updated_at&fields=list_status,genres,num_episodes,num_chapters,nsfw,rank",
    )
    expected = fixture_json(
        "StatisticShock.github.io__userMangaList_HikariMontgomery_nopaging.json"
    )
    assert isinstance(expected, dict)
    problems = mismatches(body["data"][:1], expected["data"])
    assert not problems, "\n".join(problems)


def test_my_info_has_the_recorded_structure(app: SandboxApp, client: TestClient) -> None:
    expected = fixture_json("go-myanimelist__userMyInfo.json")
    assert isinstance(expected, dict)
    users = app.sandbox.catalogue.users
    user = next(
        name
        for name, data in users.items()
        if all(k in data.profile for k in expected if k not in ("id", "name"))
    )
    assert_conforms(
        get(client, "/v2/users/@me", bearer(app, user)), "go-myanimelist__userMyInfo.json"
    )


# --- forum ----------------------------------------------------------------------------------------


def test_forum_boards_have_the_recorded_structure(reader: TestClient) -> None:
    assert_conforms(get(reader, "/v2/forum/boards"), "go-myanimelist__forumBoards.json")


def test_forum_topic_page_has_the_recorded_structure(
    reader: TestClient, shared_app: SandboxApp
) -> None:
    forum = shared_app.sandbox.catalogue.forum
    topic = next(t for t in forum.topics if t in forum.polls and len(forum.posts.get(t, [])) > 3)
    assert_conforms(
        get(reader, f"/v2/forum/topic/{topic}?limit=3"), "go-myanimelist__forumTopicDetails.json"
    )


def test_forum_topic_search_has_the_recorded_structure(
    reader: TestClient, shared_app: SandboxApp
) -> None:
    topics = list(shared_app.sandbox.catalogue.forum.topics.values())
    for topic in topics:
        q = " ".join(str(topic["title"]).split()[:1])
        if len(q) >= 3 and sum(q.casefold() in str(t["title"]).casefold() for t in topics) > 2:
            body = get(reader, f"/v2/forum/topics?limit=2&q={q}&sort=recent")
            assert_conforms(body, "go-myanimelist__forumTopics.json")
            return
    pytest.fail("no forum search finds three topics")


# --- error bodies, byte for byte -----------------------------------------------------------------


def compact(raw: bytes) -> bytes:
    """The fixture's bytes without whitespace outside JSON strings (MAL sends compact JSON)."""
    out, in_string, escaped = bytearray(), False, False
    for byte in raw:
        char = chr(byte)
        if in_string:
            out.append(byte)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(byte)
        elif not char.isspace():
            out.append(byte)
    return bytes(out)


def error_requests(app: SandboxApp, client: TestClient) -> dict[str, tuple[int, Callable[[], Any]]]:
    catalogue = app.sandbox.catalogue
    alice = catalogue.users["alice"]
    free = first(catalogue.anime, lambda r: r["id"] not in alice.animelist)["id"]
    hidden = next(r["id"] for r in catalogue.anime.values() if not r.get("_approved", True))
    user = bearer(app)
    return {
        "api_error__400_bad_date_no_message.json": (
            400,
            lambda: client.patch(
                f"/v2/anime/{free}/my_list_status", headers=user, data={"start_date": "03/05/2024"}
            ),
        ),
        "api_error__400_invalid_client_id.json": (
            400,
            lambda: client.get("/v2/anime?q=naruto", headers={"X-MAL-CLIENT-ID": "0" * 32}),
        ),
        "api_error__400_invalid_content.json": (
            400,
            lambda: client.patch(
                f"/v2/anime/{hidden}/my_list_status", headers=user, data={"status": "watching"}
            ),
        ),
        "api_error__400_invalid_q.json": (
            400,
            lambda: client.get("/v2/anime?q=ab", headers=CLIENT),
        ),
        "api_error__400_invalid_score.json": (
            400,
            lambda: client.patch(
                f"/v2/anime/{free}/my_list_status", headers=user, data={"score": "11"}
            ),
        ),
        "api_error__401_invalid_token.json": (
            401,
            lambda: client.get(
                "/v2/anime?q=naruto", headers={"Authorization": "Bearer not-a-token"}
            ),
        ),
        "api_error__403_forbidden.json": (403, lambda: client.get("/v2/anime?q=naruto")),
        "api_error__404_not_found.json": (
            404,
            lambda: client.get("/v2/forum/topic/999999999", headers=CLIENT),
        ),
    }


ERROR_FIXTURES = sorted(path.name for path in FIXTURES.glob("api_error__*.json"))


@pytest.mark.parametrize("fixture", ERROR_FIXTURES)
def test_error_bodies_are_reproduced_byte_for_byte(
    app: SandboxApp, client: TestClient, fixture: str
) -> None:
    status, send = error_requests(app, client)[fixture]
    response = send()
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json; charset=UTF-8"
    assert response.content == compact((FIXTURES / fixture).read_bytes())


COVERED_ELSEWHERE = {
    # each name here is compared by a test above
    "go-myanimelist__animeDetails.json",
    "go-myanimelist__mangaDetails.json",
    "MAL-API-Client-Upgraded__animeDetails_48556_num_favorites.json",
    "MAL-API-Client-Upgraded__animeDetails_48556_opening_ending_themes.json",
    "MAL-API-Client-Upgraded__mangaDetails_74697_light_novel.json",
    "MAL-API-Client-Upgraded__mangaDetails_656_on_hiatus.json",
    "MAL-API-Client-Upgraded__mangaDetails_669_discontinued.json",
    "go-myanimelist__animeList.json",
    "go-myanimelist__mangaList.json",
    "go-myanimelist__animeRanking.json",
    "go-myanimelist__mangaRanking.json",
    "MyAnimeList_Client__animeRanking_all.json",
    "go-myanimelist__animeSeasonal.json",
    "go-myanimelist__animeSuggested.json",
    "go-myanimelist__updateMyAnimeList.json",
    "go-myanimelist__updateMyMangaList.json",
    "go-myanimelist__userAnimeList.json",
    "go-myanimelist__userMangaList.json",
    "mal-stats__userAnimeList_roshizzle.json",
    "StatisticShock.github.io__userAnimeList_HikariMontgomery_nopaging.json",
    "StatisticShock.github.io__userMangaList_HikariMontgomery_nopaging.json",
    "go-myanimelist__userMyInfo.json",
    "go-myanimelist__forumBoards.json",
    "go-myanimelist__forumTopicDetails.json",
    "go-myanimelist__forumTopics.json",
}


def test_every_recorded_api_response_has_a_conformance_test() -> None:
    recorded = {
        path.name
        for path in FIXTURES.glob("*.json")
        if not path.name.startswith(("oauth_", "api_error__"))
    }
    # A new recording needs a test above; a new error body needs a request in error_requests.
    assert recorded == COVERED_ELSEWHERE
