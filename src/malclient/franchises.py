"""Group a list's anime into franchises by walking MAL's `related_anime` (SPEC 5.1), reading each
title at most once a month.

Walking relations title by title is what earns scripts MAL's 403 bans (seed thread: "it goes
through each entry and grabs all the related anime ... a lot of requests"). So the crawl is
bounded (`max_requests` per run, nearest titles first), every answer is kept in a small SQLite
file (`RelationCache`), and a second run continues where the first stopped, asking MAL only for
titles it has not read or read too long ago. Grouping and ordering (`group`) are pure.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Final, Self

from malclient._exceptions import NotFound

if TYPE_CHECKING:
    from malclient.client import Client
    from malclient.models import Anime, AnimeListEntry, AnimeListStatus

__all__ = [
    "FOLLOWED",
    "MAX_AGE",
    "Crawl",
    "Franchise",
    "Member",
    "RelationCache",
    "Title",
    "crawl",
    "group",
]

# Relations that keep a story's world together. Not `character` (a crossover shares characters,
# not a story) nor `other` (music videos, collaborations and adverts tie unrelated series into
# one giant cluster on MAL).
FOLLOWED: Final = frozenset(
    {
        "sequel",
        "prequel",
        "side_story",
        "parent_story",
        "alternative_version",
        "alternative_setting",
        "spin_off",
        "summary",
        "full_story",
    }
)

# Requests in flight at once: enough to keep the client's pacing busy while MAL is slow to
# answer (it paces them all the same), few enough to stop quickly on a ban.
WORKERS: Final = 4

# Relations change when a sequel is announced: a month is fresh enough, and `refresh` is there.
MAX_AGE: Final = 30 * 86_400.0

# Promotional clips and music videos: listed with their franchise but not what "seen" counts.
EXTRAS: Final = frozenset({"pv", "cm", "music"})

# What one request asks for; the braces give each relative's own fields (SPEC 3.5), so a title
# the crawl never reaches still shows with its type and date.
_NODE = "media_type,start_date,num_episodes,status"
FIELDS: Final = f"{_NODE},related_anime{{{_NODE}}}"


@dataclass(frozen=True, slots=True)
class Title:
    """What the crawl knows of one anime. `read_at` is None for a title seen only as another's
    relative: its own relations are not known yet."""

    id: int
    title: str
    media_type: str | None = None
    start_date: str | None = None
    num_episodes: int | None = None
    status: str | None = None
    read_at: float | None = None


def _title(node: Anime, read_at: float | None) -> Title:
    return Title(
        id=node.id,
        title=node.title,
        media_type=None if node.media_type is None else str(node.media_type),
        start_date=None if node.start_date is None else str(node.start_date),
        num_episodes=node.num_episodes,
        status=None if node.status is None else str(node.status),
        read_at=read_at,
    )


@dataclass
class Graph:
    """Titles and, for each title read, its relatives: `relations[a][b]` is what b is to a."""

    titles: dict[int, Title] = field(default_factory=dict)
    relations: dict[int, dict[int, str]] = field(default_factory=dict)

    def read(self, title_id: int) -> bool:
        """Whether the title's own relations are known (a title may have none)."""
        title = self.titles.get(title_id)
        return title is not None and title.read_at is not None

    def neighbours(self, title_id: int) -> Iterable[int]:
        for other, relation in self.relations.get(title_id, {}).items():
            if relation in FOLLOWED:
                yield other


# --- the cache ---------------------------------------------------------------------------------

