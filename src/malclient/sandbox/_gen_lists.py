"""Sandbox users' profiles and anime/manga lists, generated from the catalogue's records.

Returns immutable templates (tuples of (id, status dict)); `catalogue.py` hands out fresh copies
because the API mutates lists. Stored status dicts use the response names and MAL's key order
(SPEC 5.3/5.4, recorded PATCH responses) and respect real lists' consistency rules.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from malclient.sandbox._gen_dates import EPOCH, REF, iso, stamp
from malclient.sandbox._gen_media import Media
from malclient.sandbox._gen_words import LIST_COMMENTS, LIST_TAGS, LOCATIONS, TIME_ZONES
from malclient.sandbox.config import SandboxUser

Record = dict[str, Any]
Entries = tuple[tuple[int, Record], ...]

ANIME_STATUSES = ("watching", "completed", "on_hold", "dropped", "plan_to_watch")
MANGA_STATUSES = ("reading", "completed", "on_hold", "dropped", "plan_to_read")
# What a list may say about a title in each airing status: nobody completes what has not ended,
# and a title that has not started can only be planned.
_ANIME_ALLOWED = {
    "finished_airing": ANIME_STATUSES,
    "currently_airing": ("watching", "on_hold", "dropped", "plan_to_watch"),
    "not_yet_aired": ("plan_to_watch",),
}
_MANGA_ALLOWED = {
    "finished": MANGA_STATUSES,
    "discontinued": MANGA_STATUSES,
    "currently_publishing": ("reading", "on_hold", "dropped", "plan_to_read"),
    "on_hiatus": ("reading", "on_hold", "dropped", "plan_to_read"),
    "not_yet_published": ("plan_to_read",),
}
_Y2000 = date(2000, 1, 1).toordinal()
# Typical shares of a list, per status position in the tuples above.
_WEIGHTS = (8, 46, 7, 12, 27)


@dataclass(frozen=True)
class UserTemplate:
    profile: Record
    animelist: Entries
    mangalist: Entries


def _seconds(day: int, rng: random.Random) -> int:
    return (day - EPOCH) * 86400 + int(rng.random() * 86400)


_STATUS_TABLES: dict[tuple[str, ...], tuple[str, ...]] = {}
_DAYS: dict[str, int] = {}


def _day_of(text: str | None) -> int | None:
    """The ordinal of a full or partial MAL date (its first day)."""
    if not text:
        return None
    day = _DAYS.get(text)
    if day is None:
        month = int(text[5:7]) if len(text) > 4 else 1
        dom = int(text[8:10]) if len(text) > 7 else 1
        day = _DAYS[text] = date(int(text[:4]), month, dom).toordinal()
    return day


def _profile(user: SandboxUser, seed_rng: random.Random) -> tuple[Record, int]:
    """Profile fields beyond id/name in MAL's order (SPEC 4.10) and the join time (seconds)."""
    name = user.name.lower()
    picture = f"https://api-cdn.myanimelist.net/images/userimages/{user.id}.jpg?t=1763150400"
    if name == "alice":
        joined = int(date(2014, 3, 9).toordinal() - EPOCH) * 86400 + 66161
        profile: Record = {
            "gender": "female",
            "birthday": "1996-04-12",
            "location": "Berlin, Germany",
            "joined_at": stamp(joined),
            "picture": picture,
            "time_zone": "Europe/Berlin",
            "is_supporter": False,
        }
    elif name == "bob":
        joined = int(date(2008, 7, 21).toordinal() - EPOCH) * 86400 + 7805
        profile = {
            "gender": "male",
            "birthday": "1989-11-30",
            "location": "",
            "joined_at": stamp(joined),
            "picture": picture,
            "time_zone": "America/New_York",
            "is_supporter": True,
        }
    elif name == "carol":
        # A newcomer who has not filled in gender or birthday: those keys are absent.
        joined = int(date(2026, 11, 2).toordinal() - EPOCH) * 86400 + 34877
        profile = {
            "location": "",
            "joined_at": stamp(joined),
            "picture": picture,
            "time_zone": "Asia/Tokyo",
            "is_supporter": False,
        }
    else:
        rng = seed_rng
        joined = _seconds(date(2006, 1, 1).toordinal() + int(rng.random() * 7000), rng)
        profile = {}
        if rng.random() < 0.7:
            profile["gender"] = ("male", "female", "non_binary")[int(rng.random() * 3)]
        if rng.random() < 0.6:
            year = 1975 + int(rng.random() * 30)
            profile["birthday"] = (
                f"{year}-{1 + int(rng.random() * 12):02d}-{1 + int(rng.random() * 28):02d}"
            )
        profile["location"] = LOCATIONS[int(rng.random() * len(LOCATIONS))]
        profile["joined_at"] = stamp(joined)
        profile["picture"] = picture
        profile["time_zone"] = TIME_ZONES[int(rng.random() * len(TIME_ZONES))]
        profile["is_supporter"] = rng.random() < 0.1
    return profile, joined


