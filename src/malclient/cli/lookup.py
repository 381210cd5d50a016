"""`mal anime|manga|forum ...`: look things up on MyAnimeList. Thin: parse, one client call,
render a table or MAL's JSON. No API logic here (that is `resources/`); nothing heavy is
imported at module level, so `mal --help` stays light.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypedDict

import cyclopts

from malclient.cli.auth import Json, Where
from malclient.cli.output import (
    Column,
    client_for,
    print_fields,
    print_json,
    print_json_stream,
    print_table,
    run,
    usage,
)

if TYPE_CHECKING:
    from malclient.client import Client
    from malclient.models import Anime, Manga

__all__ = ["anime", "forum", "manga"]

_FLAG = cyclopts.Parameter(negative=())

# Parameter help that several commands share word for word; help given in an annotation wins
# over the docstring's, so each command's docstring keeps only what is its own.
Query = Annotated[str, cyclopts.Parameter(help="Words of the title.")]
Entries = Annotated[int, cyclopts.Parameter(help="How many entries to show.")]
SkipEntries = Annotated[int, cyclopts.Parameter(help="Skip this many entries first.")]
SkipResults = Annotated[int, cyclopts.Parameter(help="Skip this many results first.")]
Fields = Annotated[str | None, cyclopts.Parameter(help="MAL fields to ask for (comma-separated).")]
RowFields = Annotated[
    str | None, cyclopts.Parameter(help="MAL fields to ask for (comma-separated); for `--json`.")
]
TableJson = Annotated[
    Json, cyclopts.Parameter(help="Print MAL's entries as a JSON array instead of a table.")
]
ArrayJson = Annotated[Json, cyclopts.Parameter(help="Print MAL's entries as a JSON array.")]

# What a table shows; `--json` prints the same fields unless `--fields` asks for others.
ANIME_ROW_FIELDS = "media_type,num_episodes,status,mean,start_season"
MANGA_ROW_FIELDS = "media_type,num_chapters,num_volumes,status,mean"
# Every page size MAL allows on these endpoints is at least 100 (SPEC 4).
_PAGE = 100

anime = cyclopts.App(
    name="anime",
    help="Look up anime: search, details, rankings, seasons, suggestions.",
    help_format="markdown",
    default_parameter=_FLAG,
)
manga = cyclopts.App(
    name="manga",
    help="Look up manga, novels and other printed works: search, details, rankings.",
    help_format="markdown",
    default_parameter=_FLAG,
)
forum = cyclopts.App(
    name="forum",
    help="Read MyAnimeList's forum: boards, topics and posts.",
    help_format="markdown",
    default_parameter=_FLAG,
)

Kind = Literal["anime", "manga"]


class _Page(TypedDict):
    """Where a list starts and how big its pages are, as every list method takes them."""

    limit: int
    offset: int


def _paging(limit: int, offset: int) -> tuple[int, int]:
    if limit < 1:
        raise usage("--limit must be 1 or more.")
    if offset < 0:
        raise usage("--offset must be 0 or more.")
    return min(limit, _PAGE), offset


def _list(
    fetch: Callable[[Client, _Page], Iterable[Any]],
    columns: list[Column],
    empty: str,
    limit: int,
    offset: int,
    as_json: bool,
    where: Where | None,
    *,
    user: bool = False,
) -> Callable[[], int]:
    """What every list command does once it knows which list: check `--limit` and `--offset`,
    then print `limit` entries as a table or a JSON array."""

    def body() -> int:
        size, skip = _paging(limit, offset)
        with client_for(where, user=user) as client:
            # The page iterates on through later pages; stop after `limit` results.
            rows = itertools.islice(fetch(client, {"limit": size, "offset": skip}), limit)
            if as_json:
                print_json_stream(rows)
            else:
                print_table(rows, columns, empty=empty)
        return 0

    return body


def _show(
    kind: Kind, work_id: int, fields: str | None, as_json: bool, where: Where | None
) -> Callable[[], int]:
    """`mal anime|manga show`: MAL's object as JSON, or a summary of it."""

    def body() -> int:
        with client_for(where, user=False) as client:
            works = client.anime if kind == "anime" else client.manga
            work = works.get(work_id, fields=fields)
        if as_json:
            print_json(work)
        else:
            print_fields(_details(work, kind), title=work.title or f"{kind} {work_id}")
        return 0

    return body


def _season(anime_: Any) -> str | None:
    season = getattr(anime_, "start_season", None)
    return f"{season.season} {season.year}" if season is not None else None


