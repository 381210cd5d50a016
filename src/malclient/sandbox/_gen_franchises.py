"""Franchises of the synthetic catalogue: titles grouped into universes, their members' roles,
media types, relative timelines and MAL's relations between them (SPEC 5.1).

Planning only: `plan()` returns `Entry` objects that `_gen_media` turns into records.
"""

from __future__ import annotations

import math
import random
from datetime import date
from typing import Any

from malclient.sandbox import _gen_titles as names
from malclient.sandbox._gen_dates import REF
from malclient.sandbox._gen_titles import Name
from malclient.sandbox._gen_words import (
    ANIME_GENRES,
    AUTHOR_ROLES,
    BLACK_GENRE,
    GIVEN_NAMES,
    GRAY_GENRE,
    MAGAZINES,
    MAIN_GENRES,
    NOUNS,
    PLACES,
    STUDIOS,
    SYNOPSIS_MIDDLES,
    SYNOPSIS_OPENERS,
    THEMES,
)

_OLDEST = date(1961, 1, 1).toordinal()

# MAL's relation pairs (SPEC 5.1): what B is to A -> what A is to B.
INVERSE_RELATION = {
    "sequel": "prequel",
    "prequel": "sequel",
    "side_story": "parent_story",
    "spin_off": "parent_story",
    "summary": "full_story",
    "full_story": "summary",
    "alternative_version": "alternative_version",
    "alternative_setting": "alternative_setting",
    "character": "character",
    "other": "other",
    "adaptation": "adaptation",
}


def _table(weights: dict[Any, int]) -> tuple[Any, ...]:
    """A lookup table for O(1) weighted picks: `table[int(rng.random() * len(table))]`."""
    return tuple(value for value, weight in weights.items() for _ in range(weight))


SINGLE_ANIME_TYPES = _table(
    {
        "tv": 34,
        "movie": 13,
        "ova": 13,
        "ona": 14,
        "special": 10,
        "music": 8,
        "tv_special": 2,
        "cm": 2,
        "pv": 3,
        "unknown": 1,
    }
)
EXTRA_ROLES = _table(
    {
        "movie": 22,
        "ova": 18,
        "special": 20,
        "recap": 7,
        "spin_off": 9,
        "music": 8,
        "pv": 8,
        "cm": 3,
        "remake": 2,
    }
)
MANGA_TYPES = _table(
    {
        "manga": 55,
        "light_novel": 10,
        "novel": 6,
        "one_shot": 9,
        "doujinshi": 5,
        "manhwa": 8,
        "manhua": 5,
        "oel": 2,
    }
)
MANGA_EXTRA_ROLES = _table({"sequel": 30, "side": 30, "spin_off": 20, "pilot": 10, "alt": 10})
ORIGINAL_SOURCES = _table(
    {
        "original": 45,
        "game": 12,
        "visual_novel": 12,
        "other": 8,
        "card_game": 3,
        "music": 3,
        "picture_book": 3,
        "book": 3,
        "radio": 1,
        "mixed_media": 4,
        "web_novel": 3,
        "digital_manga": 1,
        "novel": 2,
    }
)
DEMOGRAPHIC_TABLE = _table({27: 40, 42: 25, 25: 20, 43: 7, 15: 8})
STUDIO_OBJ = [{"id": sid, "name": name} for sid, name in STUDIOS]
MAGAZINE_OBJ = [{"node": {"id": mid, "name": name}, "role": ""} for mid, name in MAGAZINES]


class Universe:
    """A franchise: what its anime and manga share (title, genres, tone, studio, quality)."""

    __slots__ = (
        "authors",
        "en",
        "genres",
        "hype",
        "ja",
        "magazine",
        "name",
        "nsfw",
        "quality",
        "rating",
        "season_style",
        "source",
        "studios",
        "synonyms",
        "synopsis",
    )

    name: Name
    ja: str
    en: str
    synonyms: list[str]
    genres: tuple[int, ...]
    nsfw: str
    rating: str
    quality: float
    hype: float
    studios: list[dict[str, Any]]
    source: str
    season_style: int
    authors: list[dict[str, Any]]
    magazine: list[dict[str, Any]]
    synopsis: str


