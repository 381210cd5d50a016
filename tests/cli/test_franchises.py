"""`mal list franchises`: the list's anime grouped by their story relations, checked against the
sandbox catalogue's own relations; a bounded crawl that continues where it stopped and never
reads a title twice; a cache that survives a ban."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from cli_support import requests, run_mal, run_on_terminal, run_process, signed_in_config

from malclient import RateLimited
from malclient._retry import RetryPolicy
from malclient.client import Client
from malclient.franchises import FOLLOWED, Graph, RelationCache, Title, crawl, group
from malclient.models import AnimeListEntry, decode
from malclient.sandbox.config import WEB_APP
from malclient.sandbox.server import SandboxServer
from tokens_support import kometa_config, sandbox_config, sandbox_settings, sign_in

READ = "anime_anime_id_get"


@pytest.fixture(scope="module")
def big() -> Iterator[SandboxServer]:
    """A catalogue large enough for franchises of many sizes (alice lists 320 of its anime)."""
    with SandboxServer(sandbox_config(anime_count=1500, manga_count=20)) as server:
        yield server


@pytest.fixture(scope="module")
def alice_config(big: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return signed_in_config(tmp_path_factory.mktemp("alice"), sign_in(big.url))


@pytest.fixture
def public_config(tmp_path: Path) -> Path:
    return kometa_config(tmp_path)


def franchises_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    result = run_mal(capsys, "list", "franchises", "--json", *args)
    assert result.code == 0, result.err
    answer: dict[str, Any] = json.loads(result.out)
    return answer


def reset_stats(origin: str) -> None:
    httpx2.post(f"{origin}/_sandbox/stats/reset")


def expected_clusters(big: SandboxServer, user: str) -> list[set[int]]:
    """The sandbox's truth: clusters of its catalogue joined by story relations, per list title."""
    catalogue = big.app.sandbox.catalogue
    listed = set(catalogue.users[user].animelist)
    clusters: list[set[int]] = []
    placed: set[int] = set()
    for start in sorted(listed):
        if start in placed:
            continue
        cluster, todo = {start}, [start]
        while todo:
            for other, relation in catalogue.anime[todo.pop()]["related_anime"]:
                if relation in FOLLOWED and other not in cluster:
                    cluster.add(other)
                    todo.append(other)
        placed |= cluster
        clusters.append(cluster)
    return clusters


def test_franchises_are_the_story_clusters_of_the_list_in_watch_order(
    capsys: pytest.CaptureFixture[str], big: SandboxServer, alice_config: Path
) -> None:
    answer = franchises_json(capsys, "--config", str(alice_config), "--sandbox", big.url)
    groups = answer["franchises"]
    assert answer["put_off"] == 0
    assert sorted(sorted(m["id"] for m in f["members"]) for f in groups) == sorted(
        sorted(cluster) for cluster in expected_clusters(big, "alice")
    )
    assert any(len(f["members"]) >= 5 for f in groups), "the catalogue has real franchises"
    catalogue = big.app.sandbox.catalogue
    mine = catalogue.users["alice"].animelist
    for franchise in groups:
        assert franchise["complete"] is True
        members = franchise["members"]
        # Watch order: the order the titles came out; titles with no date yet come last.
        dates = [m["start_date"] for m in members]
        dated = [d for d in dates if d is not None]
        assert dates[: len(dated)] == dated == sorted(dated)
        for member in members:
            record = catalogue.anime[member["id"]]
            assert (member["title"], member["media_type"]) == (
                record["title"],
                record["media_type"],
            )
            entry = mine.get(member["id"])
            assert (member["list_status"] or {}).get("status") == (entry or {}).get("status")
        counted = [m for m in members if m["counted"]]
        seen = [m for m in counted if (m["list_status"] or {}).get("status") == "completed"]
        assert (franchise["counted"], franchise["seen"]) == (len(counted), len(seen))
        unseen = [m["id"] for m in counted if m not in seen]
        assert franchise["next"] == (unseen[0] if unseen else None)
        # Promotional clips, music videos and unaired titles are listed but not counted.
        for member in members:
            record = catalogue.anime[member["id"]]
            extra = record["media_type"] in ("pv", "cm", "music")
            assert member["counted"] is not (extra or record["status"] == "not_yet_aired")