def _columns(kind: Kind, ranked: bool = False) -> list[Column]:
    """A table of anime or manga entries; a ranking's starts with the rank."""
    counts = (
        [Column("eps", lambda row: row.node.num_episodes or None, "right")]
        if kind == "anime"
        else [
            Column("chapters", lambda row: row.node.num_chapters or None, "right"),
            Column("volumes", lambda row: row.node.num_volumes or None, "right"),
        ]
    )
    return [
        *([Column("rank", lambda row: row.ranking.rank, "right")] if ranked else []),
        Column("id", lambda row: row.node.id, "right"),
        Column("title", lambda row: row.node.title),
        Column("type", lambda row: row.node.media_type),
        *counts,
        Column("status", lambda row: row.node.status),
        Column("score", lambda row: row.node.mean, "right"),
        *([Column("season", lambda row: _season(row.node))] if kind == "anime" else []),
    ]


def _names(items: Any) -> str | None:
    if not items:
        return None
    return ", ".join(item.name for item in items)


def _details(work: Anime | Manga, kind: str) -> list[tuple[str, object]]:
    alt = work.alternative_titles
    pairs: list[tuple[str, object]] = [
        ("id", work.id),
        ("English", alt.en if alt is not None else None),
        ("Japanese", alt.ja if alt is not None else None),
        ("type", work.media_type),
        ("status", work.status),
    ]
    if kind == "anime":
        pairs += [
            ("episodes", getattr(work, "num_episodes", None) or None),
            ("season", _season(work)),
            ("studios", _names(getattr(work, "studios", None))),
            ("source", getattr(work, "source", None)),
            ("rating", getattr(work, "rating", None)),
        ]
    else:
        authors = getattr(work, "authors", None) or []
        pairs += [
            ("chapters", getattr(work, "num_chapters", None) or None),
            ("volumes", getattr(work, "num_volumes", None) or None),
            (
                "authors",
                ", ".join(
                    f"{a.node.first_name or ''} {a.node.last_name or ''}".strip() for a in authors
                )
                or None,
            ),
        ]
    pairs += [
        ("dates", _dates(work.start_date, work.end_date)),
        ("score", work.mean),
        ("rank", work.rank),
        ("popularity", work.popularity),
        ("members", work.num_list_users),
        ("genres", _names(work.genres)),
    ]
    mine = work.my_list_status
    if mine is not None:
        pairs.append(("my list", f"{mine.status}, score {mine.score}"))
    pairs.append(("synopsis", work.synopsis))
    return pairs


def _dates(start: object, end: object) -> str | None:
    if start is None and end is None:
        return None
    return f"{start or '?'} to {end or '?'}"


# --- mal anime ------------------------------------------------------------------------------


@anime.command
def search(
    query: Query,
    *,
    limit: int = 10,
    offset: SkipResults = 0,
    fields: str | None = None,
    as_json: TableJson = False,
    where: Where | None = None,
) -> None:
    """Find anime by title (3 to 64 characters), best match first.

    Examples

        mal anime search "cowboy bebop"
        mal anime search frieren --limit 3 --json

    Parameters
    ----------
    limit
        How many results to show (several pages are fetched if need be).
    fields
        MAL fields to ask for (comma-separated, e.g. `genres,synopsis`); for `--json`.
    """

    def fetch(client: Client, page: _Page) -> Iterable[Any]:
        return client.anime.search(query, fields=fields or ANIME_ROW_FIELDS, **page)

    run(_list(fetch, _columns("anime"), "No anime found.", limit, offset, as_json, where))


@anime.command
def show(
    anime_id: int, *, fields: Fields = None, as_json: Json = False, where: Where | None = None
) -> None:
    """One anime's details (every field MAL has, unless `--fields` names some).

    Examples

        mal anime show 1
        mal anime show 1 --json
        mal anime show 1 --fields num_episodes,status --json

    Parameters
    ----------
    anime_id
        MAL's id of the anime (the number in its myanimelist.net address).
    as_json
        Print MAL's object as JSON instead of a summary.
    """
    run(_show("anime", anime_id, fields, as_json, where))


AnimeRanking = Literal[
    "all", "airing", "upcoming", "tv", "ova", "movie", "special", "bypopularity", "favorite"
]


