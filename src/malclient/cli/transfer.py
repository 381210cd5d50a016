"""`mal list export --format xml` (MAL's own list-export format) and `mal list import` (with
journal, resume and undo). Thin: reading exports, the merge rules and the journal live in
`listplan.py`; this module reads the current list, sends the plan through the client and prints.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from malclient.cli.auth import Where
from malclient.cli.lists import forget_in_mirror
from malclient.cli.output import client_for, run, usage

if TYPE_CHECKING:
    from malclient.client import Client
    from malclient.listplan import Change, Entry, Journal, Kind

__all__ = ["import_list", "write_xml"]

# --- MAL's XML export ---------------------------------------------------------------------------

# `media_type` (SPEC 5.1) -> the word MAL's export writes in `series_type`.
_SERIES_TYPE = {
    "tv": "TV",
    "ova": "OVA",
    "movie": "Movie",
    "special": "Special",
    "ona": "ONA",
    "music": "Music",
    "tv_special": "TV Special",
    "cm": "CM",
    "pv": "PV",
}


def _cdata(text: str | None) -> str:
    # XML 1.0 allows no control characters; "]]>" would end the section early.
    clean = "".join(c for c in text or "" if c >= " " or c in "\t\n\r")
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _xml_anime(entry: Any) -> str:
    from malclient.listplan import XML_PRIORITY, XML_STATUS, xml_date

    node, mine = entry.node, entry.list_status
    status = XML_STATUS["anime"].get(str(mine.status), str(mine.status))
    return (
        "\t<anime>\n"
        f"\t\t<series_animedb_id>{node.id}</series_animedb_id>\n"
        f"\t\t<series_title>{_cdata(node.title)}</series_title>\n"
        f"\t\t<series_type>{_SERIES_TYPE.get(str(node.media_type), 'Unknown')}</series_type>\n"
        f"\t\t<series_episodes>{node.num_episodes or 0}</series_episodes>\n"
        "\t\t<my_id>0</my_id>\n"
        f"\t\t<my_watched_episodes>{mine.num_episodes_watched or 0}</my_watched_episodes>\n"
        f"\t\t<my_start_date>{xml_date(mine.start_date)}</my_start_date>\n"
        f"\t\t<my_finish_date>{xml_date(mine.finish_date)}</my_finish_date>\n"
        "\t\t<my_rated></my_rated>\n"
        f"\t\t<my_score>{mine.score or 0}</my_score>\n"
        "\t\t<my_storage></my_storage>\n"
        "\t\t<my_storage_value>0.00</my_storage_value>\n"
        f"\t\t<my_status>{status}</my_status>\n"
        f"\t\t<my_comments>{_cdata(mine.comments)}</my_comments>\n"
        f"\t\t<my_times_watched>{mine.num_times_rewatched or 0}</my_times_watched>\n"
        f"\t\t<my_rewatch_value>{mine.rewatch_value or ''}</my_rewatch_value>\n"
        f"\t\t<my_priority>{XML_PRIORITY[min(mine.priority or 0, 2)]}</my_priority>\n"
        f"\t\t<my_tags>{_cdata(', '.join(mine.tags or []))}</my_tags>\n"
        f"\t\t<my_rewatching>{1 if mine.is_rewatching else 0}</my_rewatching>\n"
        "\t\t<my_rewatching_ep>0</my_rewatching_ep>\n"
        "\t\t<my_discuss>1</my_discuss>\n"
        "\t\t<my_sns>default</my_sns>\n"
        "\t\t<update_on_import>1</update_on_import>\n"
        "\t</anime>\n"
    )


def _xml_manga(entry: Any) -> str:
    from malclient.listplan import XML_PRIORITY, XML_STATUS, xml_date

    node, mine = entry.node, entry.list_status
    status = XML_STATUS["manga"].get(str(mine.status), str(mine.status))
    return (
        "\t<manga>\n"
        f"\t\t<manga_mangadb_id>{node.id}</manga_mangadb_id>\n"
        f"\t\t<manga_title>{_cdata(node.title)}</manga_title>\n"
        f"\t\t<manga_volumes>{node.num_volumes or 0}</manga_volumes>\n"
        f"\t\t<manga_chapters>{node.num_chapters or 0}</manga_chapters>\n"
        "\t\t<my_id>0</my_id>\n"
        f"\t\t<my_read_volumes>{mine.num_volumes_read or 0}</my_read_volumes>\n"
        f"\t\t<my_read_chapters>{mine.num_chapters_read or 0}</my_read_chapters>\n"
        f"\t\t<my_start_date>{xml_date(mine.start_date)}</my_start_date>\n"
        f"\t\t<my_finish_date>{xml_date(mine.finish_date)}</my_finish_date>\n"
        "\t\t<my_scanalation_group>" + _cdata("") + "</my_scanalation_group>\n"
        f"\t\t<my_score>{mine.score or 0}</my_score>\n"
        "\t\t<my_storage></my_storage>\n"
        "\t\t<my_retail_volumes>0</my_retail_volumes>\n"
        f"\t\t<my_status>{status}</my_status>\n"
        f"\t\t<my_comments>{_cdata(mine.comments)}</my_comments>\n"
        f"\t\t<my_times_read>{mine.num_times_reread or 0}</my_times_read>\n"
        f"\t\t<my_tags>{_cdata(', '.join(mine.tags or []))}</my_tags>\n"
        f"\t\t<my_priority>{XML_PRIORITY[min(mine.priority or 0, 2)]}</my_priority>\n"
        f"\t\t<my_reread_value>{mine.reread_value or ''}</my_reread_value>\n"
        f"\t\t<my_rereading>{1 if mine.is_rereading else 0}</my_rereading>\n"
        "\t\t<my_discuss>1</my_discuss>\n"
        "\t\t<my_sns>default</my_sns>\n"
        "\t\t<update_on_import>1</update_on_import>\n"
        "\t</manga>\n"
    )


_TOTALS = {
    "anime": (
        ("watching", "user_total_watching"),
        ("completed", "user_total_completed"),
        ("on_hold", "user_total_onhold"),
        ("dropped", "user_total_dropped"),
        ("plan_to_watch", "user_total_plantowatch"),
    ),
    "manga": (
        ("reading", "user_total_reading"),
        ("completed", "user_total_completed"),
        ("on_hold", "user_total_onhold"),
        ("dropped", "user_total_dropped"),
        ("plan_to_read", "user_total_plantoread"),
    ),
}


def write_xml(out: Any, pages: Iterator[Any], manga: bool, owner: tuple[int, str]) -> int:
    """MAL's export: `myinfo` with the totals first, so the entries go to a temporary file as
    pages arrive and are copied after it (the list is never held in memory)."""
    import shutil
    import tempfile
    from collections import Counter
    from xml.sax.saxutils import escape

    kind = "manga" if manga else "anime"
    element = _xml_manga if manga else _xml_anime
    counts: Counter[str] = Counter()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as body:
        for page in pages:
            for entry in page.data:
                body.write(element(entry))
                counts[str(entry.list_status.status)] += 1
        user_id, user_name = owner
        out.write('<?xml version="1.0" encoding="UTF-8" ?>\n<myanimelist>\n\t<myinfo>\n')
        out.write(f"\t\t<user_id>{user_id}</user_id>\n")
        out.write(f"\t\t<user_name>{escape(user_name)}</user_name>\n")
        out.write(f"\t\t<user_export_type>{2 if manga else 1}</user_export_type>\n")
        out.write(f"\t\t<user_total_{kind}>{counts.total()}</user_total_{kind}>\n")
        for status, name in _TOTALS[kind]:
            out.write(f"\t\t<{name}>{counts[status]}</{name}>\n")
        out.write("\t</myinfo>\n\n")
        body.seek(0)
        shutil.copyfileobj(body, out)
        out.write("</myanimelist>\n")
    return counts.total()


def xml_owner(client: Client, user: str | None) -> tuple[int, str]:
    """`myinfo`'s user id and name: the signed-in user's, or just the name for `--user`
    (MAL's API tells a user's id only to that user, SPEC 4.10)."""
    if user:
        return 0, user
    me = client.users.me(fields="name")
    return me.id, me.name


# --- mal list import ----------------------------------------------------------------------------


def _current(client: Client, kind: Kind) -> dict[int, Entry]:
    """The signed-in user's whole list, as comparable entries."""
    from malclient.fields import ANIME_LIST_EXPORT, MANGA_LIST_EXPORT
    from malclient.listplan import normalize
    from malclient.models import dump

    resource: Any = client.mangalist if kind == "manga" else client.animelist
    first = resource.list(
        "@me", limit=1000, fields=MANGA_LIST_EXPORT if kind == "manga" else ANIME_LIST_EXPORT
    )
    return {
        entry.node.id: normalize(kind, dump(entry.list_status))
        for page in first.iter_pages()
        for entry in page.data
    }


