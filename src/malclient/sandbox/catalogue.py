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
- `Catalogue.forum` holds the forum (SPEC 4.11) in the observed key orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from malclient.sandbox.config import SandboxUser

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
    posts: dict[int, list[Record]]
    # topic id -> poll object ({id, question, closed, options[{id, text, votes}]}); absent = null
    polls: dict[int, Record]


@dataclass
class Catalogue:
    seed: int
    anime: dict[int, Record]
    manga: dict[int, Record]
    users: dict[str, UserData]
    forum: Forum


def build_catalogue(
    seed: int, anime_count: int, manga_count: int, users: Sequence[SandboxUser]
) -> Catalogue:
    raise NotImplementedError