@anime.command
def ranking(
    ranking_type: AnimeRanking = "all",
    *,
    limit: Entries = 10,
    offset: SkipEntries = 0,
    fields: RowFields = None,
    as_json: Json = False,
    where: Where | None = None,
) -> None:
    """A MyAnimeList ranking of anime, best first.

    Examples

        mal anime ranking
        mal anime ranking airing --limit 25
        mal anime ranking bypopularity --offset 100 --json

    Parameters
    ----------
    ranking_type
        Which ranking.
    as_json
        Print MAL's entries (with `ranking.rank`) as a JSON array.
    """

    def fetch(client: Client, page: _Page) -> Iterable[Any]:
        return client.anime.ranking(ranking_type, fields=fields or ANIME_ROW_FIELDS, **page)

    run(_list(fetch, _columns("anime", True), "Empty ranking.", limit, offset, as_json, where))


@anime.command
def season(
    year: int,
    season_name: Literal["winter", "spring", "summer", "fall"],
    *,
    sort: Literal["anime_score", "anime_num_list_users"] | None = None,
    limit: Entries = 10,
    offset: SkipEntries = 0,
    fields: RowFields = None,
    as_json: ArrayJson = False,
    where: Where | None = None,
) -> None:
    """A season's anime, shows still airing from earlier seasons included (as MAL lists them).

    Examples

        mal anime season 2024 spring
        mal anime season 2023 fall --sort anime_score --limit 50
        mal anime season 2022 winter --json

    Parameters
    ----------
    year
        The year.
    season_name
        The season: winter (January), spring (April), summer (July) or fall (October).
    sort
        Order by score or by members (default: MAL's order).
    """

    def fetch(client: Client, page: _Page) -> Iterable[Any]:
        row_fields = fields or ANIME_ROW_FIELDS
        return client.anime.seasonal(year, season_name, sort=sort, fields=row_fields, **page)

    empty = "No anime in that season."
    run(_list(fetch, _columns("anime"), empty, limit, offset, as_json, where))


@anime.command
def suggest(
    *,
    limit: int = 10,
    offset: int = 0,
    fields: RowFields = None,
    as_json: ArrayJson = False,
    where: Where | None = None,
) -> None:
    """MyAnimeList's suggestions for you (needs `mal auth login`; none for an empty list).

    Examples

        mal anime suggest
        mal anime suggest --limit 30 --json

    Parameters
    ----------
    limit
        How many suggestions to show.
    offset
        Skip this many first.
    """

    def fetch(client: Client, page: _Page) -> Iterable[Any]:
        return client.anime.suggestions(fields=fields or ANIME_ROW_FIELDS, **page)

    empty = "No suggestions (MyAnimeList suggests once your list has a few titles)."
    run(_list(fetch, _columns("anime"), empty, limit, offset, as_json, where, user=True))


# --- mal manga ------------------------------------------------------------------------------


@manga.command(name="search")
def manga_search(
    query: Query,
    *,
    limit: int = 10,
    offset: SkipResults = 0,
    fields: str | None = None,
    as_json: TableJson = False,
    where: Where | None = None,
) -> None:
    """Find manga by title (3 to 64 characters), best match first.

    Examples

        mal manga search berserk
        mal manga search "one piece" --limit 3 --json

    Parameters
    ----------
    limit
        How many results to show.
    fields
        MAL fields to ask for (comma-separated); for `--json`.
    """

    def fetch(client: Client, page: _Page) -> Iterable[Any]:
        return client.manga.search(query, fields=fields or MANGA_ROW_FIELDS, **page)

    run(_list(fetch, _columns("manga"), "No manga found.", limit, offset, as_json, where))


@manga.command(name="show")
def manga_show(
    manga_id: int, *, fields: Fields = None, as_json: Json = False, where: Where | None = None
) -> None:
    """One manga's details (every field MAL has, unless `--fields` names some).

    Examples

        mal manga show 2
        mal manga show 2 --json

    Parameters
    ----------
    manga_id
        MAL's id of the manga.
    as_json
        Print MAL's object as JSON instead of a summary.
    """
    run(_show("manga", manga_id, fields, as_json, where))


MangaRanking = Literal[
    "all",
    "manga",
    "novels",
    "oneshots",
    "doujin",
    "manhwa",
    "manhua",
    "bypopularity",
    "favorite",
]


@manga.command(name="ranking")
def manga_ranking(
    ranking_type: MangaRanking = "all",
    *,
    limit: Entries = 10,
    offset: SkipEntries = 0,
    fields: RowFields = None,
    as_json: Json = False,
    where: Where | None = None,
) -> None:
    """A MyAnimeList ranking of manga, best first.

    Examples

        mal manga ranking
        mal manga ranking novels --limit 20 --json

    Parameters
    ----------
    ranking_type
        Which ranking.
    as_json
        Print MAL's entries (with `ranking.rank`) as a JSON array.
    """

    def fetch(client: Client, page: _Page) -> Iterable[Any]:
        return client.manga.ranking(ranking_type, fields=fields or MANGA_ROW_FIELDS, **page)

    run(_list(fetch, _columns("manga", True), "Empty ranking.", limit, offset, as_json, where))


