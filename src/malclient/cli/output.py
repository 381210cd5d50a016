"""What the look-up and list commands share: running a command (one-line errors, exit codes),
building the client, and printing tables or exact JSON. Holds no API logic; imports the client,
models and rich only inside functions, so `mal --help` stays light.
"""

from __future__ import annotations

import json
import shutil
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
    "print_json",
    "print_json_stream",
    "print_table",
    "progress",
    "run",
    "usage",
    "write_table",
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
def progress(
    label: str, *, total: int | None = None, unit: str = "", quiet: bool = False
) -> Iterator[Advance]:
    """A bar on a terminal's stderr, nothing on a pipe or when `quiet` (scripts and cron read
    stdout clean); yields `advance(n, total=...)`, where `total` may grow as work is found."""
    if quiet or not sys.stderr.isatty():
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
def _console() -> Iterator[Any]:
    from rich.console import Console

    # On a pipe rich prints no colour; a wide page keeps long titles on one line there.
    yield Console(file=sys.stdout, width=None if sys.stdout.isatty() else 200, highlight=False)


def print_table(
    rows: Iterable[Any], columns: Sequence[Column], *, title: str | None = None, empty: str
) -> int:
    """A table of `rows` on stdout (or `empty` when there are none); returns the row count."""
    cells = [[cell(column.get(row)) for column in columns] for row in rows]
    if not cells:
        print(empty, flush=True)
        return 0
    if title:
        print(title)
    return write_table(
        [column.heading for column in columns], [column.justify for column in columns], cells
    )


# A pipe gets wide lines, so long titles stay on one line for grep, cut and friends.
_PIPE_WIDTH = 200
_GAP = "  "
_MIN_FOLD = 12
_MIN_OTHER = 4


def write_table(
    headings: Sequence[str], justify: Sequence[str], rows: Iterable[Sequence[str] | str]
) -> int:
    """Text cells in aligned columns on stdout, the widest left-aligned column folded to fit a
    terminal; a `str` row is a section heading ("" a blank line). Returns the row count.

    Drawn by hand rather than with rich's Table, which took 4 s for a 10,000-entry list (this
    takes milliseconds); rich only measures the width of each cell (wide characters count two).
    """
    from rich.cells import cell_len

    lines = list(rows)
    tty = sys.stdout.isatty()
    page = shutil.get_terminal_size().columns if tty else _PIPE_WIDTH
    widths = [cell_len(heading) for heading in headings]
    for row in lines:
        if not isinstance(row, str):
            for index, text in enumerate(row):
                size = max(cell_len(part) for part in text.split("\n"))
                if size > widths[index]:
                    widths[index] = size
    # Too wide for the page: fold left-aligned columns, the widest (the title) first.
    excess = 1 + sum(widths) + len(_GAP) * (len(widths) - 1) - page
    left = sorted(
        (index for index, side in enumerate(justify) if side == "left"),
        key=widths.__getitem__,
        reverse=True,
    )
    for rank, index in enumerate(left):
        if excess <= 0:
            break
        floor = _MIN_FOLD if rank == 0 else max(cell_len(headings[index]), _MIN_OTHER)
        taken = max(0, min(excess, widths[index] - floor))
        widths[index] -= taken
        excess -= taken
    bold, reset = ("\x1b[1m", "\x1b[0m") if tty else ("", "")
    out = sys.stdout
    out.write(f" {bold}{_line(headings, widths, justify)}{reset}\n")
    out.write(" " + "─" * (sum(widths) + len(_GAP) * (len(widths) - 1)) + "\n")
    count = 0
    for row in lines:
        if isinstance(row, str):
            out.write(f" {bold}{row}{reset}\n" if row else "\n")
            continue
        count += 1
        wrapped = [_wrap(text, width) for text, width in zip(row, widths, strict=True)]
        for depth in range(max(len(parts) for parts in wrapped)):
            texts = [parts[depth] if depth < len(parts) else "" for parts in wrapped]
            out.write(f" {_line(texts, widths, justify)}\n")
    out.flush()
    return count


def _line(texts: Sequence[str], widths: Sequence[int], justify: Sequence[str]) -> str:
    from rich.cells import cell_len

    padded = []
    for text, width, side in zip(texts, widths, justify, strict=True):
        space = " " * max(0, width - cell_len(text))
        padded.append(space + text if side == "right" else text + space)
    return _GAP.join(padded).rstrip()


def _wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` cells: at spaces where it can, else mid-word."""
    from rich.cells import cell_len, chop_cells

    lines: list[str] = []
    for paragraph in text.split("\n"):
        if cell_len(paragraph) <= width:
            lines.append(paragraph)
            continue
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if cell_len(candidate) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            pieces = chop_cells(word, width) if cell_len(word) > width else [word]
            lines.extend(pieces[:-1])
            current = pieces[-1]
        lines.append(current)
    return lines


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
    with _console() as out:
        out.print(f"[bold]{_escape(title)}[/bold]")
        out.print(table)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