class _Writer:
    """Builds list-status dicts for one user; `rich` users fill in dates, tags and comments."""

    def __init__(self, rng: random.Random, joined: int, rich: bool) -> None:
        self.rng = rng
        self.joined_day = joined // 86400 + EPOCH
        self.rich = rich

    def pick_status(self, allowed: tuple[str, ...], statuses: tuple[str, ...]) -> str:
        if len(allowed) == 1:
            return allowed[0]
        table = _STATUS_TABLES.get(allowed)
        if table is None:
            weights = {s: _WEIGHTS[statuses.index(s)] for s in allowed}
            table = _STATUS_TABLES[allowed] = tuple(s for s, w in weights.items() for _ in range(w))
        return table[int(self.rng.random() * len(table))]

    def _dates(self, rec: Record, status: str, planned: str) -> tuple[str | None, str | None, int]:
        """(start_date, finish_date, last day touched) for an entry of this status."""
        rng = self.rng
        title_day = _day_of(rec.get("start_date")) or REF - 365
        lo = max(title_day, self.joined_day - 3 * 365, _Y2000)
        lo = min(lo, REF - 1)
        if status == planned:
            return None, None, lo
        start_day = lo + int(rng.random() * (REF - lo) * 0.85)
        finish_day = start_day + int(rng.random() * (REF - start_day))
        last = finish_day if status == "completed" else start_day
        r = rng.random()
        if not self.rich:
            return (iso(start_day), iso(finish_day) if status == "completed" else None, last)
        cut = 10 if r < 0.65 else 7 if r < 0.75 else 4 if r < 0.8 else 0
        if cut == 0:
            return None, None, last
        start = iso(start_day)[:cut] if r < 0.78 or status != "completed" else None
        finish = iso(finish_day)[:cut] if status == "completed" else None
        return start, finish, last

    def _updated(self, last_day: int) -> str:
        day = max(last_day, self.joined_day + 1)
        day = min(REF, day + int(self.rng.random() * max(0, REF - day)))
        return stamp(_seconds(day, self.rng))

    def _score(self, rec: Record, status: str, planned: str) -> int:
        rng = self.rng
        if status == planned or rng.random() < (0.2 if self.rich else 0.35):
            return 0
        mean: float = rec.get("mean", 6.5)
        return max(1, min(10, round(mean + rng.gauss(0, 1.3))))

    def _extras(self) -> tuple[list[str], str]:
        rng = self.rng
        tags: list[str] = []
        if rng.random() < (0.15 if self.rich else 0.01):
            tags = [LIST_TAGS[int(rng.random() * len(LIST_TAGS))]]
            if rng.random() < 0.4:
                extra = LIST_TAGS[int(rng.random() * len(LIST_TAGS))]
                if extra not in tags:
                    tags.append(extra)
        comments = ""
        if rng.random() < (0.1 if self.rich else 0.005):
            comments = LIST_COMMENTS[int(rng.random() * len(LIST_COMMENTS))]
        return tags, comments

    def anime(self, rec: Record, status: str, rewatching: bool = False) -> Record:
        rng = self.rng
        total = rec["num_episodes"]
        if status == "completed":
            watched = total
        elif status == "plan_to_watch":
            watched = 0
        elif total > 1:
            watched = int(rng.random() * total)
        else:
            watched = 1 + int(rng.random() * 40) if total == 0 and status == "watching" else 0
        if rewatching and total > 1:
            watched = int(rng.random() * total)  # progress of the rewatch
        start, finish, last = self._dates(rec, status, "plan_to_watch")
        rewatched = 0
        if status == "completed" and rng.random() < 0.1:
            rewatched = 1 + int(rng.random() * 3)
        if rewatching:
            rewatched = max(rewatched, 1)
        tags, comments = self._extras()
        entry: Record = {
            "status": status,
            "score": self._score(rec, status, "plan_to_watch"),
            "num_episodes_watched": watched,
            "is_rewatching": rewatching,
            "updated_at": self._updated(last),
        }
        if start is not None:
            entry["start_date"] = start
        if finish is not None:
            entry["finish_date"] = finish
        entry["priority"] = int(rng.random() * 3) if status == "plan_to_watch" and self.rich else 0
        entry["num_times_rewatched"] = rewatched
        entry["rewatch_value"] = 1 + int(rng.random() * 5) if rewatched else 0
        entry["tags"] = tags
        entry["comments"] = comments
        return entry

    def manga(self, rec: Record, status: str, rereading: bool = False) -> Record:
        rng = self.rng
        chapters, volumes = rec["num_chapters"], rec["num_volumes"]
        if status == "completed":
            read_ch, read_vol = chapters, volumes
        elif status == "plan_to_read":
            read_ch = read_vol = 0
        else:
            # No more than the title has (MAL clamps writes, SPEC 5.3); 0 chapters = unknown.
            read_ch = int(rng.random() * chapters) if chapters else 1 + int(rng.random() * 120)
            read_vol = min(volumes, read_ch // 9) if volumes else read_ch // 9
        if rereading and chapters > 1:
            read_ch = int(rng.random() * chapters)
            read_vol = min(volumes, read_ch // 9)
        start, finish, last = self._dates(rec, status, "plan_to_read")
        reread = 1 + int(rng.random() * 2) if status == "completed" and rng.random() < 0.06 else 0
        if rereading:
            reread = max(reread, 1)
        tags, comments = self._extras()
        entry: Record = {
            "status": status,
            "is_rereading": rereading,
            "num_volumes_read": read_vol,
            "num_chapters_read": read_ch,
            "score": self._score(rec, status, "plan_to_read"),
            "updated_at": self._updated(last),
        }
        if start is not None:
            entry["start_date"] = start
        if finish is not None:
            entry["finish_date"] = finish
        entry["priority"] = int(rng.random() * 3) if status == "plan_to_read" and self.rich else 0
        entry["num_times_reread"] = reread
        entry["reread_value"] = 1 + int(rng.random() * 5) if reread else 0
        entry["tags"] = tags
        entry["comments"] = comments
        return entry


def _by_popularity(records: Mapping[int, Record], nsfw: str = "white") -> list[int]:
    ids = [i for i, rec in records.items() if rec["_approved"] and rec["nsfw"] == nsfw]
    ids.sort(key=lambda i: records[i]["popularity"])
    return ids


def _curated(
    rng: random.Random,
    writer: _Writer,
    records: Mapping[int, Record],
    franchises: Sequence[Sequence[int]],
    size: int,
    kind: str,
) -> Entries:
    """A hand-shaped list: partly followed franchises, a few NSFW titles, every status, the rest
    popular titles."""
    statuses = ANIME_STATUSES if kind == "anime" else MANGA_STATUSES
    allowed_by = _ANIME_ALLOWED if kind == "anime" else _MANGA_ALLOWED
    write = writer.anime if kind == "anime" else writer.manga
    chosen: dict[int, Record] = {}

    def add(title_id: int, status: str, again: bool = False) -> None:
        if title_id not in chosen and len(chosen) < size:
            chosen[title_id] = write(records[title_id], status, again)

    def allowed(title_id: int) -> tuple[str, ...]:
        return allowed_by[records[title_id]["status"]]

    # Whole franchises followed part of the way: seen the start, watching one, planning the rest.
    candidates = [
        f
        for f in franchises
        if 4 <= len(f) <= 14
        and all(records[i]["_approved"] and records[i]["nsfw"] == "white" for i in f)
    ]
    for franchise in rng.sample(candidates, min(len(candidates), 5 if kind == "anime" else 2)):
        seen = 1 + int(rng.random() * (len(franchise) - 2))
        for position, title_id in enumerate(franchise):
            ok = allowed(title_id)
            if position < seen and "completed" in ok:
                add(title_id, "completed")
            elif position == seen and statuses[0] in ok:
                add(title_id, statuses[0] if rng.random() < 0.7 else "on_hold")
            elif rng.random() < 0.7:
                add(title_id, statuses[4])
    # A few gray and black titles so that `nsfw` filtering of lists is observable.
    for nsfw, count in (("gray", 5), ("black", 3)):
        for title_id in _by_popularity(records, nsfw)[: count * 3 : 3]:
            ok = allowed(title_id)
            add(title_id, ok[int(rng.random() * len(ok))])
    popular = _by_popularity(records)[:2500]
    finished = [i for i in popular if len(allowed(i)) == 5]
    # Every status at least twice, whatever the draw.
    for k, title_id in enumerate(finished[: 2 * len(statuses)]):
        add(title_id, statuses[k % len(statuses)])
    again = 0
    for title_id in finished[2 * len(statuses) :]:
        if again == 3:
            break
        if title_id not in chosen:
            add(title_id, "completed", True)  # rewatching / rereading
            again += 1
    pool = popular[:]
    rng.shuffle(pool)
    for title_id in pool:
        if len(chosen) >= size:
            break
        add(title_id, writer.pick_status(allowed(title_id), statuses))
    return tuple(sorted(chosen.items()))


def _bulk(
    rng: random.Random, writer: _Writer, records: Mapping[int, Record], size: int, kind: str
) -> Entries:
    """A large list drawn from every approved title (NSFW included)."""
    statuses = ANIME_STATUSES if kind == "anime" else MANGA_STATUSES
    allowed_by = _ANIME_ALLOWED if kind == "anime" else _MANGA_ALLOWED
    write = writer.anime if kind == "anime" else writer.manga
    eligible = [i for i, rec in records.items() if rec["_approved"]]
    picked = sorted(rng.sample(eligible, min(size, len(eligible))))
    entries = []
    for title_id in picked:
        rec = records[title_id]
        entries.append(
            (title_id, write(rec, writer.pick_status(allowed_by[rec["status"]], statuses)))
        )
    return tuple(entries)


def build_user(seed: int, user: SandboxUser, media: Media) -> UserTemplate:
    name = user.name.lower()
    rng = random.Random(f"malclient-sandbox:{seed}:user:{name}")
    profile, joined = _profile(user, rng)
    if name == "carol":
        return UserTemplate(profile, (), ())
    if name == "bob":
        # A long-time user with a huge list: the bulk-paging case (at least 10,000 anime).
        writer = _Writer(rng, joined, rich=False)
        anime = _bulk(rng, writer, media.anime, 10_500, "anime")
        manga = _bulk(rng, writer, media.manga, 3_000, "manga")
        return UserTemplate(profile, anime, manga)
    rich = name == "alice"
    writer = _Writer(rng, joined, rich=True)
    sizes = (320, 100) if rich else (30 + int(rng.random() * 40), 5 + int(rng.random() * 20))
    anime = _curated(rng, writer, media.anime, media.anime_franchises, sizes[0], "anime")
    manga = _curated(rng, writer, media.manga, media.manga_franchises, sizes[1], "manga")
    return UserTemplate(profile, anime, manga)