_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS titles (
    origin TEXT NOT NULL,
    id INTEGER NOT NULL,
    title TEXT NOT NULL,
    media_type TEXT,
    start_date TEXT,
    num_episodes INTEGER,
    status TEXT,
    read_at REAL,
    PRIMARY KEY (origin, id)
);
CREATE TABLE IF NOT EXISTS relations (
    origin TEXT NOT NULL,
    source INTEGER NOT NULL,
    target INTEGER NOT NULL,
    relation TEXT NOT NULL,
    PRIMARY KEY (origin, source, target)
);
"""


class RelationCache:
    """The titles and relations read so far, per API origin (the sandbox and MAL never mix).

    Each title is written as soon as it is read, so a run stopped by Ctrl-C, a ban or the
    request bound keeps everything it paid for."""

    def __init__(self, path: str | Path, origin: str) -> None:
        self.path = Path(path)
        self.origin = origin.rstrip("/")
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, _VERSION):
                raise ValueError(
                    f"{self.path} was written by a newer malclient (format {version}); "
                    "delete it to start the relation cache afresh"
                )
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version={_VERSION}")
        except BaseException:
            self._db.close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def load(self) -> Graph:
        """Everything kept for this origin (tens of thousands of rows read in milliseconds)."""
        graph = Graph()
        with self._lock:
            for row in self._db.execute(
                "SELECT id, title, media_type, start_date, num_episodes, status, read_at "
                "FROM titles WHERE origin = ?",
                (self.origin,),
            ):
                graph.titles[row[0]] = Title(*row)
            for source, target, relation in self._db.execute(
                "SELECT source, target, relation FROM relations WHERE origin = ?", (self.origin,)
            ):
                graph.relations.setdefault(source, {})[target] = relation
        return graph

    def save(self, title: Title, relatives: Iterable[tuple[Title, str]]) -> None:
        """A title just read and its relatives, in one transaction. A relative keeps the time it
        was itself read: being named by another title does not refresh it."""
        origin = self.origin
        rows = [(origin, *_columns(title))]
        rows += [(origin, *_columns(relative)) for relative, _ in relatives]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT INTO titles VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (origin, id) DO UPDATE SET title = excluded.title, "
                    "media_type = excluded.media_type, start_date = excluded.start_date, "
                    "num_episodes = excluded.num_episodes, status = excluded.status, "
                    "read_at = coalesce(excluded.read_at, titles.read_at)",
                    rows,
                )
                self._db.execute(
                    "DELETE FROM relations WHERE origin = ? AND source = ?", (origin, title.id)
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO relations VALUES (?, ?, ?, ?)",
                    [(origin, title.id, relative.id, relation) for relative, relation in relatives],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise


def _columns(title: Title) -> tuple[object, ...]:
    return (
        title.id,
        title.title,
        title.media_type,
        title.start_date,
        title.num_episodes,
        title.status,
        title.read_at,
    )


# --- the crawl ---------------------------------------------------------------------------------


@dataclass
class Crawl:
    """What a crawl ended with: the requests it sent, and the reads the bound put off — titles
    never read (their franchises may be larger than shown) or read too long ago (shown as
    they were)."""

    graph: Graph
    requests: int = 0
    put_off: int = 0


def crawl(
    client: Client,
    seeds: Iterable[int],
    cache: RelationCache,
    *,
    max_requests: int,
    max_age: float = MAX_AGE,
    refresh: bool = False,
    on_read: Callable[[int, int], None] | None = None,
    clock: Callable[[], float] = time.time,
    workers: int = WORKERS,
) -> Crawl:
    """Read the relations of `seeds` and of everything they lead to, breadth first (the list's
    own titles, then their relatives, then theirs), sending at most `max_requests` requests.

    Titles read within `max_age` seconds come from the cache and cost nothing; `refresh`
    ignores the cache (still within the bound). Up to `workers` requests are in flight, so a
    slow answer does not idle the client's pacing, which alone decides how fast they go.
    `on_read(done, known)` follows progress. Errors other than a missing title (a ban, the
    network) propagate once the requests in flight have ended; what was read is kept.
    """
    workers = max(1, workers)
    graph = cache.load()
    result = Crawl(graph)
    now = clock()
    queue = deque(dict.fromkeys(seeds))
    queued = set(queue)
    done = 0

    def visit(title_id: int) -> None:
        nonlocal done
        done += 1
        for other in graph.neighbours(title_id):
            if other not in queued:
                queued.add(other)
                queue.append(other)
        if on_read is not None:
            on_read(done, len(queued))

    def fetch(title_id: int) -> Anime | None:
        try:
            return client.anime.get(title_id, fields=FIELDS)
        except NotFound:
            return None  # gone from MAL (merged or removed)

    in_flight: dict[Future[Anime | None], int] = {}
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while (queue and failure is None) or in_flight:
            while queue and failure is None and len(in_flight) < workers:
                title_id = queue.popleft()
                known = graph.titles.get(title_id)
                read_at = None if known is None else known.read_at
                if read_at is not None and now - read_at < max_age and not refresh:
                    visit(title_id)
                elif result.requests < max_requests:
                    result.requests += 1
                    in_flight[pool.submit(fetch, title_id)] = title_id
                else:
                    result.put_off += 1
                    if graph.read(title_id):  # read before: go on with what it said then
                        visit(title_id)
            if not in_flight:
                continue
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                title_id = in_flight.pop(future)
                try:
                    anime = future.result()
                except BaseException as exc:
                    # Raised once the others in flight have ended, so their answers are kept.
                    failure = failure or exc
                    continue
                _store(cache, graph, title_id, anime, clock())
                visit(title_id)
    if failure is not None:
        raise failure
    return result


def _store(
    cache: RelationCache, graph: Graph, title_id: int, anime: Anime | None, now: float
) -> None:
    if anime is None:
        # Gone from MAL: remember that it has no relatives.
        gone = graph.titles.get(title_id) or Title(title_id, "")
        anime_title, relatives = dataclasses.replace(gone, read_at=now), []
    else:
        anime_title = _title(anime, now)
        relatives = [
            (_title(related.node, None), str(related.relation_type or "other"))
            for related in anime.related_anime or ()
        ]
    cache.save(anime_title, relatives)
    graph.titles[title_id] = anime_title
    for relative, _ in relatives:
        previous = graph.titles.get(relative.id)
        if previous is not None:
            relative = dataclasses.replace(relative, read_at=previous.read_at)
        graph.titles[relative.id] = relative
    graph.relations[title_id] = {relative.id: relation for relative, relation in relatives}


# --- grouping (pure) -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    """One title of a franchise and the user's entry for it (None: not on their list)."""

    title: Title
    entry: AnimeListStatus | None

    @property
    def counted(self) -> bool:
        """Counts towards "seen": aired (or airing), and not a promotional clip or music video."""
        return self.title.media_type not in EXTRAS and self.title.status != "not_yet_aired"

    @property
    def seen(self) -> bool:
        return self.entry is not None and str(self.entry.status) == "completed"

    @property
    def episodes_seen(self) -> int:
        total = self.title.num_episodes or 0
        if self.seen:
            return total
        watched = 0 if self.entry is None else self.entry.num_episodes_watched or 0
        return min(watched, total) if total else 0