def _describe(change: Change) -> str:
    if change.before is None:
        parts = [f"{name}={_shown(value)}" for name, value in change.send.items()]
        return f"add    {change.id}: " + ", ".join(parts)
    parts = [
        f"{name} {_shown(change.before.get(name))} -> {_shown(value)}"
        for name, value in change.send.items()
    ]
    return f"change {change.id}: " + ", ".join(parts)


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    if isinstance(value, str) and (" " in value or not value):
        return repr(value)
    return str(value)


def _bar(total: int, label: str) -> Any:
    """A progress bar on a terminal's stderr; None on a pipe."""
    if not sys.stderr.isatty() or not total:
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    )


def _apply(
    client: Client, journal: Journal, changes: list[Change], current: dict[int, Entry]
) -> int:
    from malclient._exceptions import BadRequest, NotFound
    from malclient.listplan import apply_target

    kind = journal.kind or "anime"
    resource: Any = client.mangalist if kind == "manga" else client.animelist
    bar = _bar(len(changes), "importing")
    task = bar.add_task("import", total=len(changes)) if bar else None
    sent = 0
    if bar:
        bar.start()
    try:
        for change in changes:
            if apply_target(change.send, current.get(change.id)):
                # Written before an interruption that came ahead of its journal line.
                journal.mark_done(change)
            else:
                try:
                    resource.update(change.id, **change.send)
                except (BadRequest, NotFound, ValueError, TypeError) as exc:
                    journal.mark_refused(change, str(exc))
                else:
                    journal.mark_done(change)
                    sent += 1
            if bar:
                bar.advance(task)
    finally:
        if bar:
            bar.stop()
    return sent