class Entry:
    """One anime or manga while it is being planned; becomes a record dict at the end."""

    __slots__ = (
        "approved",
        "chapters",
        "created",
        "duration",
        "episodes",
        "favorites",
        "id",
        "kind",
        "length",
        "list_users",
        "mean",
        "media_type",
        "name",
        "offset",
        "popularity",
        "precision",
        "rank",
        "recs",
        "related",
        "related_other",
        "role",
        "scoring",
        "start",
        "status",
        "synonyms",
        "uni",
        "updated",
        "volumes",
    )

    def __init__(self, kind: str, uni: Universe, role: str, name: Name, media_type: str) -> None:
        self.kind = kind
        self.uni = uni
        self.role = role
        self.name = name
        self.media_type = media_type
        self.synonyms: list[str] = []
        self.related: list[tuple[Entry, str]] = []
        self.related_other: list[tuple[Entry, str]] = []
        self.recs: list[tuple[Entry, int]] = []
        self.offset = 0
        self.length = 0
        self.episodes = 0
        self.duration = 0
        self.volumes = 0
        self.chapters = 0
        self.precision = 3
        self.approved = True
        self.id = 0
        self.rank = 0
        self.popularity = 0
        self.mean = 0.0
        self.scoring = 0
        self.list_users = 0
        self.favorites = 0
        self.start = 0
        self.status = ""
        self.created = 0
        self.updated = 0


def link(a: Entry, b: Entry, b_is: str) -> None:
    """Record that `b` is `a`'s <b_is> and, symmetrically, what `a` is to `b`."""
    if a.kind == b.kind:
        a.related.append((b, b_is))
        b.related.append((a, INVERSE_RELATION[b_is]))
    else:
        a.related_other.append((b, b_is))
        b.related_other.append((a, INVERSE_RELATION[b_is]))


# --- planning ------------------------------------------------------------------------------------


def _universe(rng: random.Random, used: set[str], black: float, gray: float) -> Universe:
    u = Universe()
    u.name = names.base_name(rng, used)
    u.ja = u.name[1]
    u.en = u.name[2] if rng.random() < 0.72 else ""
    u.synonyms = names.synonyms(rng, u.name)
    r = rng.random()
    u.nsfw = "black" if r < black else "gray" if r < black + gray else "white"
    genres: set[int] = set()
    if u.nsfw == "black":
        genres.add(BLACK_GENRE)
        if rng.random() < 0.5:
            genres.add(THEMES[int(rng.random() * len(THEMES))])
    else:
        for _ in range(1 + int(rng.random() * 3)):
            genres.add(MAIN_GENRES[int(rng.random() * len(MAIN_GENRES))])
        for _ in range(int(rng.random() * 3)):
            genres.add(THEMES[int(rng.random() * len(THEMES))])
        if rng.random() < 0.7:
            genres.add(DEMOGRAPHIC_TABLE[int(rng.random() * len(DEMOGRAPHIC_TABLE))])
        if u.nsfw == "gray":
            genres.add(GRAY_GENRE)
    # MAL lists genres sorted by name.
    u.genres = tuple(sorted(genres, key=ANIME_GENRES.__getitem__))
    if u.nsfw == "black":
        u.rating = "rx"
    elif u.nsfw == "gray":
        u.rating = "r+" if rng.random() < 0.7 else "r"
    elif 15 in genres:
        u.rating = "g" if rng.random() < 0.6 else "pg"
    else:
        r = rng.random()
        u.rating = "pg_13" if r < 0.62 else "r" if r < 0.82 else "pg" if r < 0.96 else "g"
    u.quality = min(8.6, max(3.2, rng.gauss(6.85, 0.75)))
    if u.nsfw == "black":
        u.quality -= 0.5
    u.hype = math.exp(rng.gauss(8.0, 1.9) if u.nsfw != "black" else rng.gauss(6.8, 1.1))
    n_studios = 1 if rng.random() < 0.85 else 2
    # A few prolific studios make most shows, as on MAL.
    u.studios = [STUDIO_OBJ[int(rng.random() ** 2 * len(STUDIO_OBJ))] for _ in range(n_studios)]
    if n_studios == 2 and u.studios[0] is u.studios[1]:
        u.studios.pop()
    u.source = ""
    u.season_style = int(rng.random() * 5)
    u.authors = []
    u.magazine = []
    hero = GIVEN_NAMES[int(rng.random() * len(GIVEN_NAMES))][0]
    other = GIVEN_NAMES[int(rng.random() * len(GIVEN_NAMES))][0]
    w = NOUNS[int(rng.random() * len(NOUNS))][2]
    v = NOUNS[int(rng.random() * len(NOUNS))][2].lower()
    place = PLACES[int(rng.random() * len(PLACES))]
    fields = {"a": hero, "b": other, "w": w.lower(), "W": w, "v": v, "place": place}
    opener = SYNOPSIS_OPENERS[int(rng.random() * len(SYNOPSIS_OPENERS))].format(**fields)
    middle = SYNOPSIS_MIDDLES[int(rng.random() * len(SYNOPSIS_MIDDLES))].format(**fields)
    u.synopsis = f"{opener[0].upper()}{opener[1:]} {middle}"
    return u