def test_the_table_shows_each_franchise_with_what_you_have_seen(
    capsys: pytest.CaptureFixture[str], big: SandboxServer, alice_config: Path
) -> None:
    answer = franchises_json(capsys, "--config", str(alice_config), "--sandbox", big.url)
    table = run_mal(
        capsys, "list", "franchises", "--config", str(alice_config), "--sandbox", big.url
    )
    assert table.code == 0, table.err
    largest = max(answer["franchises"], key=lambda f: len(f["members"]))
    heading = f"{largest['name']} — seen {largest['seen']}/{largest['counted']}"
    assert heading in table.out
    lines = table.out.splitlines()
    start = next(i for i, line in enumerate(lines) if heading in line)
    for number, member in enumerate(largest["members"], 1):
        row = lines[start + number].split()
        assert row[:2] == [str(number), str(member["id"])]
    # A second run reads nothing from MAL but the list's change check.
    reset_stats(big.url)
    assert (
        run_mal(
            capsys, "list", "franchises", "--config", str(alice_config), "--sandbox", big.url
        ).out
        == table.out
    )
    assert requests(big.url)[READ] == 0


def test_the_crawl_is_bounded_and_the_next_run_continues_reading_each_title_once(
    capsys: pytest.CaptureFixture[str], big: SandboxServer, public_config: Path
) -> None:
    where = ("--user", "bob", "--config", str(public_config), "--sandbox", big.url)
    reset_stats(big.url)
    first = run_mal(capsys, "list", "franchises", "--json", "--max-requests", "200", *where)
    assert first.code == 0
    assert requests(big.url)[READ] == 200
    assert "stopped after 200 requests (--max-requests)" in first.err
    assert "Run the same command again to continue." in first.err
    partial = json.loads(first.out)
    assert partial["put_off"] > 0
    assert any(not f["complete"] for f in partial["franchises"])

    runs = 1
    while True:
        answer = franchises_json(capsys, "--max-requests", "200", *where)
        runs += 1
        if answer["put_off"] == 0:
            break
        assert answer["requests"] == 200
    everything = set().union(*expected_clusters(big, "bob"))
    # Every title of every franchise read exactly once over all the runs.
    assert requests(big.url)[READ] == len(everything)
    assert runs == -(-len(everything) // 200)
    assert all(f["complete"] for f in answer["franchises"])
    assert sorted(sorted(m["id"] for m in f["members"]) for f in answer["franchises"]) == sorted(
        sorted(cluster) for cluster in expected_clusters(big, "bob")
    )


def test_filters_start_from_some_entries_and_hide_finished_franchises(
    capsys: pytest.CaptureFixture[str], big: SandboxServer, alice_config: Path
) -> None:
    where = ("--config", str(alice_config), "--sandbox", big.url)
    everything = franchises_json(capsys, *where)["franchises"]
    completed = franchises_json(capsys, "--status", "completed", *where)["franchises"]
    unfinished = franchises_json(capsys, "--unfinished", *where)["franchises"]
    assert 0 < len(completed) < len(everything)
    for franchise in completed:
        statuses = [(m["list_status"] or {}).get("status") for m in franchise["members"]]
        assert "completed" in statuses
    assert unfinished == [f for f in everything if f["next"] is not None]
    assert 0 < len(unfinished) < len(everything)


def test_an_empty_list_says_so_and_reads_nothing(
    capsys: pytest.CaptureFixture[str], big: SandboxServer, public_config: Path
) -> None:
    where = ("--user", "carol", "--config", str(public_config), "--sandbox", big.url)
    reset_stats(big.url)
    empty = run_mal(capsys, "list", "franchises", *where)
    assert (empty.code, empty.out, empty.err) == (0, "No franchises: the list has no anime.\n", "")
    assert franchises_json(capsys, *where) == {"requests": 0, "put_off": 0, "franchises": []}
    assert requests(big.url)[READ] == 0


def test_anyones_list_as_a_real_process(big: SandboxServer, public_config: Path) -> None:
    result = run_process(
        "list", "franchises", "--user", "alice", "--config", str(public_config),
        "--sandbox", big.url,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert " — seen " in result.out
    assert result.err == ""


def test_a_terminal_shows_the_crawl_as_a_progress_bar(
    big: SandboxServer, public_config: Path
) -> None:
    where = ("--user", "alice", "--config", str(public_config), "--sandbox", big.url)
    code, screen = run_on_terminal("list", "franchises", *where, MAL_RATE="2000")
    assert code == 0, screen
    assert "reading relations" in screen
    assert "━" in screen
    assert " — seen " in screen


def test_a_negative_bound_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], big: SandboxServer, public_config: Path
) -> None:
    result = run_mal(
        capsys, "list", "franchises", "--user", "alice", "--max-requests", "-1",
        "--config", str(public_config), "--sandbox", big.url,
    )  # fmt: skip
    assert result.code == 2
    assert result.err == "mal: --max-requests must be 0 or more, not -1\n"


# --- the library: cache age, refresh, bans ----------------------------------------------------


def public_client(origin: str, **options: Any) -> Client:
    return Client(WEB_APP.client_id, api_url=f"{origin}/v2", rate=None, **options)


