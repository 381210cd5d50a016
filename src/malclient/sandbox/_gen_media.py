"""Anime and manga records of the synthetic catalogue, from planned franchises.

Deterministic for its arguments: one `random.Random` per phase, seeded from the catalogue seed by
string (never `hash()`, which is salted per process). Produces plain record dicts in MAL's key
order; caching and users' lists live elsewhere.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from malclient.sandbox import _gen_titles as names
from malclient.sandbox._gen_dates import EPOCH, REF, REFERENCE_DATE, iso, seconds, stamp
from malclient.sandbox._gen_franchises import Entry, plan
from malclient.sandbox._gen_words import (
    ANIME_GENRES,
    ARTISTS,
    BACKGROUNDS,
    MANGA_GENRE_REMAP,
    MANGA_GENRES,
    SEASONS,
    SONG_WORDS,
    SYNOPSIS_CLOSERS,
    WEEKDAYS,
)

__all__ = ["REFERENCE_DATE", "Media", "build_media"]

Record = dict[str, Any]

_MAL_DB_START = date(2005, 6, 1).toordinal()
_BROADCAST_FROM = date(1995, 1, 1).toordinal()
_PICTURES_2015 = date(2015, 1, 1).toordinal()
CDN = "https://api-cdn.myanimelist.net/images"
ANIME_GENRE_OBJ = {gid: {"id": gid, "name": name} for gid, name in ANIME_GENRES.items()}
MANGA_GENRE_OBJ = {gid: {"id": gid, "name": name} for gid, name in MANGA_GENRES.items()}
# Anime that go out on TV get a broadcast slot (JST): late night, evening or morning.
_SLOTS = tuple(
    [f"{h % 24:02d}:{m:02d}" for h in range(22, 27) for m in range(0, 60, 5)]
    + [f"{h:02d}:{m:02d}" for h in range(17, 20) for m in (0, 30)]
    + [f"{h:02d}:{m:02d}" for h in range(7, 10) for m in (0, 30)]
)


@dataclass
class Media:
    anime: dict[int, Record]
    manga: dict[int, Record]
    # Ids of each franchise with several anime (resp. manga), oldest first.
    anime_franchises: list[list[int]]
    manga_franchises: list[list[int]]


def _finish_timeline(rng: random.Random, entries: list[Entry]) -> None:
    """Status, date precision, creation and update times from each entry's start."""
    for e in entries:
        start = e.start
        upcoming = start > REF
        if e.kind == "anime":
            if upcoming or e.media_type == "unknown":
                if not upcoming:  # "unknown" is what MAL says of titles only announced
                    e.start = start = REF + 30 + int(rng.random() * 400)
                    upcoming = True
                e.status = "not_yet_aired"
                r = rng.random()
                e.precision = 3 if r < 0.45 else 2 if r < 0.7 else 1 if r < 0.9 else 0
                if rng.random() < 0.6:
                    e.episodes = 0
                if e.media_type == "unknown":
                    e.duration = 0
            elif start + e.length > REF:
                e.status = "currently_airing"
            elif e.media_type == "tv" and e.episodes >= 200 and rng.random() < 0.3:
                e.status = "currently_airing"  # a long-runner still on air, count unknown
                e.episodes = 0
            else:
                e.status = "finished_airing"
            if e.status == "currently_airing" and rng.random() < 0.1:
                e.episodes = 0
        else:
            if upcoming:
                e.status = "not_yet_published"
                r = rng.random()
                e.precision = 3 if r < 0.4 else 2 if r < 0.7 else 1 if r < 0.9 else 0
            elif start + e.length > REF:
                e.status = "on_hiatus" if rng.random() < 0.12 else "currently_publishing"
            elif rng.random() < 0.04 and e.media_type != "one_shot":
                e.status = "discontinued"
                e.chapters = max(1, e.chapters // 3)
                e.volumes = min(e.volumes, max(1, e.chapters // 8)) if e.volumes else 0
                e.length = e.length // 3
            else:
                e.status = "finished"
            if e.status in ("currently_publishing", "on_hiatus", "not_yet_published"):
                e.volumes = e.chapters = 0  # MAL counts are 0 until the series ends (SPEC 5.2)
        if not upcoming:
            year = date.fromordinal(start).year
            r = rng.random()
            old = year < 1990
            if e.kind == "manga":
                e.precision = 3 if r < 0.75 else 2 if r < 0.9 else 1
            else:
                e.precision = 3 if r < (0.8 if old else 0.97) else 2 if r < 0.99 else 1
        # MAL's database started in the mid-2000s: older titles were all entered then.
        if start < _MAL_DB_START + 365:
            created = _MAL_DB_START + int(rng.random() * 1800)
        else:
            created = start - 30 - int(rng.random() * 400)
        created = min(created, REF - 1 - int(rng.random() * 30))
        e.created = seconds(created, rng)
        span = (REF + 1 - EPOCH) * 86400 - 1 - e.created
        e.updated = e.created + int((1 - rng.random() ** 3) * span)


def _assign_ids(rng: random.Random, entries: list[Entry], max_id: int) -> None:
    """Sparse ids that grow with creation time, as MAL's do."""
    top = max(max_id, len(entries) * 3)
    ids = sorted(rng.sample(range(1, top + 1), len(entries)))
    for e, new_id in zip(sorted(entries, key=lambda e: e.created), ids, strict=True):
        e.id = new_id


def _numbers(rng: random.Random, entries: list[Entry]) -> None:
    role_factor = {
        "single": 1.0,
        "main": 1.0,
        "season": 1.0,
        "movie": 0.35,
        "ova": 0.15,
        "special": 0.12,
        "recap": 0.05,
        "spin_off": 0.2,
        "music": 0.03,
        "pv": 0.02,
        "cm": 0.01,
        "remake": 0.7,
        "sequel": 0.5,
        "side": 0.1,
        "pilot": 0.03,
        "alt": 0.3,
    }
    quality_shift = {"recap": -0.6, "pv": -0.4, "cm": -0.8, "music": -0.2, "season": 0.15}
    for e in entries:
        u = e.uni
        hype = u.hype * role_factor[e.role] * (0.5 + rng.random() * 0.6)
        if e.kind == "manga":
            hype *= 0.3
        year = date.fromordinal(min(e.start, REF)).year
        if year < 2000:
            hype *= 0.35 + (year - 1960) / 60
        if e.status in ("not_yet_aired", "not_yet_published"):
            hype *= 0.05 + rng.random() * 0.25
        n = max(1, min(3_900_000, int(hype)))
        e.list_users = n
        if e.status in ("not_yet_aired", "not_yet_published"):
            e.scoring = 0
        else:
            ratio = (
                0.15 + rng.random() * 0.25
                if e.status == "currently_airing"
                else 0.35 + 0.4 * rng.random()
            )
            e.scoring = min(int(n * ratio), n - 1)
        if e.scoring >= 5:
            q = u.quality + quality_shift.get(e.role, 0.0) + rng.gauss(0, 0.25)
            q += 0.12 * (math.log10(n) - 4)
            if q > 8.4:  # the very top is thin: a handful of titles above 9
                q = 8.4 + (q - 8.4) * 0.45
            e.mean = round(min(9.2, max(1.8, q)), 2)
        else:
            e.mean = 0.0
        base = max(0.1, e.mean - 6.0) / 3.2 if e.mean else 0.02
        e.favorites = int(n * base**3 * 0.05)


def _unapprove(rng: random.Random, entries: list[Entry]) -> None:
    """≈0.1% of titles are still waiting for moderation (SPEC 4.6 invalid_content)."""
    count = max(1, round(len(entries) / 1000)) if len(entries) >= 20 else 0
    candidates = [e for e in entries if not e.related and not e.related_other]
    candidates.sort(
        key=lambda e: (e.status not in ("not_yet_aired", "not_yet_published"), -e.created)
    )
    for e in candidates[:count]:
        e.approved = False
        e.mean = 0.0
        e.scoring = 0
        e.list_users = 1 + int(rng.random() * 30)
        e.favorites = 0


def _rank(entries: list[Entry]) -> None:
    # Rank skips titles without a mean, unapproved ones and R18+ (MAL excludes "Rx" titles).
    ranked = [e for e in entries if e.mean and e.approved and e.uni.nsfw != "black"]
    ranked.sort(key=lambda e: (-e.mean, -e.scoring, e.id))
    for i, e in enumerate(ranked, 1):
        e.rank = i
    for i, e in enumerate(sorted(entries, key=lambda e: (-e.list_users, e.id)), 1):
        e.popularity = i


def _recommend(rng: random.Random, entries: list[Entry]) -> None:
    """Users' recommendations pair titles of different franchises that share a main genre."""
    heads = [
        e
        for e in entries
        if e.role in ("single", "main") or (e.role == "season" and not _has_prequel(e))
    ]
    heads = [e for e in heads if e.approved and e.mean and e.list_users >= 300]
    pools: dict[tuple[str, int], list[Entry]] = {}
    for e in heads:
        pools.setdefault((e.uni.nsfw, e.uni.genres[0]), []).append(e)
    pairs: dict[tuple[int, int], int] = {}
    for e in heads:
        pool = pools[(e.uni.nsfw, e.uni.genres[0])]
        if len(pool) < 2:
            continue
        wanted = min(len(pool) - 1, int(math.log10(e.list_users) * rng.random() * 2))
        for _ in range(wanted):
            other = pool[int(rng.random() * len(pool))]
            if other.uni is e.uni:
                continue
            pair = (e.id, other.id) if e.id < other.id else (other.id, e.id)
            pairs[pair] = pairs.get(pair, 0) + 1 + int(rng.expovariate(1.0) * e.list_users / 40000)
    by_id = {e.id: e for e in heads}
    for (a, b), count in pairs.items():
        by_id[a].recs.append((by_id[b], count))
        by_id[b].recs.append((by_id[a], count))
    for e in heads:
        if e.recs:
            e.recs.sort(key=lambda pair: (-pair[1], pair[0].id))
            del e.recs[10:]


def _has_prequel(e: Entry) -> bool:
    return any(rel == "prequel" for _, rel in e.related)


# --- records -------------------------------------------------------------------------------------


def _dates(e: Entry, rec: Record) -> None:
    if e.precision == 0:
        return
    cut = (0, 4, 7, 10)[e.precision]
    rec["start_date"] = iso(e.start)[:cut]
    finished = e.status in ("finished_airing", "finished", "discontinued")
    if finished:
        rec["end_date"] = iso(e.start + e.length)[:cut]


def _pictures(
    rng: random.Random, kind: str, e: Entry
) -> tuple[dict[str, str] | None, list[dict[str, str]]]:
    pic = 10_000 + e.id * 3 + int(rng.random() * 3)
    old = e.start < _PICTURES_2015
    pictures = []
    for k in range(1 + int(rng.random() ** 1.5 * 5)):
        p = pic + k * 7919
        url = f"{CDN}/{kind}/{1 + p % 13 if old else 1000 + p % 1000}/{p}"
        pictures.append({"medium": f"{url}.jpg", "large": f"{url}l.jpg"})
    r = rng.random()
    if r < 0.003:
        return None, []
    main = pictures[-1]
    if r < 0.02:
        main = {"medium": main["medium"]}
    return main, pictures


_LEADS = {
    "movie": "A feature film set in the world of %s. ",
    "ova": "Original video animation bundled with the %s Blu-ray. ",
    "special": "Short specials that accompany %s. ",
    "recap": "A recap of the story of %s so far. ",
    "spin_off": "A spin-off of %s. ",
    "music": "Music video for a song from %s. ",
    "pv": "Promotional video for %s. ",
    "cm": "Commercials for %s. ",
    "remake": "A new adaptation of %s. ",
    "sequel": "The sequel to %s. ",
    "side": "A side story of %s. ",
    "pilot": "The one-shot that became %s. ",
    "alt": "Another version of %s. ",
}


def _synopsis(rng: random.Random, e: Entry) -> str:
    u = e.uni
    lead = _LEADS.get(e.role)
    if lead is not None:
        text = (lead % u.name[0]) + u.synopsis
    elif e.role == "season" and e.name is not u.name:
        text = f"The continuation of {u.name[0]}. {u.synopsis}"
    else:
        text = u.synopsis
    closer = SYNOPSIS_CLOSERS[int(rng.random() * len(SYNOPSIS_CLOSERS))]
    return f"{text}\n\n{closer}" if closer else text


def _background(rng: random.Random, e: Entry) -> str:
    if rng.random() < 0.6 or e.status in ("not_yet_aired", "not_yet_published"):
        return ""
    year = date.fromordinal(min(e.start, REF)).year + int(rng.random() * 3)
    return BACKGROUNDS[int(rng.random() * len(BACKGROUNDS))].format(t=e.name[0], y=min(year, 2026))


def _search_text(e: Entry) -> str:
    return "\n".join((e.name[0], e.name[2] if e.uni.en else "", e.name[1], *e.synonyms)).lower()


def _head(rng: random.Random, kind: str, e: Entry) -> tuple[Record, list[Record]]:
    """The fields anime and manga share, id through status, in MAL's order (SPEC 4.2, 4.9)."""
    u = e.uni
    rec: Record = {"id": e.id, "title": e.name[0]}
    main, pictures = _pictures(rng, kind, e)
    if main is not None:
        rec["main_picture"] = main
    rec["alternative_titles"] = {
        "synonyms": list(e.synonyms),
        "en": e.name[2] if u.en else "",
        "ja": e.name[1],
    }
    _dates(e, rec)
    rec["synopsis"] = _synopsis(rng, e)
    if e.mean:
        rec["mean"] = e.mean
    if e.rank:
        rec["rank"] = e.rank
    rec["popularity"] = e.popularity
    rec["num_list_users"] = e.list_users
    rec["num_scoring_users"] = e.scoring
    rec["nsfw"] = u.nsfw
    rec["created_at"] = stamp(e.created)
    rec["updated_at"] = stamp(e.updated)
    rec["media_type"] = e.media_type
    rec["status"] = e.status
    return rec, pictures


def _anime_record(rng: random.Random, e: Entry, counters: list[int]) -> Record:
    u = e.uni
    rec, pictures = _head(rng, "anime", e)
    rec["genres"] = [ANIME_GENRE_OBJ[g] for g in u.genres]
    rec["num_episodes"] = e.episodes
    if e.precision >= 2:
        start = date.fromordinal(e.start)
        rec["start_season"] = {"year": start.year, "season": SEASONS[start.month - 1]}
    if e.media_type == "tv" and e.precision == 3 and e.start >= _BROADCAST_FROM:
        r = rng.random()
        day = "other" if r < 0.03 else WEEKDAYS[(e.start - 1) % 7]  # date.weekday() of an ordinal
        broadcast = {"day_of_the_week": day}
        if r > 0.08:
            broadcast["start_time"] = _SLOTS[int(rng.random() * len(_SLOTS))]
        rec["broadcast"] = broadcast
    rec["source"] = u.source
    rec["average_episode_duration"] = e.duration
    rec["rating"] = u.rating
    rec["pictures"] = pictures
    rec["background"] = _background(rng, e)
    rec["related_anime"] = _relations(e.related)
    rec["related_manga"] = _relations(e.related_other)
    rec["recommendations"] = [(other.id, count) for other, count in e.recs]
    rec["studios"] = list(u.studios) if e.status != "not_yet_aired" or rng.random() < 0.5 else []
    rec["statistics"] = _statistics(rng, e)
    openings, endings = _themes(rng, e, counters)
    rec["opening_themes"] = openings
    rec["ending_themes"] = endings
    rec["videos"] = _videos(rng, e, counters)
    rec["num_favorites"] = e.favorites
    rec["_approved"] = e.approved
    rec["_search"] = _search_text(e)
    return rec


def _relations(pairs: list[tuple[Entry, str]]) -> list[tuple[int, str]]:
    return sorted([(other.id, rel) for other, rel in pairs]) if pairs else []


def _statistics(rng: random.Random, e: Entry) -> Record:
    n = e.list_users
    if e.status == "not_yet_aired":
        watching = completed = on_hold = dropped = 0
    elif e.status == "currently_airing":
        watching = int(n * (0.45 + rng.random() * 0.2))
        completed = 0
        on_hold = int(n * (0.02 + rng.random() * 0.03))
        dropped = int(n * (0.03 + rng.random() * 0.05))
    else:
        completed = int(n * (0.45 + rng.random() * 0.25))
        watching = int(n * (0.02 + rng.random() * 0.04))
        on_hold = int(n * (0.02 + rng.random() * 0.04))
        dropped = int(n * (0.02 + rng.random() * 0.08))
    plan_to_watch = n - watching - completed - on_hold - dropped
    # MAL sends these counts as strings (SPEC 5.1, recorded by go-myanimelist).
    return {
        "num_list_users": n,
        "status": {
            "watching": str(watching),
            "completed": str(completed),
            "on_hold": str(on_hold),
            "dropped": str(dropped),
            "plan_to_watch": str(plan_to_watch),
        },
    }


def _themes(rng: random.Random, e: Entry, counters: list[int]) -> tuple[list[Record], list[Record]]:
    if e.status == "not_yet_aired" or e.media_type in ("music", "cm", "pv", "unknown"):
        return [], []
    if e.media_type in ("tv", "ona") and e.episodes >= 8:
        n_op = min(4, max(1, e.episodes // 13))
        n_ed = n_op if rng.random() < 0.8 else n_op + 1
    elif e.media_type == "movie":
        n_op, n_ed = 0, 1 if rng.random() < 0.7 else 0
    else:
        n_op, n_ed = (1, 1) if rng.random() < 0.3 else (0, 0)
    openings = [_theme(rng, e, k, n_op, counters) for k in range(n_op)] if n_op else []
    endings = [_theme(rng, e, k, n_ed, counters) for k in range(n_ed)] if n_ed else []
    return openings, endings


def _theme(rng: random.Random, e: Entry, k: int, total: int, counters: list[int]) -> Record:
    counters[0] += 1
    song = SONG_WORDS[int(rng.random() * len(SONG_WORDS))]
    artist = ARTISTS[int(rng.random() * len(ARTISTS))]
    text = f'"{song[0]} ({song[1]})" by {artist}'
    if total > 1 and e.episodes:
        per = max(1, e.episodes // total)
        last = e.episodes if k == total - 1 else (k + 1) * per
        text = f"{text} (eps {k * per + 1}-{last})"
    return {"id": counters[0], "anime_id": e.id, "text": text}


_VIDEO_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _videos(rng: random.Random, e: Entry, counters: list[int]) -> list[Record]:
    if e.created < 1_330_000_000 or e.role not in ("single", "season", "movie", "remake"):
        return []
    if rng.random() < 0.5:
        return []
    videos = []
    for k in range(1 + int(rng.random() * 3)):
        counters[1] += 1
        key = "".join(_VIDEO_ALPHABET[int(rng.random() * 64)] for _ in range(11))
        created = e.created + int(rng.random() * 86400 * 60)
        videos.append(
            {
                "id": counters[1],
                "title": ("PV 1", "PV 2", "Teaser PV", "CM", "Trailer")[min(k * 2, 4)],
                "url": f"https://www.youtube.com/watch?v={key}",
                "created_at": created,
                "updated_at": created + int(rng.random() * 86400 * 5),
                "thumbnail": f"https://img.youtube.com/vi/{key}/mqdefault.jpg",
            }
        )
    return videos


def _manga_record(rng: random.Random, e: Entry) -> Record:
    u = e.uni
    rec, pictures = _head(rng, "manga", e)
    rec["genres"] = [MANGA_GENRE_OBJ[MANGA_GENRE_REMAP.get(g, g)] for g in u.genres]
    rec["num_volumes"] = e.volumes
    rec["num_chapters"] = e.chapters
    rec["authors"] = list(u.authors)
    rec["pictures"] = pictures
    rec["background"] = _background(rng, e)
    rec["related_anime"] = _relations(e.related_other)
    rec["related_manga"] = _relations(e.related)
    rec["recommendations"] = [(other.id, count) for other, count in e.recs]
    rec["serialization"] = list(u.magazine)
    rec["_approved"] = e.approved
    rec["_search"] = _search_text(e)
    return rec


def _franchises(entries: list[Entry]) -> list[list[int]]:
    groups: dict[int, list[Entry]] = {}
    for e in entries:
        groups.setdefault(id(e.uni), []).append(e)
    return [
        [e.id for e in sorted(group, key=lambda e: (e.start, e.id))]
        for group in groups.values()
        if len(group) > 1
    ]


def build_media(seed: int, anime_count: int, manga_count: int) -> Media:
    anime, manga = plan(seed, anime_count, manga_count)
    rng = random.Random(f"malclient-sandbox:{seed}:timeline")
    _finish_timeline(rng, anime)
    _finish_timeline(rng, manga)
    # Remakes are named after their start year, known only now.
    for e in anime:
        if e.role == "remake":
            e.name = names.remake(e.uni.name, date.fromordinal(e.start).year)
    _assign_ids(rng, anime, 62_000)
    _assign_ids(rng, manga, 170_000)
    rng = random.Random(f"malclient-sandbox:{seed}:numbers")
    _numbers(rng, anime)
    _numbers(rng, manga)
    _unapprove(rng, anime)
    _unapprove(rng, manga)
    _rank(anime)
    _rank(manga)
    _recommend(rng, anime)
    _recommend(rng, manga)
    rng = random.Random(f"malclient-sandbox:{seed}:records")
    counters = [70_000, 20_000]  # theme and video ids
    anime.sort(key=lambda e: e.id)
    manga.sort(key=lambda e: e.id)
    anime_records = {e.id: _anime_record(rng, e, counters) for e in anime}
    manga_records = {e.id: _manga_record(rng, e) for e in manga}
    media = Media(anime_records, manga_records, _franchises(anime), _franchises(manga))
    # Entries point at each other; cutting those cycles lets refcounting free the whole plan now
    # (the caller may freeze the collector's view of what survives).
    for e in anime + manga:
        e.related = e.related_other = []
        e.recs = []
    return media
