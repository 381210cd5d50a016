"""`mal list show|set|inc|rm|export`: read and change a list from the terminal. Thin: the
decisions of `inc` live in `resources/_progress.py`, paging in the client; this module parses,
calls and renders. Nothing heavy at module level (`mal --help` stays light).
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import cyclopts

from malclient.cli.auth import Json, Where
from malclient.cli.output import (
    Column,
    client_for,
    print_json,
    print_json_stream,
    print_table,
    progress,
    run,
    usage,
)

if TYPE_CHECKING:
    from malclient.client import Client

__all__ = ["lists"]

_FLAG = cyclopts.Parameter(negative=())
# Both lists' values in one type, so that shell completion offers them (`_check_kind`).
Status = Literal[
    "watching", "reading", "completed", "on_hold", "dropped", "plan_to_watch", "plan_to_read"
]
ListSort = Literal[
    "list_score",
    "list_updated_at",
    "anime_title",
    "anime_start_date",
    "anime_id",
    "manga_title",
    "manga_start_date",
    "manga_id",
]
_STATUSES = {
    "anime": ("watching", "completed", "on_hold", "dropped", "plan_to_watch"),
    "manga": ("reading", "completed", "on_hold", "dropped", "plan_to_read"),
}

# A list page holds at most 1,000 entries (SPEC 4.6, 4.8).
_LIST_PAGE = 1000
# What `mal list show` asks for besides the entry itself (SPEC 4.8: `list_status` is needed
# on /users/{name}/animelist for the entry to come back at all).
ANIME_SHOW_FIELDS = "list_status,media_type,num_episodes"
MANGA_SHOW_FIELDS = "list_status,media_type,num_chapters,num_volumes"

lists = cyclopts.App(
    name="list",
    help="Your anime or manga list (or anyone's, to read): show, change, export.",
    help_format="markdown",
    default_parameter=_FLAG,
)


def _kind(manga: bool) -> str:
    return "manga" if manga else "anime"


def _check_kind(manga: bool, status: str | None, sort: str | None = None) -> None:
    """The other list's status or order is a usage error, before any request."""
    kind = _kind(manga)
    if status is not None and status not in _STATUSES[kind]:
        raise usage(
            f"--status {status} is not a status of the {kind} list: use one of "
            f"{', '.join(_STATUSES[kind])}{'' if manga else ' (or add --manga)'}."
        )
    if sort is not None and not sort.startswith(("list_", f"{kind}_")):
        raise usage(
            f"--sort {sort} is not an order of the {kind} list: use one of list_score, "
            f"list_updated_at, {kind}_title, {kind}_start_date, {kind}_id."
        )


def _progress_of(manga: bool) -> Column:
    if manga:
        return Column(
            "progress",
            lambda row: (
                f"{row.list_status.num_chapters_read or 0}/{row.node.num_chapters or '?'} ch"
            ),
            "right",
        )
    return Column(
        "progress",
        lambda row: f"{row.list_status.num_episodes_watched or 0}/{row.node.num_episodes or '?'}",
        "right",
    )


# --- mal list show ------------------------------------------------------------------------------


# A full pass at least this often, so entries deleted on MAL's website leave the mirror.
_FULL_SYNC_EVERY = 86_400.0


def mirror_path() -> Path:
    """The list mirror's file: `MAL_MIRROR`, else in the user cache directory."""
    from platformdirs import user_cache_dir

    return Path(os.environ.get("MAL_MIRROR") or Path(user_cache_dir("malclient")) / "lists.sqlite3")


@contextmanager
def local_cache(path: Path) -> Iterator[None]:
    """A cache file beside the mirror that cannot be made, opened or written (a read-only
    folder, a damaged file) is a one-line error saying what to do, not a traceback."""
    import sqlite3

    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise usage(
            f"Cannot use {path}: {reason}. It is only a cache: delete it (or set MAL_MIRROR to "
            "a file in another folder) and run the command again."
        ) from None


