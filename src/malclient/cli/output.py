"""What the look-up and list commands share: running a command (one-line errors, exit codes),
building the client, and printing tables or exact JSON. Holds no API logic; imports the client,
models and rich only inside functions, so `mal --help` stays light.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from malclient._exceptions import (
    ConfigError,
    MALError,
    NotFound,
    RateLimited,
    ReauthorizationRequired,
)
from malclient.cli.auth import Where, exit_code, scrub

if TYPE_CHECKING:
    from malclient.client import Client

__all__ = [
    "EXIT_NOT_FOUND",
    "EXIT_RATE_LIMITED",
    "Column",
    "cell",
    "client_for",
    "command_exit_code",
    "console",
    "print_json",
    "print_json_stream",
    "print_table",
    "progress",
    "run",
    "usage",
]

EXIT_RATE_LIMITED = 5  # MAL kept refusing with 403 after the client's cool-downs (SPEC 3.8)
EXIT_NOT_FOUND = 6  # no such anime, manga, user, topic or list entry


def command_exit_code(exc: BaseException) -> int:
    """`auth.exit_code`, plus 5 for rate limiting or a ban and 6 for not found."""
    if isinstance(exc, RateLimited):
        return EXIT_RATE_LIMITED
    if isinstance(exc, NotFound):
        return EXIT_NOT_FOUND
    return exit_code(exc)


def usage(message: str) -> ConfigError:
    """A usage error (exit status 2), raised by commands for flags that cannot work together."""
    return ConfigError(message)


def run(body: Callable[[], int]) -> None:
    """Run a command: errors become one `mal: <reason>` line and an exit status."""
    code = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", UserWarning)
        try:
            code = body()
        except MALError as exc:
            print(f"mal: {scrub(str(exc))}", file=sys.stderr, flush=True)
            code = command_exit_code(exc)
        except BrokenPipeError:
            # `mal list show | head`: the reader left; that is not a failure of ours.
            sys.stderr.close()
            code = 0
        except KeyboardInterrupt:
            print("\nmal: cancelled", file=sys.stderr, flush=True)
            code = 130
        for item in caught:
            print(f"mal: warning: {scrub(str(item.message))}", file=sys.stderr, flush=True)
    if code:
        raise SystemExit(code)


def client_for(where: Where | None, *, user: bool) -> Client:
    """The client for `--config` / `--sandbox`: as the signed-in user, or with the client id
    alone (public data, SPEC 3.1) when `user` is False."""
    from malclient.client import Client
    from malclient.settings import Settings

    where = where or Where()
    settings = Settings.resolve(config=where.config, sandbox=where.sandbox)
    if user and settings.file.authorization is None:
        raise ReauthorizationRequired(
            f"Nobody is signed in with {settings.config_path} (use the same --config and "
            "--sandbox as for signing in)."
        )
    if not user and settings.file.authorization is not None:
        user = True  # the user's token reads public data too, and their own list status
    return Client.from_settings(settings, user=user)


# --- JSON -----------------------------------------------------------------------------------


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def print_json(value: Any) -> None:
    """One JSON document on stdout; models are written as MAL writes them (`models.dump`)."""
    from malclient.models import dump

    sys.stdout.write(_dumps(dump(value)) + "\n")
    sys.stdout.flush()


def print_json_stream(items: Iterable[Any]) -> int:
    """A JSON array written entry by entry, so a 10,000-entry list never sits in memory."""
    from malclient.models import dump

    out = sys.stdout
    count = 0
    out.write("[")
    for item in items:
        out.write(("\n" if count == 0 else ",\n") + _dumps(dump(item)))
        count += 1
    out.write("\n]\n" if count else "]\n")
    out.flush()
    return count


# --- progress -------------------------------------------------------------------------------


class Advance(Protocol):
    def __call__(self, advance: int = 1, *, total: int | None = None) -> None: ...


def _unchanged(advance: int = 1, *, total: int | None = None) -> None:
    return None


@contextmanager
def progress(label: str, *, total: int | None = None, unit: str = "") -> Iterator[Advance]:
    """A bar on a terminal's stderr, nothing on a pipe (scripts and cron read stdout clean);
    yields `advance(n, total=...)`, where `total` may grow as work is discovered."""
    if not sys.stderr.isatty():
        yield _unchanged
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
    if unit:
        columns.append(TextColumn(unit))
    with Progress(*columns, console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(advance: int = 1, *, total: int | None = None) -> None:
            bar.update(task, advance=advance, total=total)

        yield advance


# --- tables ---------------------------------------------------------------------------------


class Column:
    """A table column: its heading, how to get the cell from a row, and its justification."""

    __slots__ = ("get", "heading", "justify")

    def __init__(self, heading: str, get: Callable[[Any], object], justify: str = "left") -> None:
        self.heading = heading
        self.get = get
        self.justify = justify


def cell(value: object) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


@contextmanager
def console() -> Iterator[Any]:
    from rich.console import Console

    # On a pipe rich prints no colour; a wide page keeps long titles on one line there.
    yield Console(file=sys.stdout, width=None if sys.stdout.isatty() else 200, highlight=False)


def print_table(
    rows: Iterable[Any], columns: Sequence[Column], *, title: str | None = None, empty: str
) -> int:
    """A table of `rows` on stdout (or `empty` when there are none); returns the row count."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for column in columns:
        table.add_column(column.heading, justify=column.justify, overflow="fold")  # type: ignore[arg-type]
    count = 0
    for row in rows:
        table.add_row(*(Text(cell(column.get(row))) for column in columns))
        count += 1
    with console() as out:
        if count:
            out.print(table)
        else:
            out.print(empty)
    return count


def print_fields(pairs: Sequence[tuple[str, object]], *, title: str) -> None:
    """A record as `name  value` lines under a bold title."""
    from rich.table import Table
    from rich.text import Text

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for name, value in pairs:
        if value is not None and value != "" and value != []:
            table.add_row(name, Text(cell(value)))
    with console() as out:
        out.print(f"[bold]{_escape(title)}[/bold]")
        out.print(table)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
