"""Orders of ids for search, rankings, seasons and users' lists, built once and cached.

Answers ids, never rendered JSON. Catalogue records are read-only, so their orders live as long
as the records; users' lists change, so their orders are dropped whenever a write changes them.
Hidden titles (`_approved: False`) never appear in the catalogue-wide orders.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

Record = dict[str, Any]

# SPEC 4.3 and 4.9: the ranking_type values MAL accepts, per kind.
ANIME_RANKINGS = frozenset(
    {"all", "airing", "upcoming", "tv", "ova", "movie", "special", "bypopularity", "favorite"}
)
MANGA_RANKINGS = frozenset(
    {"all", "manga", "novels", "oneshots", "doujin", "manhwa", "manhua", "bypopularity", "favorite"}
)
# Which media types each type-specific ranking covers; light_novel is an observed manga
# media_type (SPEC 5.2), counted with the novels.
_RANKING_MEDIA = {
    "tv": {"tv"},
    "ova": {"ova"},
    "movie": {"movie"},
    "special": {"special"},
    "manga": {"manga"},
    "novels": {"novel", "light_novel"},
    "oneshots": {"one_shot"},
    "doujin": {"doujinshi"},
    "manhwa": {"manhwa"},
    "manhua": {"manhua"},
}
SEASONS = ("winter", "spring", "summer", "fall")  # SPEC 4.4, in calendar order
SEASON_SORTS = frozenset({"anime_score", "anime_num_list_users"})

_BIG = 1 << 62
# At most this many ids are kept in one Index's cached orders (~16 MB); the oldest go first.
_ID_BUDGET = 2_000_000


def _popularity(record: Record) -> int:
    value = record.get("popularity")
    return value if isinstance(value, int) and value > 0 else _BIG


def _season_ordinal(year: int, season: str) -> int:
    return year * 4 + SEASONS.index(season)


def _month_ordinal(date: str) -> int | None:
    """`2020-11-05` / `2020-11` -> the ordinal of the season that month is in; `2020` -> None."""
    if len(date) < 7:
        return None
    try:
        year, month = int(date[:4]), int(date[5:7])
    except ValueError:
        return None
    if not 1 <= month <= 12:
        return None
    return year * 4 + (month - 1) // 3


class ResponseCache:
    """Rendered bodies of reads that depend only on read-only data and the request itself.

    Keyed by everything that shapes the body (path, query string, origin for the paging links);
    the caller decides what may be cached (nothing that depends on who asks).
    """

    def __init__(self, budget: int = 16 << 20, largest: int = 256 << 10) -> None:
        self._bodies: OrderedDict[Hashable, bytes] = OrderedDict()
        self._budget = budget  # bytes kept at most; the least recently used go first
        self._largest = largest  # bigger bodies are not kept at all
        self._held = 0

    def get(self, key: Hashable) -> bytes | None:
        body = self._bodies.get(key)
        if body is not None:
            self._bodies.move_to_end(key)
        return body

    def put(self, key: Hashable, body: bytes) -> None:
        if len(body) > self._largest or key in self._bodies:
            return
        self._bodies[key] = body
        self._held += len(body)
        while self._held > self._budget:
            _, dropped = self._bodies.popitem(last=False)
            self._held -= len(dropped)


class Index:
    """The sorted orders of one kind of record (anime or manga)."""

    def __init__(self, records: Mapping[int, Record]) -> None:
        self.records = records
        self.responses = ResponseCache()
        self._cache: OrderedDict[tuple[Any, ...], list[int]] = OrderedDict()
        self._cached_ids = 0  # ids held by _cache, kept under _ID_BUDGET
        self._visible: dict[bool, list[Record]] = {}
        self._title_pos: dict[int, int] | None = None
        self._search_rows: list[tuple[int, str, str, int, bool]] | None = None
        self._season_rows: list[tuple[int, int, int]] | None = None

    def _cached(self, key: tuple[Any, ...], build: Callable[[], list[int]]) -> list[int]:
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = build()
            self._cached_ids += len(found) + 1
            while self._cached_ids > _ID_BUDGET and len(self._cache) > 1:
                _, dropped = self._cache.popitem(last=False)
                self._cached_ids -= len(dropped) + 1
        else:
            self._cache.move_to_end(key)
        return found

    def visible(self, nsfw: bool) -> list[Record]:
        """Approved records; only `white` ones unless nsfw content was asked for (SPEC 3.6)."""
        rows = self._visible.get(nsfw)
        if rows is None:
            rows = self._visible[nsfw] = [
                r
                for r in self.records.values()
                if r.get("_approved", True) and (nsfw or r.get("nsfw") == "white")
            ]
        return rows

    def title_position(self, record_id: int) -> int:
        """Where a title falls in case-insensitive title order (user lists sort by it)."""
        if self._title_pos is None:
            ordered = sorted(
                self.records.values(), key=lambda r: (str(r["title"]).casefold(), r["id"])
            )
            self._title_pos = {r["id"]: i for i, r in enumerate(ordered)}
        return self._title_pos.get(record_id, _BIG)

    def search(self, q: str, nsfw: bool) -> list[int]:
        """Ids whose titles contain `q` (any case): exact title, then prefix, then the rest of the
        title matches, then alternative-title matches; popularity and id break ties."""
        needle = q.casefold()
        return self._cached(("search", needle, nsfw), lambda: self._search(needle, nsfw))

    def _search(self, needle: str, nsfw: bool) -> list[int]:
        if self._search_rows is None:
            self._search_rows = [
                (
                    r["id"],
                    str(r["title"]).casefold(),
                    str(r.get("_search", "")).casefold(),
                    _popularity(r),
                    r.get("nsfw") == "white",
                )
                for r in self.records.values()
                if r.get("_approved", True)
            ]
        hits: list[tuple[int, int, int]] = []
        for record_id, title, haystack, popularity, white in self._search_rows:
            if (needle in haystack or needle in title) and (nsfw or white):
                if title == needle:
                    tier = 0
                elif title.startswith(needle):
                    tier = 1
                elif needle in title:
                    tier = 2
                else:
                    tier = 3
                hits.append((tier, popularity, record_id))
        hits.sort()
        return [record_id for _, _, record_id in hits]

    def ranking(self, ranking_type: str, nsfw: bool) -> list[int]:
        return self._cached(
            ("ranking", ranking_type, nsfw), lambda: self._ranking(ranking_type, nsfw)
        )

    def _ranking(self, ranking_type: str, nsfw: bool) -> list[int]:
        rows = self.visible(nsfw)
        if ranking_type == "bypopularity":
            rows = sorted(rows, key=lambda r: (_popularity(r), r["id"]))
        elif ranking_type == "favorite":
            rows = sorted(rows, key=lambda r: (-r.get("num_favorites", 0), _popularity(r), r["id"]))
        elif ranking_type == "upcoming":
            rows = sorted(
                (r for r in rows if r.get("status") == "not_yet_aired"),
                key=lambda r: (_popularity(r), r["id"]),
            )
        else:
            if ranking_type == "airing":
                rows = [r for r in rows if r.get("status") == "currently_airing"]
            elif ranking_type in _RANKING_MEDIA:
                media = _RANKING_MEDIA[ranking_type]
                rows = [r for r in rows if r.get("media_type") in media]
            # Ranked titles by rank; titles without a rank (no score yet) follow by popularity.
            rows = sorted(rows, key=lambda r: (r.get("rank", _BIG), _popularity(r), r["id"]))
        return [r["id"] for r in rows]

    def popular(self, nsfw: bool) -> list[int]:
        return self.ranking("bypopularity", nsfw)

    def season(self, year: int, season: str, sort: str | None, nsfw: bool) -> list[int]:
        return self._cached(
            ("season", year, season, sort, nsfw), lambda: self._season(year, season, sort, nsfw)
        )

    def _season(self, year: int, season: str, sort: str | None, nsfw: bool) -> list[int]:
        if self._season_rows is None:
            self._season_rows = self._build_season_rows()
        wanted = _season_ordinal(year, season)
        ids = {
            record_id
            for record_id, first, last in self._season_rows
            if first == wanted or (first < wanted <= last)
        }
        rows = [r for r in self.visible(nsfw) if r["id"] in ids]
        if sort == "anime_score":
            rows.sort(key=lambda r: (-r.get("mean", -1.0), _popularity(r), r["id"]))
        else:
            # Without `sort` MAL's order is undocumented (SPEC 4.4 [INF]); members first, the
            # same as sort=anime_num_list_users, is the sandbox's choice.
            rows.sort(key=lambda r: (-r.get("num_list_users", 0), r["id"]))
        return [r["id"] for r in rows]

    def _build_season_rows(self) -> list[tuple[int, int, int]]:
        """(id, season it started, last season it aired in) for titles with a start season.

        Shows that started earlier and still air belong to later seasons too (SPEC 4.4).
        """
        rows: list[tuple[int, int, int]] = []
        for r in self.records.values():
            start = r.get("start_season")
            if not isinstance(start, dict) or start.get("season") not in SEASONS:
                continue
            first = _season_ordinal(int(start["year"]), start["season"])
            end_date = r.get("end_date")
            if isinstance(end_date, str) and (ended := _month_ordinal(end_date)) is not None:
                last = max(first, ended)
            elif r.get("status") == "currently_airing":
                last = _BIG
            else:
                last = first
            rows.append((r["id"], first, last))
        return rows


class Indexes:
    """One Index per records mapping; several sandboxes built alike share the same records."""

    def __init__(self) -> None:
        self._by_records: dict[int, Index] = {}

    def of(self, records: Mapping[int, Record]) -> Index:
        index = self._by_records.get(id(records))
        if index is None or index.records is not records:
            if len(self._by_records) >= 16:
                self._by_records.clear()
            index = self._by_records[id(records)] = Index(records)
        return index


INDEXES = Indexes()


class ListCache:
    """Anything derived from one user's list (its sorted/filtered orders, its statistics).

    The API's writes call `forget`; a change in the list's size (an edit made elsewhere) also
    starts afresh. Sorting bob's 10,500 entries per request would cost more than all the rest.
    """

    def __init__(self) -> None:
        self._by_list: dict[int, tuple[Mapping[int, Any], int, dict[Hashable, Any]]] = {}

    def get(self, entries: Mapping[int, Any], key: Hashable, build: Callable[[], Any]) -> Any:
        slot = self._by_list.get(id(entries))
        if slot is None or slot[0] is not entries or slot[1] != len(entries):
            if len(self._by_list) >= 32:
                self._by_list.clear()
            slot = self._by_list[id(entries)] = (entries, len(entries), {})
        derived = slot[2]
        if key not in derived:
            derived[key] = build()
        return derived[key]

    def forget(self, entries: Mapping[int, Any]) -> None:
        self._by_list.pop(id(entries), None)


LIST_CACHE = ListCache()
