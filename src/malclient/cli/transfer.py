"""`mal list export --format xml` (MAL's own list-export format) and `mal list import` (with
journal, resume and undo). Thin: reading exports, the merge rules and the journal live in
`listplan.py`; this module reads the current list, sends the plan through the client and prints.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from malclient.cli.auth import Json, Where
from malclient.cli.lists import forget_in_mirror
from malclient.cli.output import client_for, print_json, progress, run, usage

if TYPE_CHECKING:
    from malclient.client import Client
    from malclient.listplan import Change, Entry, Journal, Kind, Source

__all__ = ["import_list", "write_xml"]

# --- MAL's XML export ---------------------------------------------------------------------------
# Element names, order and value formats as MAL's website writes its export; docs/cli.md names
# the public files they were checked against. `update_on_import` is 0 as in MAL's own files, so
# MAL's import page leaves entries the list already has as they are.

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


def _within(value: int | None, top: int) -> int:
    return max(0, min(value or 0, top))


def _xml_anime(entry: Any) -> str:
    from malclient.listplan import XML_PRIORITY, XML_REPLAY, XML_STATUS, xml_date

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
        f"\t\t<my_rewatch_value>{XML_REPLAY[_within(mine.rewatch_value, 5)]}</my_rewatch_value>\n"
        f"\t\t<my_priority>{XML_PRIORITY[_within(mine.priority, 2)]}</my_priority>\n"
        f"\t\t<my_tags>{_cdata(', '.join(mine.tags or []))}</my_tags>\n"
        f"\t\t<my_rewatching>{1 if mine.is_rewatching else 0}</my_rewatching>\n"
        "\t\t<my_rewatching_ep>0</my_rewatching_ep>\n"
        "\t\t<my_discuss>1</my_discuss>\n"
        "\t\t<my_sns>default</my_sns>\n"
        "\t\t<update_on_import>0</update_on_import>\n"
        "\t</anime>\n"
    )


def _xml_manga(entry: Any) -> str:
    from malclient.listplan import XML_MANGA_PRIORITY, XML_REPLAY, XML_STATUS, xml_date

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
        f"\t\t<my_priority>{XML_MANGA_PRIORITY[_within(mine.priority, 2)]}</my_priority>\n"
        f"\t\t<my_reread_value>{XML_REPLAY[_within(mine.reread_value, 5)]}</my_reread_value>\n"
        f"\t\t<my_rereading>{'YES' if mine.is_rereading else 'NO'}</my_rereading>\n"
        "\t\t<my_discuss>YES</my_discuss>\n"
        "\t\t<my_sns>default</my_sns>\n"
        "\t\t<update_on_import>0</update_on_import>\n"
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


def _whoami(client: Client) -> tuple[int, str]:
    """The signed-in account, asked of MAL once per user and then remembered (the mirror's)."""
    from malclient.cli.lists import local_cache, mirror_path
    from malclient.mirror import signed_in_account

    path = mirror_path()
    with local_cache(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        return signed_in_account(path, client)


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


def _apply(
    client: Client,
    journal: Journal,
    changes: list[Change],
    current: dict[int, Entry],
    *,
    quiet: bool,
) -> int:
    from malclient._exceptions import BadRequest, NotFound
    from malclient.listplan import apply_target

    kind = journal.kind or "anime"
    resource: Any = client.mangalist if kind == "manga" else client.animelist
    sent = 0
    with progress("importing", total=len(changes), quiet=quiet or not changes) as advance:
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
            advance()
    return sent


# --- checks before a journal is used again ------------------------------------------------------


def _check_file(record: Journal, file: Path, source: Source) -> None:
    """An unfinished import resumes only from the file it was planned from: its plan lines hold
    that file's changes, and finishing them with another file would write neither."""
    if not record.pending:
        return
    if record.digest == source.digest:
        return
    again = f"undo it with `mal list import --undo {record.path}`"
    new = "or start a new import with --journal NEW_JOURNAL"
    if record.source == file.name:
        raise usage(
            f"{file.name} has changed since the unfinished import in {record.path} began: "
            f"finish that import with the file as it was, {again}, {new}."
        )
    raise usage(
        f"{record.path} holds an unfinished import of {record.source}, not of {file.name}: "
        f"finish it with `mal list import {record.source} --journal {record.path}`, {again}, {new}."
    )


def _check_account(record: Journal, me: tuple[int, str], *, undoing: bool = False) -> None:
    """A journal belongs to the account its imports wrote to: another account would resume
    or undo changes that were never made to its list."""
    if not record.accounts or me[0] in record.accounts:
        return
    owner = " and ".join(sorted(set(record.accounts.values()))) or "another account"
    signed_in = f"you are signed in as {me[1]}"
    if undoing:
        raise usage(
            f"{record.path} records imports into {owner}'s list, and {signed_in}: sign in as "
            f"{owner} (or give the --config that holds {owner}) to undo them."
        )
    if record.pending:
        raise usage(
            f"{record.path} holds an unfinished import into {owner}'s list, and {signed_in}: "
            f"sign in as {owner} to finish it or to undo it with `mal list import --undo "
            f"{record.path}`, or start a new import with --journal NEW_JOURNAL."
        )
    raise usage(
        f"{record.path} records imports into {owner}'s list, and {signed_in}: give "
        f"--journal NEW_JOURNAL to keep {me[1]}'s import in a journal of its own."
    )


# --- what is printed ----------------------------------------------------------------------------


def _plan_document(
    kind: Kind, changes: list[Change], source: Source, *, resuming: bool
) -> dict[str, Any]:
    """`--dry-run --json`: the plan, with every field a change sends (before and after)."""
    adds = sum(1 for change in changes if change.creates)
    return {
        "kind": kind,
        "resuming": resuming,
        "counts": {
            "add": adds,
            "change": len(changes) - adds,
            "unchanged": len(source.entries) - len(changes),
        },
        "changes": [
            {
                "id": change.id,
                "title": source.titles.get(change.id),
                "action": "add" if change.creates else "change",
                "fields": {
                    name: {
                        "before": None if change.before is None else change.before.get(name),
                        "after": value,
                    }
                    for name, value in change.send.items()
                },
            }
            for change in changes
        ],
    }


def _journal_shown(record: Journal) -> str | None:
    return str(record.path) if record.path.exists() else None


def _undo(client: Client, journal: Journal, *, as_json: bool) -> int:
    from malclient._exceptions import BadRequest, NotFound
    from malclient.listplan import restore_form

    if journal.kind is None:
        raise usage(f"{journal.path} holds no import: nothing to undo.")
    _check_account(journal, _whoami(client), undoing=True)
    kind = journal.kind
    resource: Any = client.mangalist if kind == "manga" else client.animelist
    items = journal.to_undo()
    refused: list[tuple[int, str]] = []
    deleted: list[int] = []
    try:
        with progress("undoing", total=len(items), quiet=as_json or not items) as advance:
            for ident, before, changed in items:
                try:
                    if before is None:
                        resource.delete(ident)
                        deleted.append(ident)
                    else:
                        resource.update(ident, **restore_form(kind, before, sorted(changed)))
                except (BadRequest, NotFound) as exc:
                    refused.append((ident, str(exc)))
                else:
                    journal.mark_undone(ident)
                advance()
    finally:
        forget_in_mirror(client, kind == "manga", deleted)
    if as_json:
        print_json(
            {
                "kind": kind,
                "undone": len(items) - len(refused),
                "refused": [{"id": ident, "reason": reason} for ident, reason in refused],
                "journal": str(journal.path),
            }
        )
        return 0
    print(f"Undone: {len(items) - len(refused)} {kind} entries put back as they were.")
    for ident, reason in refused:
        print(f"mal: could not undo {kind} {ident}: {reason}", file=sys.stderr)
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
    as_json: Json = False,
    where: Where | None = None,
) -> None:
    """Bring an export (ours, JSON or XML, or MAL's own XML) into your list, safely.

    Compares the file with your list and sends one request per entry that changes, carrying
    only the changed fields. Merge rules: a completed entry is never moved back; progress keeps
    the higher count; scores, dates, tags and comments are filled in where your list has none
    and replaced only with `--overwrite`. Every planned and applied change goes to a journal
    (`FILE.journal` unless `--journal`): an interrupted import run again resumes where it
    stopped and never sends a change twice, and `--undo JOURNAL` puts the list back. A
    journal is resumed only with the same file and account. Entries MAL refuses are listed at
    the end; the rest go on.

    Examples

        mal list import bob.json --dry-run
        mal list import animelist.xml --yes
        mal list import mangalist_1700000000_-_123.xml.gz --manga
        mal list import bob.json --dry-run --json | jq .counts
        mal list import --undo bob.json.journal

    Parameters
    ----------
    file
        The export to import: `mal list export` JSON or XML, or MAL's XML export (`.xml` or
        the `.xml.gz` MAL's website hands out).
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
    as_json
        Print JSON instead of text: the plan with `--dry-run`, else what was done.
    """

    def body() -> int:
        from malclient.listplan import plan, read_source

        if undo is not None:
            if file is not None:
                raise usage("--undo takes the journal alone: leave out the export file.")
            loaded = _load_journal(undo, must_exist=True)
            with client_for(where, user=True) as client:
                return _undo(client, loaded, as_json=as_json)
        if file is None:
            raise usage("Name the export to import (or --undo JOURNAL).")
        kind: Kind = "manga" if manga else "anime"
        try:
            source = read_source(file, kind)
        except OSError as exc:
            raise usage(f"Cannot read {file}: {exc.strerror or exc}.") from None
        except Exception as exc:  # a broken file: JSON, XML or gzip errors of several kinds
            raise usage(f"{file} is not a list export: {exc}.") from None
        incoming = source.entries
        record: Journal = _load_journal(journal or file.with_name(file.name + ".journal"))
        if record.kind not in (None, kind):
            raise usage(f"{record.path} is the journal of a {record.kind} import.")
        _check_file(record, file, source)  # before any request: a wrong file sends nothing
        with client_for(where, user=True) as client:
            me = _whoami(client)
            _check_account(record, me)
            current = _current(client, kind)
            resuming = bool(record.pending)
            if resuming:
                changes = list(record.pending.values())
            else:
                changes = plan(kind, incoming, current, overwrite=overwrite)
            if dry_run and as_json:
                print_json(_plan_document(kind, changes, source, resuming=resuming))
                return 0
            if resuming and not as_json:
                print(f"Resuming an interrupted import: {len(changes)} changes left.")
            elif not as_json:
                adds = sum(1 for change in changes if change.creates)
                print(
                    f"Plan: {adds} to add, {len(changes) - adds} to change, "
                    f"{len(incoming) - len(changes)} already as the file has them."
                )
            if dry_run:
                for change in changes:
                    print(_describe(change))
                return 0
            sent, ran = 0, False
            if changes and _confirmed(len(changes), kind, yes=yes, as_json=as_json):
                if not resuming:
                    record.begin(kind, file.name, changes, digest=source.digest, user=me)
                sent, ran = _apply(client, record, changes, current, quiet=as_json), True
        refused = [c for c in changes if c.id in record.refused] if ran else []
        if as_json:
            print_json(
                {
                    "kind": kind,
                    "resumed": resuming,
                    "applied": sent,
                    "skipped": len(incoming) - sent - len(refused),
                    "refused": [
                        {
                            "id": change.id,
                            "title": source.titles.get(change.id),
                            "reason": record.refused[change.id],
                        }
                        for change in refused
                    ],
                    "journal": _journal_shown(record),
                }
            )
            return 0
        if not ran:
            return 0
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


def _confirmed(count: int, kind: str, *, yes: bool, as_json: bool) -> bool:
    """Asked only on a terminal; with `--json` the question and answer stay off stdout."""
    if yes or not sys.stdin.isatty():
        return True
    question = f"Apply {count} changes to your {kind} list? [y/N] "
    if as_json:
        print(question, end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline()
    else:
        answer = input(question)
    if answer.strip().lower() in ("y", "yes"):
        return True
    print("Nothing changed.", file=sys.stderr if as_json else sys.stdout)
    return False


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
