"""Which model library parses a 10,000-entry list fastest and smallest? (issue 4, "Typed models")

Fetches `bob`'s whole anime list once from a sandbox over loopback (pages of 1,000 with every
field a user list answers), then parses the same bytes with each candidate into equivalent
typed models and prints time (best of N), peak memory (tracemalloc) and ratios to msgspec.

    python bench/models.py [--repeat 5]

Candidates: msgspec straight from bytes (malclient's models), msgspec via `json.loads` then
`msgspec.convert` (the intermediate-dict path), pydantic v2 `model_validate_json` (when
installed: pip install pydantic), and plain `json.loads` to dicts (no types; the floor).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import httpx2
import msgspec

from malclient.fields import ANIME_FIELDS, DEFAULT_FIELDS, DETAILS_ONLY, Fields
from malclient.models import AnimeListEntry, Page, PartialDate, TimeOfDay, decode
from malclient.models._codec import _dates, _dec_hook
from malclient.sandbox.config import WEB_APP
from malclient.sandbox.server import SandboxServer

# Every field the user-list endpoint answers: node fields minus details-only ones, and every
# key of the entry's list_status.
LIST_FIELDS = Fields.anime(
    *sorted(ANIME_FIELDS - DETAILS_ONLY - DEFAULT_FIELDS - {"my_list_status"}),
    list_status=[
        "start_date",
        "finish_date",
        "priority",
        "num_times_rewatched",
        "rewatch_value",
        "tags",
        "comments",
    ],
)


def fetch_pages(base: str) -> list[bytes]:
    pages: list[bytes] = []
    url: str | None = f"{base}/v2/users/bob/animelist"
    params: dict[str, str] | None = {"limit": "1000", "nsfw": "true", "fields": str(LIST_FIELDS)}
    with httpx2.Client(headers={"X-MAL-CLIENT-ID": WEB_APP.client_id}, timeout=60) as http:
        while url:
            response = http.get(url, params=params)
            response.raise_for_status()
            pages.append(response.content)
            url = json.loads(response.content).get("paging", {}).get("next")
            params = None
    return pages


# --- candidates ---------------------------------------------------------------------------------

AnimePage = Page[AnimeListEntry]


def parse_msgspec(pages: list[bytes]) -> list[Any]:
    return [decode(body, AnimePage) for body in pages]


def parse_msgspec_via_dicts(pages: list[bytes]) -> list[Any]:
    return [
        msgspec.convert(json.loads(body), AnimePage, strict=False, dec_hook=_dec_hook)
        for body in pages
    ]


def parse_json(pages: list[bytes]) -> list[Any]:
    return [json.loads(body) for body in pages]


def pydantic_parser() -> Callable[[list[bytes]], list[Any]] | None:
    """Pydantic models equivalent to malclient's (same fields, same parsed types)."""
    try:
        import pydantic
    except ImportError:
        return None
    from pydantic import BaseModel, BeforeValidator, ConfigDict

    def partial(value: Any) -> Any:
        # The same cached parse malclient's decoder uses: the comparison is of libraries.
        return _dec_hook(PartialDate, value) if isinstance(value, str) else value

    def clock(value: Any) -> Any:
        return TimeOfDay.parse(value) if isinstance(value, str) else value

    PDate = Annotated[PartialDate, BeforeValidator(partial)]
    PTime = Annotated[TimeOfDay, BeforeValidator(clock)]

    class M(BaseModel):
        model_config = ConfigDict(frozen=True, extra="ignore", arbitrary_types_allowed=True)

    class Picture(M):
        medium: str | None = None
        large: str | None = None

    class AlternativeTitles(M):
        synonyms: list[str] | None = None
        en: str | None = None
        ja: str | None = None

    class Genre(M):
        id: int
        name: str | None = None

    class StartSeason(M):
        year: int | None = None
        season: str | None = None

    class Broadcast(M):
        day_of_the_week: str | None = None
        start_time: PTime | None = None

    class Studio(M):
        id: int
        name: str | None = None

    class ListStatus(M):
        status: str | None = None
        score: int | None = None
        num_episodes_watched: int | None = None
        is_rewatching: bool | None = None
        updated_at: datetime | None = None
        start_date: PDate | None = None
        finish_date: PDate | None = None
        priority: int | None = None
        num_times_rewatched: int | None = None
        rewatch_value: int | None = None
        tags: list[str] | None = None
        comments: str | None = None

    class Anime(M):
        id: int
        title: str = ""
        main_picture: Picture | None = None
        alternative_titles: AlternativeTitles | None = None
        start_date: PDate | None = None
        end_date: PDate | None = None
        synopsis: str | None = None
        mean: float | None = None
        rank: int | None = None
        popularity: int | None = None
        num_list_users: int | None = None
        num_scoring_users: int | None = None
        nsfw: str | None = None
        genres: list[Genre] | None = None
        created_at: datetime | None = None
        updated_at: datetime | None = None
        media_type: str | None = None
        status: str | None = None
        my_list_status: ListStatus | None = None
        num_episodes: int | None = None
        start_season: StartSeason | None = None
        broadcast: Broadcast | None = None
        source: str | None = None
        average_episode_duration: int | None = None
        rating: str | None = None
        studios: list[Studio] | None = None
        num_favorites: int | None = None
        # Details-only fields never appear in a list; their types do not affect the parse.
        pictures: list[Picture] | None = None
        background: str | None = None

    class Entry(M):
        node: Anime
        list_status: ListStatus | None = None

    class Paging(M):
        previous: str | None = None
        next: str | None = None

    class EntryPage(M):
        data: list[Entry]
        paging: Paging | None = None

    assert pydantic.VERSION
    validate = EntryPage.model_validate_json
    return lambda pages: [validate(body) for body in pages]


