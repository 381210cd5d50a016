"""The sandbox's synthetic MyAnimeList: anime, manga, forum and users, generated from a seed.

CONTRACT (other sandbox modules rely on it; keep it true):
- `build_catalogue(seed, anime_count, manga_count, users)` is deterministic for its arguments.
- `Catalogue.anime[id]` / `Catalogue.manga[id]` are dicts holding every field of SPEC 5.1 / 5.2
  (except `my_list_status`, which depends on the caller) under MAL's names, in the order of the
  official "all fields" samples (SPEC 4.2 / 4.9). Values are JSON-ready, except:
    related_anime:   list[tuple[int, str]]   (anime id, relation_type)
    related_manga:   list[tuple[int, str]]   (manga id, relation_type)
    recommendations: list[tuple[int, int]]   (same-kind id, num_recommendations)
  Fields that MAL omits when unknown are absent (not None): mean, rank, start_date, end_date,
  broadcast, main_picture.large, ... Keys starting with "_" are internal and never rendered:
    _approved: bool   False for a few titles: hidden from search/ranking/season, and adding one
                      to a list answers 400 invalid_content (SPEC 4.6)
    _search: str      lower-cased title + alternative titles, for `q` matching
  These records are shared between sandboxes built with the same arguments: treat as read-only.
- `Catalogue.users[name.lower()]` is a `UserData` whose lists are fresh per call (mutable).
  List entries hold stored list-status dicts under the *response* names (SPEC 5.3 / 5.4), in MAL's
  key order, every key present except unset dates (absent, never None).
- `Catalogue.forum` holds the forum (SPEC 4.11) in the observed key orders. It is shared and
  read-only like the records; `Forum.posts` writes a topic's posts on first access.
- Dates are relative to `REFERENCE_DATE` (the catalogue's "today"), not to the sandbox clock.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from malclient.sandbox._gen_forum import build_forum
from malclient.sandbox._gen_lists import Entries, UserTemplate, build_user
from malclient.sandbox._gen_media import REFERENCE_DATE, Media, build_media
from malclient.sandbox.config import SandboxUser

__all__ = ["REFERENCE_DATE", "Catalogue", "Forum", "Record", "UserData", "build_catalogue"]

Record = dict[str, Any]


@dataclass
class UserData:
    account: SandboxUser
    # /users/@me fields beyond id/name, in MAL order: gender, birthday, location, joined_at,
    # picture, time_zone, is_supporter (absent when unset).
    profile: Record
    animelist: dict[int, Record] = field(default_factory=dict)
    mangalist: dict[int, Record] = field(default_factory=dict)


@dataclass
class Forum:
    # Exactly the `categories` value of GET /forum/boards.
    categories: list[Record]
    # topic id -> topic as listed by GET /forum/topics, plus internal `_board_id`,
    # `_subboard_id` (int | None) and `_user_names` (set of names of everyone who posted).
    topics: dict[int, Record]
    # topic id -> posts, oldest first, as in GET /forum/topic/{id}
    posts: Mapping[int, list[Record]]
    # topic id -> poll object ({id, question, closed, options[{id, text, votes}]}); absent = null
    polls: dict[int, Record]


@dataclass
class Catalogue:
    seed: int
    anime: dict[int, Record]
    manga: dict[int, Record]
    users: dict[str, UserData]
    forum: Forum


# Users who take part in the forum: the two with lists (carol has just joined).
_FORUM_MEMBERS = ("alice", "bob")


def build_catalogue(
    seed: int, anime_count: int, manga_count: int, users: Sequence[SandboxUser]
) -> Catalogue:
    if anime_count < 0 or manga_count < 0:
        raise ValueError("anime_count and manga_count must not be negative")
    with _generating():
        media = _media(seed, anime_count, manga_count)
        members = tuple(u for u in users if u.name.lower() in _FORUM_MEMBERS)
        forum = _forum(seed, anime_count, manga_count, members)
        accounts = {}
        for user in users:
            template = _user(seed, anime_count, manga_count, user)
            accounts[user.name.lower()] = UserData(
                account=user,
                profile=dict(template.profile),
                animelist=_fresh(template.animelist),
                mangalist=_fresh(template.mangalist),
            )
    return Catalogue(seed, media.anime, media.manga, accounts, forum)


def _fresh(entries: Entries) -> dict[int, Record]:
    """Mutable copies of a list template (the API edits entries in place)."""
    return {title_id: {**status, "tags": list(status["tags"])} for title_id, status in entries}


# Anime, manga and forum never change after generation, so sandboxes built with the same
# arguments share them; only users' lists are copied per sandbox.
@functools.lru_cache(maxsize=8)
def _media(seed: int, anime_count: int, manga_count: int) -> Media:
    return build_media(seed, anime_count, manga_count)


@functools.lru_cache(maxsize=8)
def _forum(
    seed: int, anime_count: int, manga_count: int, members: tuple[SandboxUser, ...]
) -> Forum:
    media = _media(seed, anime_count, manga_count)
    built = build_forum(seed, members, _popular_titles(media.anime), _popular_titles(media.manga))
    return Forum(built.categories, built.topics, built.posts, built.polls)


@functools.lru_cache(maxsize=32)
def _user(seed: int, anime_count: int, manga_count: int, user: SandboxUser) -> UserTemplate:
    return build_user(seed, user, _media(seed, anime_count, manga_count))


def _popular_titles(records: Mapping[int, Record], limit: int = 300) -> list[tuple[int, str]]:
    """(id, title) of the most popular safe-for-work approved titles: forum topics' subjects."""
    ranked = sorted(
        (rec["popularity"], rec["id"], rec["title"])
        for rec in records.values()
        if rec["_approved"] and rec["nsfw"] == "white"
    )
    return [(title_id, title) for _, title_id, title in ranked[:limit]]


@contextmanager
def _generating() -> Iterator[None]:
    """Generation allocates about a million objects that live as long as the process (they are
    cached). The cyclic collector only slows that down, so it is paused meanwhile; whatever was
    generated then moves to the permanent generation (`gc.freeze`) so that later collections
    do not rescan it. Together this saves about 40% of a cold build. (Generated data holds no
    reference cycles, so refcounting still frees an evicted catalogue.)"""
    before = _cache_misses()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _cache_misses() != before:
            gc.freeze()
        if enabled:
            gc.enable()


def _cache_misses() -> int:
    return sum(cache.cache_info().misses for cache in (_media, _forum, _user))
