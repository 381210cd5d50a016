"""Every endpoint through `Client`, over real HTTP to a loopback sandbox: what a script sees."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from client_support import public_client, requests_by_endpoint, user_client

from malclient import ConfigError, NotFound, PartialDate
from malclient.client import Client
from malclient.fields import ANIME_LIST_EXPORT, Fields
from malclient.sandbox import SandboxConfig
from malclient.sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(auto_approve="alice")) as running:
        yield running


@pytest.fixture(scope="module")
def public(server: SandboxServer) -> Iterator[Client]:
    with public_client(server.url) as client:
        yield client


@pytest.fixture(scope="module")
def alice(server: SandboxServer) -> Iterator[Client]:
    with user_client(server.url) as client:
        yield client


def not_on_list(server: SandboxServer, user: str, count: int, kind: str = "anime") -> list[int]:
    """Approved titles that are not on `user`'s list (for writes that must start clean)."""
    catalogue = server.app.sandbox.catalogue
    records = catalogue.anime if kind == "anime" else catalogue.manga
    owned = getattr(catalogue.users[user], f"{kind}list")
    free = [
        i
        for i, r in records.items()
        if i not in owned and r.get("_approved", True) and r.get("num_episodes", 1) != 0
    ]
    return sorted(free)[-count:]


# --- anime ----------------------------------------------------------------------------------------


def test_search_finds_titles_by_name(public: Client, server: SandboxServer) -> None:
    wanted = server.app.sandbox.catalogue.anime[sorted(server.app.sandbox.catalogue.anime)[0]]
    page = public.anime.search(wanted["title"][:20], fields=["mean", "genres"])
    assert page.data, "nothing found"
    assert page.data[0].node.title == wanted["title"]
    assert page.data[0].node.genres is not None


def test_details_come_with_every_field_unless_fields_say_otherwise(
    public: Client, server: SandboxServer
) -> None:
    anime_id = sorted(server.app.sandbox.catalogue.anime)[0]
    full = public.anime.get(anime_id)
    assert full.synopsis
    assert full.num_episodes is not None
    assert full.studios is not None
    assert full.related_anime is not None  # a details-only field
    slim = public.anime.get(anime_id, fields=Fields.anime("num_episodes"))
    assert slim.num_episodes == full.num_episodes
    assert slim.synopsis is None
    assert slim.studios is None


def test_unknown_ids_are_not_found(public: Client) -> None:
    with pytest.raises(NotFound, match="/anime/999999999"):
        public.anime.get(999_999_999)


def test_ranking_numbers_places_within_the_ranking(public: Client) -> None:
    page = public.anime.ranking("movie", limit=5, fields="media_type")
    assert [edge.ranking.rank for edge in page.data] == [1, 2, 3, 4, 5]
    assert {edge.node.media_type for edge in page.data} == {"movie"}
    assert page.next_url is not None
    assert "offset=5" in page.next_url


def test_seasonal_lists_name_their_season(public: Client) -> None:
    page = public.anime.seasonal(2024, "fall", sort="anime_num_list_users", limit=10)
    assert (page.model.season.year, page.model.season.season) == (2024, "fall")
    assert len(page.data) == 10


def test_suggestions_need_a_user_and_skip_titles_on_the_list(
    alice: Client, public: Client, server: SandboxServer
) -> None:
    suggested = [edge.node.id for edge in alice.anime.suggestions(limit=20).data]
    assert suggested
    assert not set(suggested) & set(server.app.sandbox.catalogue.users["alice"].animelist)
    with pytest.raises(ConfigError, match="mal auth login"):
        public.anime.suggestions()


# --- the anime list -------------------------------------------------------------------------------


def test_a_users_list_iterates_every_entry_with_its_status(
    public: Client, server: SandboxServer
) -> None:
    expected = server.app.sandbox.catalogue.users["alice"].animelist
    entries = list(public.animelist.list("alice", limit=100))
    assert len(entries) == len(expected)
    assert {e.node.id: e.list_status.status for e in entries if e.list_status} == {
        anime_id: entry["status"] for anime_id, entry in expected.items()
    }