def _mirrored(client: Client, user: str | None, manga: bool, *, full: bool = False) -> Any:
    """The user's list mirror (issue 4), brought up to date: one request when nothing changed."""
    import time

    from malclient.mirror import ListMirror, signed_in_name

    if user is not None and not user.strip():
        raise usage("--user needs a user name (leave it out for your own list).")
    # The mirror is keyed by name (not `@me`, which would mix accounts in one file).
    path = mirror_path()
    with local_cache(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        name = user or signed_in_name(path, client)
        mirror: Any = ListMirror(path, client, name, "manga" if manga else "anime")
        state = mirror.state
        stale = state is None or state.last_full_sync is None
        stale = stale or time.time() - state.last_full_sync > _FULL_SYNC_EVERY
        mirror.sync(full=full or stale)
    return mirror


@lists.command
def show(
    *,
    user: str | None = None,
    status: Status | None = None,
    manga: bool = False,
    sort: ListSort | None = None,
    full: bool = False,
    as_json: Json = False,
    where: Where | None = None,
) -> None:
    """The whole list, from a local mirror kept current by asking MAL only for what changed.

    The first run reads every page (1,000 entries per request); later runs cost one request
    when nothing changed. Entries deleted on MAL's website are found by a full pass, made at
    least once a day or with `--full`. Your own list needs `mal auth login`; anyone's public
    list (`--user`) needs only a client id. The mirror lives in the user cache directory
    (`MAL_MIRROR` names another file).

    Examples

        mal list show
        mal list show --status watching
        mal list show --manga --status reading
        mal list show --user bob --json > bob.json

    Parameters
    ----------
    user
        Whose list (default: yours).
    status
        Only entries with this status (reading and plan_to_read are the manga list's).
    manga
        The manga list instead of the anime list.
    sort
        MAL's order (default: by status, then title); manga_* orders go with --manga.
    full
        Read the whole list again, which also drops entries deleted on MAL's website.
    as_json
        Print MAL's entries (`node` and `list_status`) as a JSON array.
    """

    def body() -> int:
        _check_kind(manga, status, sort)
        with (
            client_for(where, user=user is None) as client,
            _mirrored(client, user, manga, full=full) as mirror,
        ):
            entries = mirror.entries(status=status, sort=sort)
            if as_json:
                print_json_stream(entries)
                return 0
            columns = [
                Column("id", lambda row: row.node.id, "right"),
                Column("title", lambda row: row.node.title),
                Column("type", lambda row: row.node.media_type),
                Column("status", lambda row: row.list_status.status),
                Column("score", lambda row: row.list_status.score or None, "right"),
                _progress_of(manga),
            ]
            shown = print_table(entries, columns, empty=f"No {_kind(manga)} on this list.")
        if shown and sys.stdout.isatty():
            print(f"{shown} entries.")
        return 0

    run(body)


# --- naming a title -----------------------------------------------------------------------------

Item = Annotated[
    str,
    cyclopts.Parameter(
        help="MAL's id of the title, or words of its name (any of its titles) on your list."
    ),
]
# How many of several matching titles an error names.
_SHOWN_MATCHES = 5


def _item_id(client: Client, item: str, manga: bool) -> int:
    """An id as given; else the one title on your list whose names hold all these words
    (read from the list mirror: one request when the list is unchanged)."""
    text = item.strip()
    if text.isdecimal():
        return int(text)
    words = text.casefold().split()
    if not words:
        raise usage("Name a title: its id, or words of its name.")
    with _mirrored(client, None, manga) as mirror:
        found = [entry for entry in mirror.entries() if _named(entry.node, words)]
    exact = [entry for entry in found if entry.node.title.casefold() == text.casefold()]
    if len(exact) == 1 or len(found) == 1:
        chosen: int = (exact or found)[0].node.id
        return chosen
    kind = _kind(manga)
    if not found:
        from malclient._exceptions import NotFound

        raise NotFound(
            f"No title on your {kind} list is named {text!r}: give its id (`mal {kind} search "
            f"{text}` finds it).",
            status=404,
        )
    shown = "; ".join(f"{e.node.id} {e.node.title}" for e in found[:_SHOWN_MATCHES])
    more = f"; and {len(found) - _SHOWN_MATCHES} more" if len(found) > _SHOWN_MATCHES else ""
    raise usage(
        f"{len(found)} titles on your {kind} list match {text!r} ({shown}{more}): give the id "
        "or more words."
    )


def _named(node: Any, words: list[str]) -> bool:
    names = [node.title]
    other = node.alternative_titles
    if other is not None:
        names += [other.en or "", other.ja or "", *(other.synonyms or [])]
    text = " ".join(names).casefold()
    return all(word in text for word in words)


# --- mal list set -------------------------------------------------------------------------------


@lists.command(name="set")
def set_(
    item: Item,
    *,
    manga: bool = False,
    status: Status | None = None,
    score: int | None = None,
    episodes: int | None = None,
    chapters: int | None = None,
    volumes: int | None = None,
    again: Annotated[bool | None, cyclopts.Parameter(negative="--no-again")] = None,
    times: int | None = None,
    priority: int | None = None,
    tags: str | None = None,
    comments: str | None = None,
    start_date: str | None = None,
    finish_date: str | None = None,
    as_json: Json = False,
    where: Where | None = None,
) -> None:
    """Add a title to your list or change its entry: one request carrying only the fields
    given; the rest stay as they are.

    Examples

        mal list set 5114 --status watching --episodes 3
        mal list set 5114 --score 9
        mal list set 2 --manga --status reading --chapters 120 --volumes 10
        mal list set 5114 --tags "rewatch, favourite" --start-date 2024-03
        mal list set 5114 --finish-date ""
        mal list set "cowboy bebop" --score 10

    Parameters
    ----------
    manga
        Change the manga list.
    status
        The entry's status (reading and plan_to_read are the manga list's).
    score
        0 (no score) to 10.
    episodes
        Episodes watched (anime).
    chapters
        Chapters read (manga).
    volumes
        Volumes read (manga).
    again
        Re-watching (re-reading with `--manga`) now; `--no-again` ends it.
    times
        How many times re-watched (re-read).
    priority
        0 low, 1 medium, 2 high.
    tags
        Comma-separated tags (replaces the entry's tags).
    comments
        Notes on the entry.
    start_date
        YYYY-MM-DD, YYYY-MM or YYYY; "" clears it.
    finish_date
        YYYY-MM-DD, YYYY-MM or YYYY; "" clears it.
    as_json
        Print the entry MAL saved as JSON.
    """

    def body() -> int:
        _check_kind(manga, status)
        changes: dict[str, Any] = {
            "status": status,
            "score": score,
            "priority": priority,
            "tags": [t.strip() for t in tags.split(",") if t.strip()] if tags is not None else None,
            "comments": comments,
            "start_date": start_date,
            "finish_date": finish_date,
        }
        if manga:
            if episodes is not None:
                raise usage("--episodes is for anime; use --chapters or --volumes with --manga.")
            changes |= {
                "num_chapters_read": chapters,
                "num_volumes_read": volumes,
                "is_rereading": again,
                "num_times_reread": times,
            }
        else:
            if chapters is not None or volumes is not None:
                raise usage("--chapters and --volumes are for manga: add --manga.")
            changes |= {
                "num_episodes_watched": episodes,
                "is_rewatching": again,
                "num_times_rewatched": times,
            }
        given = {name: value for name, value in changes.items() if value is not None}
        if not given:
            raise usage(
                "Nothing to change: give at least one of --status, --score, --episodes, "
                "--chapters, --volumes, --again, --times, --priority, --tags, --comments, "
                "--start-date, --finish-date."
            )
        with client_for(where, user=True) as client:
            item_id = _item_id(client, item, manga)
            resource: Any = client.mangalist if manga else client.animelist
            saved = resource.update(item_id, **given)
        _report(saved, item_id, manga, as_json, "Saved")
        return 0

    run(body)


def _report(saved: Any, item_id: int, manga: bool, as_json: bool, verb: str) -> None:
    if as_json:
        print_json(saved)
        return
    if manga:
        done = f"{saved.num_chapters_read or 0} chapters, {saved.num_volumes_read or 0} volumes"
    else:
        done = f"{saved.num_episodes_watched or 0} episodes"
    parts = [f"{verb} {_kind(manga)} {item_id}: {saved.status}", done]
    if saved.score:
        parts.append(f"score {saved.score}")
    if saved.start_date is not None:
        parts.append(f"started {saved.start_date}")
    if saved.finish_date is not None:
        parts.append(f"finished {saved.finish_date}")
    print(", ".join(parts))


# --- mal list inc -------------------------------------------------------------------------------


@lists.command
def inc(
    item: Item,
    amount: Annotated[int, cyclopts.Parameter(allow_leading_hyphen=True)] = 1,
    *,
    manga: bool = False,
    volumes: bool = False,
    force: bool = False,
    as_json: Json = False,
    where: Where | None = None,
) -> None:
    """Add episodes (chapters with `--manga`) to an entry, the way a tracker should.

    Never goes past the title's total; the first episode of a planned title makes it
    `watching` with today as start date; the last one makes it `completed` with today as
    finish date (or ends a re-watch). Progress never goes down unless `--force` is given
    with a negative amount. One read, then one write (none when nothing changes).

    Examples

        mal list inc 5114
        mal list inc 5114 3
        mal list inc 2 --manga 10
        mal list inc 2 --manga --volumes
        mal list inc 5114 -1 --force
        mal list inc frieren

    Parameters
    ----------
    amount
        How many episodes (chapters, volumes) to add.
    manga
        Change the manga list (chapters read).
    volumes
        With `--manga`: count volumes instead of chapters.
    force
        Allow a negative amount, lowering the progress (status and dates stay as they are).
    as_json
        Print the entry as MAL has it afterwards, as JSON.
    """

    def body() -> int:
        if volumes and not manga:
            raise usage("--volumes counts manga volumes: add --manga.")
        if amount == 0:
            raise usage("Nothing to add: give an amount of 1 or more.")
        if amount < 0 and not force:
            raise usage(
                f"{amount} would lower the progress, which `mal list inc` never does by "
                "accident: add --force to mean it."
            )
        measure = (
            ("num_volumes_read" if volumes else "num_chapters_read")
            if manga
            else "num_episodes_watched"
        )
        with client_for(where, user=True) as client:
            item_id = _item_id(client, item, manga)
            if amount < 0:
                saved = _lower(client, item_id, manga, measure, amount)
            elif volumes:
                saved = client.mangalist.increment(item_id, 0, volumes=amount)
            elif manga:
                saved = client.mangalist.increment(item_id, amount)
            else:
                saved = client.animelist.increment(item_id, amount)
        _report(saved, item_id, manga, as_json, "Now")
        return 0

    run(body)


def _lower(client: Client, item_id: int, manga: bool, measure: str, amount: int) -> Any:
    """`--force` with a negative amount: the one case where progress goes down on purpose.
    Reads the entry, then writes the lowered count alone (one PATCH)."""
    from malclient._exceptions import NotFound

    resource: Any = client.mangalist if manga else client.animelist
    work: Any = (client.manga if manga else client.anime).get(item_id, fields="my_list_status")
    entry = work.my_list_status
    if entry is None:
        raise NotFound(
            f"{_kind(manga).capitalize()} {item_id} is not on your list: add it with "
            "`mal list set`.",
            status=404,
        )
    current = int(getattr(entry, measure) or 0)
    target = max(0, current + amount)
    if target == current:
        return entry
    return resource.update(item_id, **{measure: target})


# --- mal list rm --------------------------------------------------------------------------------


@lists.command
def rm(
    item: Item, *, manga: bool = False, as_json: Json = False, where: Where | None = None
) -> None:
    """Remove a title from your list. Removing one that is not there is not an error.

    Examples

        mal list rm 5114
        mal list rm 2 --manga
        mal list rm 5114 --json
        mal list rm "ou no majo movie 2"

    Parameters
    ----------
    manga
        Remove from the manga list.
    as_json
        Print `{"id", "kind", "removed"}`; removed is false when the title was not on the list.
    """

    def body() -> int:
        with client_for(where, user=True) as client:
            item_id = _item_id(client, item, manga)
            resource: Any = client.mangalist if manga else client.animelist
            removed = resource.delete(item_id)
            forget_in_mirror(client, manga, [item_id])
        if as_json:
            print_json({"id": item_id, "kind": _kind(manga), "removed": bool(removed)})
        elif removed:
            print(f"Removed {_kind(manga)} {item_id} from your list.")
        else:
            print(f"{_kind(manga).capitalize()} {item_id} was not on your list; nothing removed.")
        return 0

    run(body)


def forget_in_mirror(client: Client, manga: bool, item_ids: Iterable[int]) -> None:
    """Drop deleted entries from the list mirror at once (an incremental sync cannot see
    deletions); nothing to do when no mirror was ever made."""
    ids = list(item_ids)
    path = mirror_path()
    if not ids or not path.exists():
        return
    from malclient.mirror import ListMirror, signed_in_name

    with local_cache(path):
        name = signed_in_name(path, client)
        with ListMirror(path, client, name, "manga" if manga else "anime") as mirror:
            for item_id in ids:
                mirror.forget(item_id)


# --- mal list export ----------------------------------------------------------------------------

ANIME_CSV = (
    "id",
    "title",
    "media_type",
    "num_episodes",
    "status",
    "score",
    "num_episodes_watched",
    "is_rewatching",
    "num_times_rewatched",
    "rewatch_value",
    "priority",
    "start_date",
    "finish_date",
    "tags",
    "comments",
    "updated_at",
)
MANGA_CSV = (
    "id",
    "title",
    "media_type",
    "num_chapters",
    "num_volumes",
    "status",
    "score",
    "num_chapters_read",
    "num_volumes_read",
    "is_rereading",
    "num_times_reread",
    "reread_value",
    "priority",
    "start_date",
    "finish_date",
    "tags",
    "comments",
    "updated_at",
)
_NODE_COLUMNS = frozenset(
    {"id", "title", "media_type", "num_episodes", "num_chapters", "num_volumes"}
)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, datetime):
        return value.isoformat()  # MAL's form, `+00:00` (SPEC 3.7)
    return str(value)


