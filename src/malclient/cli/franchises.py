"""`mal list franchises`: a list's anime grouped into franchises, in watch order, with how much
of each the user has seen. The crawl, its cache and the grouping live in `malclient.franchises`;
this module parses, calls and renders.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Literal

from malclient.cli.auth import Json, Where
from malclient.cli.output import client_for, progress, run, usage

if TYPE_CHECKING:
    from malclient.franchises import Crawl, Franchise, Member

__all__ = ["franchises"]

WatchStatus = Literal["watching", "completed", "on_hold", "dropped", "plan_to_watch"]

# A first run reads every title once: a few hundred entries lead to about a thousand titles,
# some eight minutes at the default two requests a second. Longer lists take more runs; each
# continues where the last stopped, and later runs cost almost nothing.
DEFAULT_MAX_REQUESTS = 1000


def franchises(
    *,
    user: str | None = None,
    status: WatchStatus | None = None,
    unfinished: bool = False,
    max_requests: int = DEFAULT_MAX_REQUESTS,
    refresh: bool = False,
    as_json: Json = False,
    where: Where | None = None,
) -> None:
    """The list's anime grouped into franchises (sequels, prequels, side stories, spin-offs,
    alternative versions, ...), each in watch order, with how much of it you have seen.

    Franchises are found by reading each title's related anime on MAL. What is read is kept for
    30 days next to the list mirror, so only the first run is slow; it sends at most
    `--max-requests` requests, nearest titles first, and says so when it stopped early: run the
    same command again to continue. Watch order is the order the titles came out. "Seen" counts
    completed titles among those aired, leaving out promotional clips and music videos.

    Examples

        mal list franchises
        mal list franchises --status completed --unfinished
        mal list franchises --user bob --json > franchises.json

    Parameters
    ----------
    user
        Whose list (default: yours).
    status
        Start only from entries with this status (e.g. completed), instead of the whole list.
    unfinished
        Only franchises with something left to watch.
    max_requests
        Read at most this many titles from MAL in this run (the rest on the next run).
    refresh
        Read titles again even if read in the last 30 days (still within --max-requests).
    as_json
        Print the franchises as one JSON document (keys in docs/cli.md).
    """

    def body() -> int:
        from malclient._exceptions import RateLimited
        from malclient.cli.lists import _mirrored, local_cache, mirror_path
        from malclient.franchises import RelationCache, crawl, group

        if max_requests < 0:
            raise usage(f"--max-requests must be 0 or more, not {max_requests}")
        with (
            client_for(where, user=user is None) as client,
            _mirrored(client, user, manga=False) as mirror,
        ):
            entries = list(mirror.entries(status=status))
            path = mirror_path().with_name("relations.sqlite3")
            with local_cache(path):
                cache = RelationCache(path, client.api_url)
            with (
                cache,
                progress("reading relations", unit="titles") as advance,
            ):
                try:
                    found = crawl(
                        client,
                        [entry.node.id for entry in entries],
                        cache,
                        max_requests=max_requests,
                        refresh=refresh,
                        on_read=lambda done, known: advance(total=known),
                    )
                except RateLimited as exc:
                    raise RateLimited(
                        f"{exc} The titles read so far are kept: run the same command later "
                        "to continue from there.",
                        status=exc.status,
                    ) from None
        groups = group(found.graph, entries)
        if unfinished:
            groups = [franchise for franchise in groups if franchise.next is not None]
        if as_json:
            from malclient.cli.output import print_json

            print_json(_as_json(found, groups))
        else:
            if unfinished:
                empty = "Nothing left to watch: every franchise on the list is seen."
            elif status:
                empty = f"No franchises: no anime on the list with status {status}."
            else:
                empty = "No franchises: the list has no anime."
            _print(groups, empty)
            if sys.stdout.isatty() and groups:
                print(f"{len(groups)} franchises; {found.requests} requests to MAL.")
        if found.put_off:
            print(
                f"mal: stopped after {found.requests} requests (--max-requests); "
                f"{found.put_off} titles were left for the next run, so some franchises may be "
                "missing titles (marked *). Run the same command again to continue.",
                file=sys.stderr,
            )
        return 0

    run(body)


# --- output ---------------------------------------------------------------------------------


def _percent(part: int, whole: int) -> str:
    return f"{100 * part // whole}%" if whole else "-"


def _yours(member: Member) -> str | None:
    entry = member.entry
    if entry is None:
        return None
    status = str(entry.status)
    if status in ("watching", "on_hold", "dropped"):
        return f"{status} {entry.num_episodes_watched or 0}/{member.title.num_episodes or '?'}"
    return status


def _aired(member: Member) -> str | None:
    if member.title.status == "not_yet_aired":
        return f"{member.title.start_date or ''} (upcoming)".strip()
    return member.title.start_date


def _print(groups: list[Franchise], empty: str) -> None:
    """One table, a section per franchise, so columns line up from the first to the last."""
    from malclient.cli.output import cell, write_table

    if not groups:
        print(empty)
        return
    rows: list[list[str] | str] = []
    for franchise in groups:
        if rows:
            rows.append("")
        rows.append(
            f"{franchise.name}{'' if franchise.complete else ' *'} — seen "
            f"{franchise.seen}/{franchise.counted}, "
            f"{_percent(franchise.episodes_seen, franchise.episodes)} of episodes"
        )
        for number, member in enumerate(franchise.members, 1):
            title = member.title
            values = (
                number,
                title.id,
                title.title,
                title.media_type,
                _aired(member),
                title.num_episodes or None,
                _yours(member),
            )
            rows.append([cell(value) for value in values])
    write_table(
        ["#", "id", "title", "type", "aired", "eps", "yours"],
        ["right", "right", "left", "left", "left", "right", "left"],
        rows,
    )


def _member_json(member: Member) -> dict[str, Any]:
    from malclient.models import dump

    title = member.title
    return {
        "id": title.id,
        "title": title.title,
        "media_type": title.media_type,
        "start_date": title.start_date,
        "num_episodes": title.num_episodes,
        "status": title.status,
        "counted": member.counted,
        "list_status": None if member.entry is None else dump(member.entry),
    }


def _as_json(found: Crawl, groups: list[Franchise]) -> dict[str, Any]:
    return {
        "requests": found.requests,
        "put_off": found.put_off,
        "franchises": [
            {
                "name": franchise.name,
                "complete": franchise.complete,
                "seen": franchise.seen,
                "counted": franchise.counted,
                "episodes_seen": franchise.episodes_seen,
                "episodes": franchise.episodes,
                "next": None if franchise.next is None else franchise.next.title.id,
                "members": [_member_json(member) for member in franchise.members],
            }
            for franchise in groups
        ],
    }