@dataclass(frozen=True, slots=True)
class Franchise:
    """Titles linked by story relations, in watch order (MAL's start dates: the order they came
    out, which is the order most fans suggest for a first watch)."""

    name: str
    members: tuple[Member, ...]
    # Every member's relations were read: nothing of the franchise is missing.
    complete: bool

    @property
    def counted(self) -> int:
        return sum(member.counted for member in self.members)

    @property
    def seen(self) -> int:
        return sum(member.counted and member.seen for member in self.members)

    @property
    def episodes(self) -> int:
        return sum(m.title.num_episodes or 0 for m in self.members if m.counted)

    @property
    def episodes_seen(self) -> int:
        return sum(m.episodes_seen for m in self.members if m.counted)

    @property
    def next(self) -> Member | None:
        """The first counted title in watch order not seen yet: what to watch next."""
        return next((m for m in self.members if m.counted and not m.seen), None)


def _watch_order(title: Title) -> tuple[int, str, int]:
    # "2013" sorts before "2013-04" before "2013-04-07" as text; undated titles go last.
    return (title.start_date is None, title.start_date or "", title.id)


def group(graph: Graph, entries: Iterable[AnimeListEntry]) -> list[Franchise]:
    """The franchises holding at least one of `entries`, sorted by name.

    Titles are joined by the FOLLOWED relations of every title read; a list title the crawl
    did not reach stands alone (or joins whatever named it), flagged incomplete.
    """
    listed = {entry.node.id: entry for entry in entries}
    parent: dict[int, int] = {}

    def root(title_id: int) -> int:
        parent.setdefault(title_id, title_id)
        while parent[title_id] != title_id:
            parent[title_id] = parent[parent[title_id]]
            title_id = parent[title_id]
        return title_id

    for source in graph.relations:
        for target in graph.neighbours(source):
            a, b = root(source), root(target)
            if a != b:
                parent[max(a, b)] = min(a, b)
    for title_id in listed:
        root(title_id)

    clusters: dict[int, list[int]] = {}
    for title_id in parent:
        clusters.setdefault(root(title_id), []).append(title_id)
    franchises = []
    for ids in clusters.values():
        if not any(title_id in listed for title_id in ids):
            continue
        members = []
        for title_id in ids:
            entry = listed.get(title_id)
            title = graph.titles.get(title_id)
            if title is None:
                # On the list, never read: what the list says of it.
                assert entry is not None
                title = _title(entry.node, None)
            members.append(Member(title, None if entry is None else entry.list_status))
        members.sort(key=lambda member: _watch_order(member.title))
        complete = all(graph.read(member.title.id) for member in members)
        franchises.append(Franchise(_name(members), tuple(members), complete))
    franchises.sort(
        key=lambda franchise: (franchise.name.casefold(), franchise.members[0].title.id)
    )
    return franchises


def _name(members: list[Member]) -> str:
    """The first TV series in watch order names the franchise; else its first counted title."""
    for member in members:
        if member.title.media_type == "tv":
            return member.title.title
    counted = [member for member in members if member.counted] or members
    return counted[0].title.title