def _csv_row(entry: Any, columns: tuple[str, ...]) -> list[str]:
    row = []
    for column in columns:
        source = entry.node if column in _NODE_COLUMNS else entry.list_status
        row.append(_csv_value(getattr(source, column, None)))
    return row


@lists.command
def export(
    *,
    output: Annotated[Path, cyclopts.Parameter(name=["--output", "-o"], allow_leading_hyphen=True)],
    format: Literal["json", "csv", "xml"] = "json",
    user: str | None = None,
    manga: bool = False,
    where: Where | None = None,
) -> None:
    """Save a whole list to a file, page by page (a 10,000-entry list never sits in memory).

    `json` keeps everything the API gives (MAL's entries: `node` and `list_status`); `csv` has
    one row per entry with the columns listed in the CLI docs. The file appears complete or
    not at all. A progress bar counts pages on a terminal.

    Examples

        mal list export -o anime.json
        mal list export --format csv -o anime.csv
        mal list export --manga --format csv -o manga.csv
        mal list export --user bob -o bob.json
        mal list export --format xml -o animelist.xml

    Parameters
    ----------
    output
        The file to write (`-` for standard output).
    format
        json, csv or xml (MAL's own list-export format, which MAL's import page reads).
    user
        Whose list (default: yours).
    manga
        The manga list instead of the anime list.
    """

    def body() -> int:
        from malclient.fields import ANIME_LIST_EXPORT, MANGA_LIST_EXPORT

        with client_for(where, user=user is None) as client:
            resource: Any = client.mangalist if manga else client.animelist
            first = resource.list(
                user or "@me",
                limit=_LIST_PAGE,
                fields=MANGA_LIST_EXPORT if manga else ANIME_LIST_EXPORT,
            )
            pages = _with_progress(first.iter_pages())
            if format == "xml":
                from malclient.cli.transfer import xml_owner

                owner = xml_owner(client, user)
            else:
                owner = (0, "")
            if str(output) == "-":
                count = _write(sys.stdout, pages, format, manga, owner)
                sys.stdout.flush()
            else:
                count = _write_file(output, pages, format, manga, owner)
        if str(output) != "-":
            print(f"Exported {count} {_kind(manga)} entries to {output}.", file=sys.stderr)
        return 0

    run(body)