# --- mal forum ------------------------------------------------------------------------------


@forum.command
def boards(*, as_json: Json = False, where: Where | None = None) -> None:
    """Every forum board with its id (for `mal forum topics --board ID`).

    Examples

        mal forum boards
        mal forum boards --json

    Parameters
    ----------
    as_json
        Print MAL's `categories` object as JSON.
    """

    def body() -> int:
        with client_for(where, user=False) as client:
            found = client.forum.boards()
        if as_json:
            print_json(found)
            return 0
        rows = [
            (category.title, board)
            for category in found.categories or []
            for board in category.boards or []
        ]
        print_table(
            rows,
            [
                Column("category", lambda row: row[0]),
                Column("board", lambda row: row[1].id, "right"),
                Column("title", lambda row: row[1].title),
                Column(
                    "sub-boards",
                    lambda row: ", ".join(f"{s.title} ({s.id})" for s in row[1].subboards or []),
                ),
            ],
            empty="No boards.",
        )
        return 0

    run(body)


@forum.command
def topics(
    *,
    board: int | None = None,
    subboard: int | None = None,
    query: str | None = None,
    by: str | None = None,
    user: str | None = None,
    limit: int = 10,
    offset: int = 0,
    as_json: Json = False,
    where: Where | None = None,
) -> None:
    """Forum topics, latest activity first. Needs `--board`, `--subboard` or `--query`.

    Examples

        mal forum topics --board 5
        mal forum topics --query "frieren episode" --limit 20
        mal forum topics --board 5 --by alice --json

    Parameters
    ----------
    board
        Board id (see `mal forum boards`).
    subboard
        Sub-board id.
    query
        Words to look for in topic titles.
    by
        Only topics this user started.
    user
        Only topics this user posted in.
    limit
        How many topics to show.
    offset
        Skip this many topics first.
    as_json
        Print MAL's topics as a JSON array.
    """

    def fetch(client: Client, page: _Page) -> Iterable[Any]:
        return client.forum.topics(
            board_id=board,
            subboard_id=subboard,
            q=query,
            topic_user_name=by,
            user_name=user,
            **page,
        )

    columns = [
        Column("id", lambda row: row.id, "right"),
        Column("title", lambda row: row.title),
        Column("posts", lambda row: row.number_of_posts, "right"),
        Column("by", lambda row: row.created_by.name if row.created_by else None),
        Column("last post", lambda row: _day(row.last_post_created_at)),
    ]
    listing = _list(fetch, columns, "No topics found.", limit, offset, as_json, where)

    def body() -> int:
        if board is None and subboard is None and not query:
            # SPEC 4.11: without one of these MAL never answers.
            raise usage("mal forum topics needs --board, --subboard or --query.")
        return listing()

    run(body)


def _day(moment: Any) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M")


@forum.command
def topic(
    topic_id: int,
    *,
    limit: int = 20,
    offset: int = 0,
    as_json: Json = False,
    where: Where | None = None,
) -> None:
    """A topic's posts, oldest first (bodies as MAL stores them: BBCode).

    Examples

        mal forum topic 12345
        mal forum topic 12345 --offset 100 --limit 100 --json

    Parameters
    ----------
    topic_id
        The topic's id (see `mal forum topics`).
    limit
        How many posts to show.
    offset
        Skip this many posts first.
    as_json
        Print `{"title", "poll", "posts": [...]}` as JSON.
    """

    def body() -> int:
        size, skip = _paging(limit, offset)
        with client_for(where, user=False) as client:
            page = client.forum.topic(topic_id, limit=size, offset=skip)
            detail = page.model.data
            posts = list(itertools.islice(page, limit))
        if as_json:
            from malclient.models import dump

            print_json({"title": detail.title, "poll": dump(detail.poll), "posts": dump(posts)})
            return 0
        print_table(
            posts,
            [
                Column("#", lambda post: post.number, "right"),
                Column("by", lambda post: post.created_by.name if post.created_by else None),
                Column("posted", lambda post: _day(post.created_at)),
                Column("post", lambda post: _text(post.body)),
            ],
            title=detail.title,
            empty="No posts.",
        )
        return 0

    run(body)


def _text(body: str | None) -> str | None:
    # MAL stores posts with `<br />` and HTML entities (SPEC 4.11); a terminal wants lines.
    if body is None:
        return None
    import html

    return html.unescape(body.replace("<br />", "\n").replace("<br>", "\n")).strip()