def _anime_episodes(rng: random.Random, media_type: str) -> tuple[int, int]:
    """(num_episodes, average_episode_duration in seconds) typical of a media type."""
    r = rng.random()
    if media_type == "tv":
        if r < 0.38:
            eps = 12
        elif r < 0.52:
            eps = 13
        elif r < 0.60:
            eps = 24
        elif r < 0.70:
            eps = 25 + int(rng.random() * 2)
        elif r < 0.78:
            eps = 10 + int(rng.random() * 2)
        elif r < 0.88:
            eps = 36 + int(rng.random() * 17)
        elif r < 0.93:
            return 8 + int(rng.random() * 6), 120 + int(rng.random() * 300)
        elif r < 0.98:
            eps = 60 + int(rng.random() * 140)
        else:
            eps = 200 + int(rng.random() * 600)
        return eps, 1380 + int(rng.random() * 120)
    if media_type == "movie":
        return 1, 3600 + int(rng.random() * 4800)
    if media_type == "ova":
        eps = 1 if r < 0.45 else 2 + int(rng.random() * 5) if r < 0.9 else 7 + int(rng.random() * 7)
        return eps, 1200 + int(rng.random() * 1200)
    if media_type == "ona":
        eps = (
            1
            if r < 0.15
            else 2 + int(rng.random() * 11)
            if r < 0.7
            else 13 + int(rng.random() * 14)
        )
        return eps, 180 + int(rng.random() * 1260)
    if media_type == "special":
        return (1 if r < 0.4 else 2 + int(rng.random() * 8)), 120 + int(rng.random() * 1380)
    if media_type == "tv_special":
        return 1 + int(r * 2), 1500 + int(rng.random() * 3900)
    if media_type == "music":
        return 1, 180 + int(rng.random() * 120)
    if media_type == "cm":
        return 1 + int(r * 5), 15 + int(rng.random() * 45)
    if media_type == "pv":
        return 1 + int(r * 3), 60 + int(rng.random() * 90)
    return 0, 0  # unknown


def _run_length(e: Entry) -> int:
    """Days from the first to the last episode."""
    if e.media_type in ("tv", "ona"):
        return max(0, e.episodes - 1) * 7
    if e.media_type in ("ova", "special") and e.episodes > 1:
        return (e.episodes - 1) * 45
    return 0


def _anime_roles(rng: random.Random, n: int) -> tuple[int, list[str]]:
    """(number of TV seasons, roles of the remaining members) for a franchise of n anime."""
    if n <= 1:
        return 1, []
    if n <= 3:
        seasons = 1 + int(rng.random() * 2)
    elif n <= 9:
        seasons = 1 + int(rng.random() * 4)
    else:
        seasons = max(3, int(n * (0.25 + rng.random() * 0.2)))
    seasons = min(seasons, n)
    extras: list[str] = []
    while len(extras) < n - seasons:
        role = _extra_role(rng)
        if role != "remake" or "remake" not in extras:
            extras.append(role)
    return seasons, extras


def _extra_role(rng: random.Random) -> str:
    role: str = EXTRA_ROLES[int(rng.random() * len(EXTRA_ROLES))]
    return role