def _undo(client: Client, journal: Journal) -> int:
    from malclient._exceptions import BadRequest, NotFound
    from malclient.listplan import restore_form

    if journal.kind is None:
        raise usage(f"{journal.path} holds no import: nothing to undo.")
    kind = journal.kind
    resource: Any = client.mangalist if kind == "manga" else client.animelist
    items = journal.to_undo()
    bar = _bar(len(items), "undoing")
    task = bar.add_task("undo", total=len(items)) if bar else None
    refused: list[str] = []
    deleted: list[int] = []
    if bar:
        bar.start()
    try:
        for ident, before, changed in items:
            try:
                if before is None:
                    resource.delete(ident)
                    deleted.append(ident)
                else:
                    resource.update(ident, **restore_form(kind, before, sorted(changed)))
            except (BadRequest, NotFound) as exc:
                refused.append(f"{kind} {ident}: {exc}")
            else:
                journal.mark_undone(ident)
            if bar:
                bar.advance(task)
    finally:
        if bar:
            bar.stop()
        forget_in_mirror(client, kind == "manga", deleted)
    print(f"Undone: {len(items) - len(refused)} {kind} entries put back as they were.")
    for line in refused:
        print(f"mal: could not undo {line}", file=sys.stderr)
    return 0


def import_list(
    file: Path | None = None,
    *,
    manga: bool = False,
    dry_run: bool = False,
    overwrite: bool = False,
    yes: bool = False,
    journal: Path | None = None,
    undo: Path | None = None,
    where: Where | None = None,
) -> None:
    """Bring an export (ours, JSON or XML, or MAL's own XML) into your list, safely.

    Compares the file with your list and sends one request per entry that changes, carrying
    only the changed fields. Merge rules: a completed entry is never moved back; progress keeps
    the higher count; scores, dates, tags and comments are filled in where your list has none
    and replaced only with `--overwrite`. Every planned and applied change goes to a journal
    (`FILE.journal` unless `--journal`): an interrupted import run again resumes where it
    stopped and never sends a change twice, and `--undo JOURNAL` puts the list back. Entries
    MAL refuses are listed at the end; the rest go on.

    Examples:

        mal list import bob.json --dry-run
        mal list import animelist.xml --yes
        mal list import manga.xml --manga
        mal list import --undo bob.json.journal

    Parameters
    ----------
    file
        The export to import: `mal list export` JSON or XML, or MAL's XML export.
    manga
        The file is a manga list.
    dry_run
        Print the plan and change nothing.
    overwrite
        Replace scores, dates, tags and comments your list already has with the file's.
    yes
        Do not ask before changing the list (asked only on a terminal).
    journal
        The journal file (default: the file's name with `.journal` added).
    undo
        Put back what the import recorded in this journal did, then stop.
    """

    def body() -> int:
        from malclient.listplan import plan, read_source

        if undo is not None:
            if file is not None:
                raise usage("--undo takes the journal alone: leave out the export file.")
            loaded = _load_journal(undo, must_exist=True)
            with client_for(where, user=True) as client:
                return _undo(client, loaded)
        if file is None:
            raise usage("Name the export to import (or --undo JOURNAL).")
        kind: Kind = "manga" if manga else "anime"
        try:
            incoming = read_source(file, kind)
        except OSError as exc:
            raise usage(f"Cannot read {file}: {exc.strerror or exc}.") from None
        except Exception as exc:  # a broken file: JSON or XML errors of several kinds
            raise usage(f"{file} is not a list export: {exc}.") from None
        record: Journal = _load_journal(journal or file.with_name(file.name + ".journal"))
        if record.kind not in (None, kind):
            raise usage(f"{record.path} is the journal of a {record.kind} import.")
        with client_for(where, user=True) as client:
            current = _current(client, kind)
            resuming = bool(record.pending)
            if resuming:
                changes = list(record.pending.values())
                print(f"Resuming an interrupted import: {len(changes)} changes left.")
            else:
                changes = plan(kind, incoming, current, overwrite=overwrite)
                adds = sum(1 for change in changes if change.creates)
                print(
                    f"Plan: {adds} to add, {len(changes) - adds} to change, "
                    f"{len(incoming) - len(changes)} already as the file has them."
                )
            if dry_run:
                for change in changes:
                    print(_describe(change))
                return 0
            if not changes:
                return 0
            if not yes and sys.stdin.isatty():
                answer = input(f"Apply {len(changes)} changes to your {kind} list? [y/N] ")
                if answer.strip().lower() not in ("y", "yes"):
                    print("Nothing changed.")
                    return 0
            if not resuming:
                record.begin(kind, file.name, changes)
            sent = _apply(client, record, changes, current)
        refused = [c for c in changes if c.id in record.refused]
        print(
            f"Imported: {sent} {kind} entries written, {len(refused)} refused. "
            f"Undo with: mal list import --undo {record.path}"
        )
        for change in refused:
            print(
                f"mal: MAL refused {kind} {change.id}: {record.refused[change.id]}", file=sys.stderr
            )
        return 0

    run(body)


def _load_journal(path: Path, *, must_exist: bool = False) -> Journal:
    from malclient.listplan import Journal

    if must_exist and not path.exists():
        raise usage(f"No journal at {path}: give the file `mal list import` named.")
    try:
        return Journal.load(path)
    except OSError as exc:
        raise usage(f"Cannot read {path}: {exc.strerror or exc}.") from None
    except (ValueError, KeyError) as exc:
        raise usage(f"{path} is not an import journal: {exc}.") from None