def summary(parsed: list[Any]) -> tuple[int, str]:
    """(entries, last title), from models or dicts alike."""

    def data(page: Any) -> list[Any]:
        return page["data"] if isinstance(page, dict) else page.data  # type: ignore[no-any-return]

    def title(entry: Any) -> str:
        return entry["node"]["title"] if isinstance(entry, dict) else entry.node.title  # type: ignore[no-any-return]

    return sum(len(data(page)) for page in parsed), title(data(parsed[-1])[-1])


# --- measuring ----------------------------------------------------------------------------------


def best_time(parse: Callable[[list[bytes]], list[Any]], pages: list[bytes], repeat: int) -> float:
    parse(pages)  # warm up: decoders, schemas
    times = []
    for _ in range(repeat):
        _dates.clear()  # each run parses as a client's first export would, with no dates known
        gc.collect()
        start = time.perf_counter()
        result = parse(pages)
        times.append(time.perf_counter() - start)
        del result
    return min(times)


def peak_memory(parse: Callable[[list[bytes]], list[Any]], pages: list[bytes]) -> tuple[int, int]:
    """(peak while parsing, still held by the result), in bytes, the bodies not counted."""
    _dates.clear()
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = parse(pages)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak, held


def import_seconds(module: str, runs: int = 5) -> float:
    """Median extra time `import module` adds to a fresh interpreter."""

    def run(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    base = statistics.median(run("pass") for _ in range(runs))
    return max(0.0, statistics.median(run(f"import {module}") for _ in range(runs)) - base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per candidate")
    args = parser.parse_args()

    with SandboxServer() as sandbox:
        pages = fetch_pages(sandbox.url)
    entries = sum(len(json.loads(page)["data"]) for page in pages)
    size = sum(map(len, pages))
    print(
        f"bob's anime list: {entries} entries in {len(pages)} pages, {size / 2**20:.1f} MiB "
        f"of JSON, fields={LIST_FIELDS}"
    )

    expected = summary(parse_json(pages))
    candidates: list[tuple[str, Callable[[list[bytes]], list[Any]] | None]] = [
        ("msgspec (malclient.models, from bytes)", parse_msgspec),
        ("msgspec via json.loads + convert", parse_msgspec_via_dicts),
        ("pydantic v2 model_validate_json", pydantic_parser()),
        ("json.loads to dicts (untyped floor)", parse_json),
    ]
    rows = []
    for name, parse in candidates:
        if parse is None:
            print(f"{name}: pydantic not installed: pip install pydantic")
            continue
        # Equivalent results: every candidate sees every entry, in order.
        assert summary(parse(pages)) == expected, name
        seconds = best_time(parse, pages, args.repeat)
        peak, held = peak_memory(parse, pages)
        rows.append((name, seconds, peak, held))

    base_time, base_peak = rows[0][1], rows[0][2]
    print(f"\n{'candidate':42} {'time':>9} {'x msgspec':>9} {'peak MiB':>9} {'x msgspec':>9}")
    for name, seconds, peak, held in rows:
        print(
            f"{name:42} {seconds * 1000:7.1f}ms {seconds / base_time:9.2f} "
            f"{peak / 2**20:9.1f} {peak / base_peak:9.2f}   (held {held / 2**20:.1f} MiB)"
        )
    print(f"\nper entry, msgspec: {base_time / entries * 1e6:.2f} µs")
    imports = [("msgspec", import_seconds("msgspec"))]
    try:
        __import__("pydantic")
        imports.append(("pydantic", import_seconds("pydantic")))
    except ImportError:
        pass
    print("import time: " + ", ".join(f"{name} {sec * 1000:.0f} ms" for name, sec in imports))


if __name__ == "__main__":
    main()