def _plan_anime(rng: random.Random, u: Universe, n: int) -> list[Entry]:
    base = u.name
    if n == 1:
        media_type = SINGLE_ANIME_TYPES[int(rng.random() * len(SINGLE_ANIME_TYPES))]
        e = Entry("anime", u, "single", base, media_type)
        e.synonyms = u.synonyms
        e.episodes, e.duration = _anime_episodes(rng, media_type)
        e.length = _run_length(e)
        return [e]
    n_seasons, extras = _anime_roles(rng, n)
    main_type = "tv" if rng.random() < 0.85 else "ona"
    seasons: list[Entry] = []
    offset = 0
    number = 1
    for i in range(n_seasons):
        if i == 0:
            name = base
        elif rng.random() < 0.15:
            name = names.part_two(seasons[-1].name)
        else:
            number += 1
            if i == n_seasons - 1 and number >= 4 and rng.random() < 0.3:
                name = names.final_season(base)
            else:
                name = names.season(base, number, u.season_style, rng)
        e = Entry("anime", u, "season", name, main_type)
        e.episodes, e.duration = _anime_episodes(rng, main_type)
        if i:
            gap = 90 + int(rng.random() * 120) if name[0].endswith("Part 2") else 300
            offset = seasons[-1].offset + seasons[-1].length + gap + int(rng.random() * 800)
            link(seasons[-1], e, "sequel")
        e.offset = offset
        e.length = _run_length(e)
        seasons.append(e)
    seasons[0].synonyms = u.synonyms
    # Where each extra sits in the timeline first, so that "Movie 1" comes before "Movie 2".
    specs = []
    for role in extras + [_extra_role(rng) for _ in range(len(extras))]:
        parent = seasons[int(rng.random() * len(seasons))]
        after = parent.offset + parent.length
        if role == "movie":
            offset = after + 60 + int(rng.random() * 640)
        elif role == "ova":
            offset = after - 30 + int(rng.random() * 430)
        elif role == "special":
            offset = after - 20 + int(rng.random() * 200)
        elif role == "recap":
            offset = parent.offset + parent.length // 2
        elif role == "spin_off":
            offset = parent.offset + 100 + int(rng.random() * 1400)
        elif role == "music":
            offset = parent.offset + int(rng.random() * 800)
        elif role in ("pv", "cm"):
            offset = parent.offset - 30 - int(rng.random() * 170)
        else:  # remake, years after the last season
            offset = seasons[-1].offset + seasons[-1].length + 2000 + int(rng.random() * 4000)
        specs.append((offset, role, parent))
    # The second half are spares that only stand in for duplicate names ("X Specials" twice).
    queue = sorted(specs[: len(extras)], key=lambda spec: spec[0]) + specs[len(extras) :]
    used = {e.name[0] for e in seasons}
    members = list(seasons)
    counters = {"movie": 0, "ova": 0}
    for offset, role, parent in queue:
        if len(members) >= n:
            break
        name, media_type, relation = _extra(rng, role, base, parent, counters)
        if name[0] in used or (role == "remake" and any(m.role == "remake" for m in members)):
            continue
        used.add(name[0])
        e = Entry("anime", u, role, name, media_type)
        e.episodes, e.duration = _anime_episodes(rng, media_type)
        e.offset = offset
        e.length = _run_length(e)
        link(parent if relation != "alternative_version" else seasons[0], e, relation)
        members.append(e)
    return members


def _extra(
    rng: random.Random, role: str, base: Name, parent: Entry, counters: dict[str, int]
) -> tuple[Name, str, str]:
    """(name, media type, relation of the new entry to its parent) of a franchise extra."""
    if role == "movie":
        counters["movie"] += 1
        return names.movie(base, counters["movie"], rng), "movie", "side_story"
    if role == "ova":
        counters["ova"] += 1
        return names.ova(base, counters["ova"], rng), "ova", "side_story"
    if role == "special":
        return names.specials(parent.name), "special", "side_story"
    if role == "recap":
        media_type = "special" if rng.random() < 0.6 else "tv_special"
        return names.recap(parent.name, rng), media_type, "summary"
    if role == "spin_off":
        name, chibi = names.spin_off(base, rng)
        media_type = ("ona", "tv", "ova")[int(rng.random() * 3)]
        relation = "character" if chibi and rng.random() < 0.3 else "spin_off"
        if not chibi and rng.random() < 0.2:
            relation = "alternative_setting"
        return name, media_type, relation
    if role == "music":
        return names.music(base, rng), "music", "other"
    if role in ("pv", "cm"):
        return names.promo(parent.name, role.upper()), role, "other"
    # A remake is named after its start year once the timeline is placed.
    return names.remake(base, 0), "tv", "alternative_version"


