"""The `fields` builder: MAL's text with nested braces, names checked with near matches, what
list endpoints ignore, and presets that really bring back what they promise (SPEC 3.5)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from models_support import bearer, get_bytes, shared_app
from starlette.testclient import TestClient

from malclient.fields import (
    ANIME_ALL,
    ANIME_FIELDS,
    ANIME_LIST_EXPORT,
    ANIME_LIST_STATUS_FIELDS,
    DEFAULT_FIELDS,
    DETAILS_ONLY,
    MANGA_ALL,
    MANGA_FIELDS,
    MANGA_LIST_EXPORT,
    MANGA_LIST_STATUS_FIELDS,
    USER_ALL,
    Fields,
)
from malclient.models import Anime, AnimeListEntry, MangaListEntry, Page, decode


def test_builds_mal_text_with_nested_braces() -> None:
    fields = Fields("mean", "genres", my_list_status=["priority", "comments"])
    assert str(fields) == "mean,genres,my_list_status{priority,comments}"


def test_parses_mal_text_including_spaces_inside_braces() -> None:
    fields = Fields.parse("synopsis, my_list_status{priority, comments}")
    assert fields == Fields("synopsis", my_list_status=["priority", "comments"])
    assert str(fields.sub("my_list_status")) == "priority,comments"


def test_nested_selections_of_related_titles_nest_further() -> None:
    fields = Fields.anime(related_anime=Fields.anime("num_episodes", my_list_status="status"))
    assert str(fields) == "related_anime{num_episodes,my_list_status{status}}"


def test_duplicates_merge_and_braces_win() -> None:
    fields = Fields("mean", "mean", "list_status") | Fields(list_status=["tags"]) | "mean"
    assert str(fields) == "mean,list_status{tags}"


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Fields("genre"), "Did you mean genres"),
        (lambda: Fields.anime("num_chapters"), "'num_chapters' is not a field anime knows"),
        (lambda: Fields.manga("num_episode"), "is not a field manga knows"),
        (lambda: Fields(my_list_status=["prio"]), r"my_list_status\{...\}: 'prio'.*priority"),
        (lambda: Fields(genres=["name"]), "genres takes no"),
        (lambda: Fields.parse("mean,,genres"), "empty field name"),
        (lambda: Fields.parse("my_list_status{tags"), "unbalanced"),
        (lambda: Fields.parse("mean}"), "unbalanced"),
        (lambda: Fields.parse("list_status{}"), "empty braces"),
        (lambda: Fields.parse("related_anime{mean}genres"), "missing ','"),
        (lambda: Fields.user("synopsis"), "is not a field user knows"),
        (lambda: Fields("mean,genres"), "use Fields.parse"),
    ],
)
def test_unknown_or_malformed_names_fail_with_a_helpful_message(build: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build()  # type: ignore[operator]


def test_selections_of_different_kinds_do_not_mix() -> None:
    with pytest.raises(ValueError, match="anime"):
        Fields.anime("mean") | Fields.manga("num_volumes")
    with pytest.raises(ValueError, match="for manga, not anime"):
        Fields.manga("mean").for_endpoint("anime", "details")


def test_of_accepts_what_a_resource_is_given() -> None:
    assert Fields.of("mean,genres", kind="anime") == Fields.anime("mean", "genres")
    assert Fields.of(["mean", "genres"]) == Fields("mean", "genres")
    with pytest.raises(ValueError, match="not a field anime knows"):
        Fields.of(Fields("num_volumes"), kind="anime")


def test_fields_are_immutable_values() -> None:
    fields = Fields("mean")
    with pytest.raises(AttributeError):
        fields._items = ()
    assert hash(fields) == hash(Fields("mean"))
    assert list(Fields("mean", "rank")) == ["mean", "rank"]
    assert "rank" in Fields("mean", "rank")
    assert len(Fields()) == 0
    assert str(Fields()) == ""


def test_list_endpoints_drop_details_only_fields_and_say_which() -> None:
    fields = Fields.anime("mean", "pictures", "statistics", related_anime=["num_episodes"])
    kept, dropped = fields.for_endpoint("anime", "list")
    assert str(kept) == "mean"
    assert dropped == ("pictures", "statistics", "related_anime")
    kept, dropped = fields.for_endpoint("anime", "details")
    assert kept == fields
    assert dropped == ()


def test_related_titles_are_list_nodes_so_their_details_only_fields_drop() -> None:
    fields = Fields.anime(related_anime=["num_episodes", "pictures"])
    kept, dropped = fields.for_endpoint("anime", "details")
    assert str(kept) == "related_anime{num_episodes}"
    assert dropped == ("related_anime.pictures",)


def test_user_lists_always_ask_for_each_entrys_status() -> None:
    kept, dropped = Fields.anime("num_episodes").for_endpoint("anime", "user_list")
    assert str(kept) == "num_episodes,list_status"
    kept, _ = Fields.anime(list_status=["tags"]).for_endpoint("anime", "user_list")
    assert str(kept) == "list_status{tags}"
    kept, dropped = Fields.anime(list_status=["tags"]).for_endpoint("anime", "list")
    assert dropped == ("list_status",)


# --- presets ------------------------------------------------------------------------------------


def test_all_presets_ask_for_every_field_of_their_kind() -> None:
    assert set(ANIME_ALL) == ANIME_FIELDS - DEFAULT_FIELDS
    assert set(MANGA_ALL) == MANGA_FIELDS - DEFAULT_FIELDS
    assert str(MANGA_ALL.sub("authors")) == "first_name,last_name"


@pytest.mark.parametrize(
    ("preset", "kind", "status_fields"),
    [
        (ANIME_LIST_EXPORT, "anime", ANIME_LIST_STATUS_FIELDS),
        (MANGA_LIST_EXPORT, "manga", MANGA_LIST_STATUS_FIELDS),
    ],
)
def test_export_presets_fit_user_lists_and_ask_for_the_whole_entry(
    preset: Fields, kind: str, status_fields: frozenset[str]
) -> None:
    kept, dropped = preset.for_endpoint(kind, "user_list")  # type: ignore[arg-type]
    assert dropped == ()
    assert kept == preset
    assert not set(preset) & DETAILS_ONLY
    # Every list_status key MAL leaves out by default is asked for.
    default_keys = {"status", "score", "updated_at", "num_episodes_watched", "is_rewatching"}
    default_keys |= {"num_volumes_read", "num_chapters_read", "is_rereading"}
    sub = preset.sub("list_status")
    assert sub is not None
    assert set(sub) == status_fields - default_keys


@pytest.fixture(scope="module")
def reader() -> Iterator[TestClient]:
    with TestClient(shared_app(), base_url="http://sandbox.test") as client:
        yield client


def test_list_export_brings_every_entry_key_and_the_titles_facts(reader: TestClient) -> None:
    params = {"limit": "1000", "nsfw": "true", "fields": str(ANIME_LIST_EXPORT)}
    page = decode(get_bytes(reader, "/v2/users/alice/animelist", params), Page[AnimeListEntry])
    assert page.data
    for entry in page.data:
        status = entry.list_status
        assert status is not None
        assert None not in (status.priority, status.tags, status.comments, status.rewatch_value)
        assert None not in (entry.node.media_type, entry.node.num_episodes, entry.node.genres)
    params = {"limit": "1000", "nsfw": "true", "fields": str(MANGA_LIST_EXPORT)}
    manga = decode(get_bytes(reader, "/v2/users/alice/mangalist", params), Page[MangaListEntry])
    assert all(entry.node.authors is not None for entry in manga.data)
    assert all(
        entry.list_status is not None and entry.list_status.reread_value is not None
        for entry in manga.data
    )


def test_anime_all_brings_every_field_the_title_has(reader: TestClient) -> None:
    app = shared_app()
    anime_id = next(iter(app.sandbox.catalogue.users["alice"].animelist))
    body = get_bytes(
        reader, f"/v2/anime/{anime_id}", {"fields": str(ANIME_ALL)}, headers=bearer(app)
    )
    record = app.sandbox.catalogue.anime[anime_id]
    stored = {name for name in record if not name.startswith("_")}
    assert stored | {"my_list_status"} <= set(json.loads(body))
    assert decode(body, Anime).my_list_status is not None


def test_user_all_brings_the_whole_profile(reader: TestClient) -> None:
    body = get_bytes(
        reader, "/v2/users/@me", {"fields": str(USER_ALL)}, headers=bearer(shared_app())
    )
    assert set(json.loads(body)) == {"id", "name", "picture", *USER_ALL}