def test_titles_read_over_a_month_ago_are_read_again(big: SandboxServer, tmp_path: Path) -> None:
    seeds = sorted(big.app.sandbox.catalogue.users["alice"].animelist)[:20]
    with (
        public_client(big.url) as client,
        RelationCache(tmp_path / "r.sqlite3", client.api_url) as cache,
    ):
        first = crawl(client, seeds, cache, max_requests=10_000, clock=lambda: 1_000_000.0)
        later = 1_000_000.0 + 29 * 86_400
        assert crawl(client, seeds, cache, max_requests=10_000, clock=lambda: later).requests == 0
        again = crawl(client, seeds, cache, max_requests=10_000, refresh=True, clock=lambda: later)
        assert again.requests == first.requests
        much_later = later + 31 * 86_400
        stale = crawl(client, seeds, cache, max_requests=10_000, clock=lambda: much_later)
        assert stale.requests == first.requests


def test_the_cache_keeps_sandbox_and_mal_apart(big: SandboxServer, tmp_path: Path) -> None:
    seeds = sorted(big.app.sandbox.catalogue.users["alice"].animelist)[:5]
    path = tmp_path / "r.sqlite3"
    with public_client(big.url) as client, RelationCache(path, client.api_url) as cache:
        crawl(client, seeds, cache, max_requests=100)
    with RelationCache(path, "https://api.myanimelist.net/v2") as other:
        assert other.load().titles == {}


def test_a_ban_mid_crawl_keeps_what_was_read(big: SandboxServer, tmp_path: Path) -> None:
    seeds = sorted(big.app.sandbox.catalogue.users["alice"].animelist)
    quick = RetryPolicy(throttle_retries=0, cool_down=0.01, max_cool_down=0.01)
    reset_stats(big.url)
    sandbox_settings(big.url, rate_limit="rate=1,burst=30,ban-after=1,ban-seconds=3600")
    try:
        with (
            public_client(big.url, retries=quick) as client,
            RelationCache(tmp_path / "r.sqlite3", client.api_url) as cache,
        ):
            with pytest.raises(RateLimited):
                crawl(client, seeds, cache, max_requests=10_000)
            answered = len(cache.load().relations)
            assert answered > 0
            sandbox_settings(big.url, rate_limit=None)
            reset_stats(big.url)
            done = crawl(client, seeds, cache, max_requests=10_000)
    finally:
        sandbox_settings(big.url, rate_limit=None)
    # Only the titles not read before the ban are asked for again.
    assert requests(big.url)[READ] == done.requests
    assert done.requests < len(set().union(*expected_clusters(big, "alice")))


# --- grouping, pure ---------------------------------------------------------------------------


def entry(anime_id: int, status: str, watched: int = 0) -> AnimeListEntry:
    raw = {
        "node": {"id": anime_id, "title": f"#{anime_id}"},
        "list_status": {"status": status, "num_episodes_watched": watched},
    }
    return decode(json.dumps(raw).encode(), AnimeListEntry)


def title(
    anime_id: int,
    media_type: str,
    start: str | None,
    episodes: int = 12,
    status: str = "finished_airing",
) -> Title:
    return Title(anime_id, f"Show {anime_id}", media_type, start, episodes, status, read_at=1.0)


def test_grouping_follows_story_relations_only_and_counts_what_can_be_watched() -> None:
    graph = Graph()
    for t in (
        title(1, "movie", "2011-01-01", 1),
        title(2, "tv", "2012-04-01"),
        title(3, "tv", "2014"),
        title(4, "pv", "2012-03-01", 1),
        title(5, "tv", None, 0, "not_yet_aired"),
        title(9, "tv", "2000-01-01"),  # only a crossover (`character`) and an `other` link
        title(10, "music", "2001-01-01", 1),
    ):
        graph.titles[t.id] = t
    graph.relations = {
        1: {2: "parent_story"},
        2: {1: "side_story", 3: "sequel", 4: "side_story", 9: "character"},
        3: {2: "prequel", 5: "sequel"},
        4: {2: "parent_story"},
        5: {3: "prequel"},
        9: {2: "character", 10: "other"},
        10: {9: "other"},
    }
    groups = group(graph, [entry(2, "completed"), entry(3, "watching", 5), entry(9, "dropped", 3)])
    assert [[m.title.id for m in g.members] for g in groups] == [[1, 4, 2, 3, 5], [9]]
    story = groups[0]
    # The first TV series names it, though a movie came out first.
    assert story.name == "Show 2"
    # Neither the promotional clip nor the unaired sequel counts.
    assert (story.seen, story.counted) == (1, 3)
    assert (story.episodes_seen, story.episodes) == (12 + 5, 1 + 12 + 12)
    assert story.next is not None
    assert story.next.title.id == 1


def test_a_list_title_never_read_stands_alone_marked_incomplete() -> None:
    groups = group(Graph(), [entry(7, "plan_to_watch")])
    assert [(g.name, g.complete, g.seen, g.counted) for g in groups] == [("#7", False, 0, 1)]