def test_lists_include_titles_mal_flags_as_nsfw_unless_told_otherwise(
    server: SandboxServer,
) -> None:
    catalogue = server.app.sandbox.catalogue
    flagged = {
        i for i in catalogue.users["alice"].animelist if catalogue.anime[i]["nsfw"] != "white"
    }
    assert flagged
    with public_client(server.url) as everything, public_client(server.url, nsfw=False) as safe:
        assert flagged <= {e.node.id for e in everything.animelist.list("alice")}
        assert not flagged & {e.node.id for e in safe.animelist.list("alice")}
        assert flagged <= {e.node.id for e in safe.animelist.list("alice", nsfw=True)}


def test_status_filter_and_sort_are_mals(public: Client) -> None:
    page = public.animelist.list("alice", status="completed", sort="list_score", limit=50)
    assert {entry.list_status.status for entry in page.data if entry.list_status} == {"completed"}
    scores = [entry.list_status.score for entry in page.data if entry.list_status]
    assert scores == sorted(scores, reverse=True)


def test_the_signed_in_users_own_list_is_at_me(alice: Client, server: SandboxServer) -> None:
    mine = {entry.node.id for entry in alice.animelist.list()}
    assert mine == set(server.app.sandbox.catalogue.users["alice"].animelist)


def test_an_export_of_bobs_whole_list_takes_one_request_per_thousand(
    public: Client, server: SandboxServer
) -> None:
    server.app.sandbox.stats.reset()
    entries = list(public.animelist.list("bob", fields=ANIME_LIST_EXPORT))
    assert len(entries) == len(server.app.sandbox.catalogue.users["bob"].animelist) == 10_500
    assert requests_by_endpoint(server.app)["users_user_id_animelist_get"] == 11
    assert entries[0].node.media_type is not None
    assert entries[0].list_status is not None
    assert entries[0].list_status.tags is not None


def test_updates_send_only_the_fields_given(alice: Client, server: SandboxServer) -> None:
    anime_id = not_on_list(server, "alice", 1)[0]
    alice.animelist.update(
        anime_id, status="watching", tags=["rewatch", "friends"], comments="with Bob"
    )
    entry = alice.animelist.update(anime_id, score=9, start_date="2024-03")
    assert (entry.status, entry.score, entry.tags, entry.comments) == (
        "watching",
        9,
        ["rewatch", "friends"],
        "with Bob",
    )
    assert entry.start_date == PartialDate(2024, 3)
    # The write name MAL reads back under another name (SPEC 5.3) is spelled the read way.
    entry = alice.animelist.update(anime_id, num_episodes_watched=2, start_date="")
    assert entry.num_episodes_watched == 2
    assert entry.start_date is None


def test_delete_says_whether_an_entry_was_removed(alice: Client, server: SandboxServer) -> None:
    anime_id = not_on_list(server, "alice", 2)[0]
    alice.animelist.update(anime_id, status="plan_to_watch")
    assert alice.animelist.delete(anime_id) is True
    assert anime_id not in server.app.sandbox.catalogue.users["alice"].animelist
    assert alice.animelist.delete(anime_id) is False  # MAL's 404: nothing left to remove


def test_progress_helpers_read_once_and_patch_once(alice: Client, server: SandboxServer) -> None:
    anime_id = not_on_list(server, "alice", 3)[0]
    total = server.app.sandbox.catalogue.anime[anime_id]["num_episodes"]
    assert total > 2
    day = date(2026, 1, 2)
    server.app.sandbox.stats.reset()
    entry = alice.animelist.progress(anime_id, 1, today=day)
    seen = requests_by_endpoint(server.app)
    assert (seen["anime_anime_id_get"], seen["anime_anime_id_my_list_status_put"]) == (1, 1)
    assert (entry.status, entry.num_episodes_watched, entry.start_date) == (
        "watching",
        1,
        PartialDate(2026, 1, 2),
    )
    entry = alice.animelist.increment(anime_id, today=day)
    assert entry.num_episodes_watched == 2
    # Never backwards: an older device reporting episode 1 changes nothing.
    assert alice.animelist.progress(anime_id, 1).num_episodes_watched == 2
    entry = alice.animelist.progress(anime_id, total, today=date(2026, 2, 3))
    assert (entry.status, entry.num_episodes_watched, entry.finish_date) == (
        "completed",
        total,
        PartialDate(2026, 2, 3),
    )