def _manga_numbers(rng: random.Random, e: Entry) -> None:
    """Planned volumes, chapters and run length (days) of a manga."""
    mt = e.media_type
    if mt == "one_shot":
        e.volumes, e.chapters, e.length = 1, 1, 0
    elif mt in ("light_novel", "novel"):
        e.volumes = 1 + int(rng.random() ** 1.5 * 25)
        e.chapters = e.volumes * (4 + int(rng.random() * 6)) if rng.random() < 0.6 else 0
        e.length = e.volumes * (90 + int(rng.random() * 120))
    else:
        weekly = rng.random() < 0.45
        if weekly:
            e.chapters = 20 + int(rng.random() ** 2 * 600)
            e.length = e.chapters * 7
        else:
            e.chapters = 4 + int(rng.random() ** 1.5 * 90)
            e.length = e.chapters * 30
        e.volumes = max(1, e.chapters // (8 + int(rng.random() * 3)))
        if mt in ("manhwa", "manhua") and rng.random() < 0.5:
            e.volumes = 0  # web releases often have no volumes on MAL


def _plan_manga(rng: random.Random, u: Universe, n: int, main_type: str) -> list[Entry]:
    base = u.name
    main = Entry("manga", u, "main", base, main_type)
    main.synonyms = u.synonyms
    _manga_numbers(rng, main)
    members = [main]
    used = {base[0]}
    sequel_k = 1
    last_sequel = main
    attempts = 0
    while len(members) < n and attempts < 8 * n:
        attempts += 1
        role = MANGA_EXTRA_ROLES[int(rng.random() * len(MANGA_EXTRA_ROLES))]
        media_type = "manga" if main_type not in ("manhwa", "manhua") else main_type
        relation = "side_story"
        anchor = main
        if role == "sequel":
            sequel_k += 1
            name = names.manga_sequel(base, sequel_k, rng)
            media_type, anchor, relation = main_type, last_sequel, "sequel"
        elif role == "side":
            name = names.manga_side(base, rng)
            if rng.random() < 0.4:
                media_type = "one_shot"
        elif role == "spin_off":
            if rng.random() < 0.4:
                name = names.manga_anthology(base)
            else:
                name = names.spin_off(base, rng)[0]
            relation = "spin_off"
            if main_type == "manga" and rng.random() < 0.2:
                media_type = "novel"
        elif role == "pilot":
            name, media_type, relation = names.pilot(base), "one_shot", "alternative_version"
        else:  # the manga version of a novel, or the novel of a manga
            name = names.manga_arc(base, rng)
            relation = "alternative_version"
            media_type = "manga" if main_type in ("light_novel", "novel") else "light_novel"
        if name[0] in used:
            continue
        used.add(name[0])
        e = Entry("manga", u, role, name, media_type)
        _manga_numbers(rng, e)
        if role == "sequel":
            e.offset = anchor.offset + anchor.length + 30 + int(rng.random() * 700)
            last_sequel = e
        elif role == "pilot":
            e.offset = main.offset - 200 - int(rng.random() * 600)
        else:
            e.offset = main.offset + int(rng.random() * max(365, main.length))
        link(anchor, e, relation)
        members.append(e)
    return members


def _source_for(main_manga_type: str, rng: random.Random) -> str:
    if main_manga_type == "light_novel":
        return "light_novel"
    if main_manga_type == "novel":
        return "web_novel" if rng.random() < 0.2 else "novel"
    if main_manga_type in ("manhwa", "manhua"):
        return "web_manga"
    r = rng.random()
    return "4_koma_manga" if r < 0.08 else "web_manga" if r < 0.16 else "manga"


def _anime_size(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.56:
        return 1
    if r < 0.80:
        return 2 + int(rng.random() * 2)
    if r < 0.975:
        return 4 + int(rng.random() * 6)
    return 10 + int(rng.random() ** 2 * 21)


def _manga_size(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.72:
        return 1
    if r < 0.92:
        return 2 + int(rng.random() * 2)
    if r < 0.99:
        return 4 + int(rng.random() * 5)
    return 9 + int(rng.random() * 6)


def _latest_start(rng: random.Random) -> int:
    """When a franchise's most recent member starts: a few upcoming, many recent, a long tail."""
    r = rng.random()
    if r < 0.05:
        return REF + 20 + int(rng.random() * 580)
    if r < 0.12:
        return REF - int(rng.random() * 150)
    # Most titles are recent; the 1960s and 70s are a thin tail, as on MAL.
    return REF - int(min(62.0, rng.expovariate(1 / 13)) * 365)


def _place(rng: random.Random, members: list[Entry]) -> None:
    """Shift a franchise's relative offsets to real dates ending at a plausible latest start."""
    lo = min(e.offset for e in members)
    hi = max(e.offset for e in members)
    latest = max(_latest_start(rng), _OLDEST + (hi - lo))
    shift = latest - hi
    for e in members:
        e.start = e.offset + shift


def plan(seed: int, anime_count: int, manga_count: int) -> tuple[list[Entry], list[Entry]]:
    rng = random.Random(f"malclient-sandbox:{seed}:franchises")
    used: set[str] = set()
    anime: list[Entry] = []
    manga: list[Entry] = []
    # A few long-running franchises (seasons, movies, OVAs, recaps, spin-offs) exist for sure.
    forced_long = min(6, anime_count // 2000) + (1 if anime_count >= 30 else 0)
    anime_left, manga_left = anime_count, manga_count
    while anime_left > 0 or manga_left > 0:
        if forced_long > 0:
            forced_long -= 1
            n_anime = min(anime_left, 12 + int(rng.random() * 19))
            n_manga = min(manga_left, 1 + int(rng.random() * 4))
        else:
            r = rng.random()
            with_anime = anime_left > 0 and (manga_left == 0 or r < 0.72)
            with_manga = manga_left > 0 and (anime_left == 0 or r >= 0.42)
            n_anime = min(anime_left, _anime_size(rng)) if with_anime else 0
            n_manga = min(manga_left, _manga_size(rng)) if with_manga else 0
        u = _universe(rng, used, 0.025 if n_anime else 0.02, 0.06 if n_anime else 0.07)
        main_manga_type = ""
        if n_manga:
            if u.nsfw == "black" and rng.random() < 0.5:
                main_manga_type = "doujinshi"
            else:
                main_manga_type = MANGA_TYPES[int(rng.random() * len(MANGA_TYPES))]
                if n_anime and main_manga_type in ("doujinshi", "oel"):
                    main_manga_type = "manga"
            mangas = _plan_manga(rng, u, n_manga, main_manga_type)
            _manga_people(rng, u, main_manga_type)
        else:
            mangas = []
        if n_anime:
            u.source = (
                _source_for(main_manga_type, rng)
                if n_manga
                else ORIGINAL_SOURCES[int(rng.random() * len(ORIGINAL_SOURCES))]
            )
            animes = _plan_anime(rng, u, n_anime)
            if mangas:
                # The manga came first: shift it to start a few years before the anime.
                lead = 365 + int(rng.random() * 5 * 365)
                for m in mangas:
                    m.offset -= lead
                adapted = mangas[0]
                for a in animes:
                    if a.role in ("season", "single", "movie", "ova", "remake") and (
                        a.role != "single" or a.media_type not in ("music", "cm", "pv")
                    ):
                        link(a, adapted, "adaptation")
        else:
            animes = []
        members = animes + mangas
        _place(rng, members)
        anime.extend(animes)
        manga.extend(mangas)
        anime_left -= len(animes)
        manga_left -= len(mangas)
    return anime, manga


def _manga_people(rng: random.Random, u: Universe, main_type: str) -> None:
    """Authors (node key order as in the recorded mangaDetails) and the serializing magazine."""

    def author(role: str) -> dict[str, Any]:
        # A person's name follows from their id, so an id drawn twice is one prolific author.
        person_id = 1000 + int(rng.random() * 80000)
        first, last = names.person(person_id)
        return {"node": {"id": person_id, "last_name": last, "first_name": first}, "role": role}

    if main_type in ("light_novel", "novel") or rng.random() < 0.25:
        u.authors = [author(AUTHOR_ROLES[1]), author(AUTHOR_ROLES[2])]
    else:
        u.authors = [author(AUTHOR_ROLES[0])]
    if main_type in ("doujinshi", "oel") or rng.random() < 0.08:
        u.magazine = []
    else:
        u.magazine = [MAGAZINE_OBJ[int(rng.random() * len(MAGAZINE_OBJ))]]