def _write_file(
    target: Path, pages: Iterator[Any], fmt: str, manga: bool, owner: tuple[int, str]
) -> int:
    from malclient._exceptions import ConfigError

    # Written beside the target, then renamed: an interrupted export leaves the old file.
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            count = _write(out, pages, fmt, manga, owner)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(target)
    except OSError as exc:
        raise ConfigError(f"Cannot write {target}: {exc.strerror or exc}.") from None
    finally:
        partial.unlink(missing_ok=True)
    return count


def _write(out: Any, pages: Iterator[Any], fmt: str, manga: bool, owner: tuple[int, str]) -> int:
    from malclient.models import dump_json

    if fmt == "xml":
        from malclient.cli.transfer import write_xml

        return write_xml(out, pages, manga, owner)
    count = 0
    if fmt == "csv":
        columns = MANGA_CSV if manga else ANIME_CSV
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for page in pages:
            for entry in page.data:
                writer.writerow(_csv_row(entry, columns))
                count += 1
        return count
    out.write("[")
    for page in pages:
        for entry in page.data:
            out.write(("\n" if count == 0 else ",\n") + dump_json(entry).decode())
            count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def _with_progress(pages: Iterator[Any]) -> Iterator[Any]:
    """The pages, with a bar on a terminal's stderr (nothing on a pipe)."""
    with progress("exporting", unit="entries") as advance:
        for page in pages:
            yield page
            advance(len(page.data))