def test_complete_fills_in_the_episodes_and_the_finish_date(
    alice: Client, server: SandboxServer
) -> None:
    anime_id = not_on_list(server, "alice", 4)[0]
    total = server.app.sandbox.catalogue.anime[anime_id]["num_episodes"]
    alice.animelist.update(anime_id, status="watching", num_episodes_watched=1)
    entry = alice.animelist.complete(anime_id, score=8, today=date(2026, 3, 4))
    assert (entry.status, entry.num_episodes_watched, entry.score) == ("completed", total, 8)
    assert entry.finish_date == PartialDate(2026, 3, 4)


def test_list_writes_need_a_signed_in_user(public: Client, server: SandboxServer) -> None:
    server.app.sandbox.stats.reset()
    with pytest.raises(ConfigError, match=r"animelist\.update needs a signed-in user"):
        public.animelist.update(1, score=5)
    with pytest.raises(ConfigError, match=r"Client\.from_config"):
        public.animelist.list()  # @me
    assert server.app.sandbox.stats.requests == {}


# --- manga ----------------------------------------------------------------------------------------


def test_manga_search_details_and_ranking(public: Client, server: SandboxServer) -> None:
    manga = server.app.sandbox.catalogue.manga
    first = manga[sorted(manga)[0]]
    found = public.manga.search(first["title"][:20])
    assert found.data[0].node.title == first["title"]
    details = public.manga.get(first["id"])
    assert details.authors is not None
    assert details.num_chapters is not None
    ranked = public.manga.ranking("bypopularity", limit=3)
    assert [edge.ranking.rank for edge in ranked.data] == [1, 2, 3]


def test_manga_lists_read_and_write(alice: Client, server: SandboxServer) -> None:
    expected = server.app.sandbox.catalogue.users["alice"].mangalist
    assert {e.node.id for e in alice.mangalist.list("alice")} == set(expected)
    manga_id = not_on_list(server, "alice", 1, kind="manga")[0]
    entry = alice.mangalist.update(manga_id, status="reading", num_chapters_read=3)
    assert (entry.status, entry.num_chapters_read) == ("reading", 3)
    entry = alice.mangalist.increment(manga_id, 2)
    assert entry.num_chapters_read == 5
    entry = alice.mangalist.complete(manga_id, today=date(2026, 4, 5))
    record = server.app.sandbox.catalogue.manga[manga_id]
    assert entry.status == "completed"
    if record["num_chapters"]:
        assert entry.num_chapters_read == record["num_chapters"]
    assert alice.mangalist.delete(manga_id) is True
    assert alice.mangalist.delete(manga_id) is False


# --- users and forum ------------------------------------------------------------------------------


def test_me_is_the_signed_in_user_with_statistics(alice: Client, server: SandboxServer) -> None:
    me = alice.users.me()
    assert me.name == "alice"
    entries = len(server.app.sandbox.catalogue.users["alice"].animelist)
    assert me.anime_statistics is not None
    assert me.anime_statistics.num_items == entries
    assert alice.users.me(fields=()).anime_statistics is None


def test_forum_boards_topics_and_posts(public: Client, server: SandboxServer) -> None:
    forum = server.app.sandbox.catalogue.forum
    boards = public.forum.boards()
    assert boards.categories
    assert boards.categories[0].boards
    board_id = boards.categories[0].boards[0].id
    topics = public.forum.topics(board_id=board_id, limit=5)
    assert len(topics.data) == 5
    assert all(forum.topics[topic.id]["_board_id"] == board_id for topic in topics.data)
    busy = next(i for i, posts in forum.posts.items() if len(posts) > 4)
    topic = public.forum.topic(busy, limit=2)
    assert topic.model.data.title == forum.topics[busy]["title"]
    posts = list(topic)  # every post, page after page
    assert [post.number for post in posts] == list(range(1, len(forum.posts[busy]) + 1))
