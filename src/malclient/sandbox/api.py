"""MAL's API v2: the 18 endpoints of SPEC 4 under /v2 — auth, parameters, paging, list writes.

Handlers are named after MAL's OpenAPI operation ids (SPEC 4), which is how the stats count them.
Node rendering lives in fields.py, list writes in mylist.py, orders and caches in queries.py. The
only state kept outside `SandboxState` is derived and disposable: cached orders and rendered
bodies, dropped whenever a write changes what they were made from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from malclient.sandbox import mylist
from malclient.sandbox.catalogue import Forum, UserData
from malclient.sandbox.fields import NOBODY, Renderer, Selection, Viewer, parse_fields, select
from malclient.sandbox.mylist import FormError, edge_status, parse_form
from malclient.sandbox.queries import (
    ANIME_RANKINGS,
    INDEXES,
    LIST_CACHE,
    MANGA_RANKINGS,
    SEASON_SORTS,
    SEASONS,
    Index,
    ResponseCache,
)
from malclient.sandbox.state import SandboxState
from malclient.sandbox.wire import (
    MALResponse,
    api_error,
    bad_request,
    dumps,
    forbidden,
    invalid_token,
    not_found,
)

Record = dict[str, Any]

# (default, maximum) page sizes per endpoint (SPEC 4). User lists default to 10, not the
# documented 100: the recorded real page mal-stats__userAnimeList_roshizzle.json has 10 items
# and `next` at offset=10 with no `limit` sent.
_SEARCH_LIMITS = (100, 100)
_RANKING_LIMITS = (100, 500)
_SEASON_LIMITS = (100, 500)
_SUGGESTION_LIMITS = (100, 100)
_USER_LIST_LIMITS = (10, 1000)
_FORUM_LIMITS = (100, 100)

# Suggestions come from this many of the most popular visible titles, minus the user's list.
_SUGGESTION_POOL = 1000

_DIGITS = re.compile(r"[0-9]{1,18}")
_ID = re.compile(r"[0-9]{1,12}")

_RANKINGS = {"anime": ANIME_RANKINGS, "manga": MANGA_RANKINGS}
_LIST_KINDS = {"anime": mylist.ANIME, "manga": mylist.MANGA}
# SPEC 4.8 / 4.9: user-list `sort` values.
_LIST_SORTS = {
    "anime": frozenset(
        {"list_score", "list_updated_at", "anime_title", "anime_start_date", "anime_id"}
    ),
    "manga": frozenset(
        {"list_score", "list_updated_at", "manga_title", "manga_start_date", "manga_id"}
    ),
}

# /users/@me keys answered without `fields` (fixture go-myanimelist__userMyInfo.json); birthday,
# time_zone and is_supporter only when asked (SPEC 4.10).
_PROFILE_DEFAULTS = frozenset({"gender", "location", "joined_at", "picture"})

# MAL hangs on /forum/topics without board_id, subboard_id or q and its gateway gives up with
# 504 (SPEC 3.2, 4.11, S-FORUMRS). The sandbox answers the same page at once, deliberately.
_GATEWAY_TIMEOUT = (
    "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
    "<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n"
)


# --- request context ----------------------------------------------------------------------------


@dataclass
class _Call:
    """One authenticated API request: parsed query, the token's user (None for client ID)."""

    request: Request
    state: SandboxState
    user: UserData | None
    params: dict[str, str]

    @property
    def viewer(self) -> Viewer:
        if self.user is None:
            return NOBODY
        return Viewer(self.user.animelist, self.user.mangalist)

    @property
    def nsfw(self) -> bool:
        # SPEC 3.4 / 3.6: `true` or `1` lets non-white titles through.
        return self.params.get("nsfw", "").lower() in ("true", "1")

    def records(self, kind: str) -> Mapping[int, Record]:
        catalogue = self.state.catalogue
        return catalogue.anime if kind == "anime" else catalogue.manga

    def index(self, kind: str) -> Index:
        return INDEXES.of(self.records(kind))

    def renderer(self) -> Renderer:
        return Renderer(self.state.catalogue.anime, self.state.catalogue.manga)

    def selection(self, kind: str, details: bool = False) -> Selection:
        return select(self.params.get("fields"), kind, details)

    def page_limits(self, limits: tuple[int, int]) -> tuple[int, int] | Response:
        """(limit, offset) or MAL-shaped 400 (limit outside 1..max; SPEC 3.4 [INF] wording)."""
        default, maximum = limits
        raw = self.params.get("limit")
        if raw is None:
            limit = default
        elif _DIGITS.fullmatch(raw) and 1 <= int(raw) <= maximum:
            limit = int(raw)
        else:
            return bad_request("invalid limit")
        raw = self.params.get("offset")
        if raw is None:
            offset = 0
        elif _DIGITS.fullmatch(raw):
            offset = int(raw)
        else:
            return bad_request("invalid offset")
        return limit, offset

    def paging(self, offset: int, limit: int, total: int) -> dict[str, str]:
        """MAL's `paging`: absolute URLs back to this origin (SPEC 3.3). `{}` on a single page."""
        paging: dict[str, str] = {}
        if offset > 0:
            paging["previous"] = self._page_url(max(0, offset - limit))
        if offset + limit < total:
            paging["next"] = self._page_url(offset + limit)
        return paging

    def _page_url(self, offset: int) -> str:
        # The new offset first, then every other parameter in the order the request sent it,
        # encoded like PHP's http_build_query (the ranking fixture has ranking_type before limit;
        # the go-myanimelist ones look alphabetical only because that client sorts its query).
        query = [f"offset={offset}"]
        query.extend(
            f"{_php_encode(key)}={_php_encode(value)}"
            for key, value in self.params.items()
            if key != "offset"
        )
        return f"{_origin(self.request)}{_path(self.request)}?{'&'.join(query)}"

    def list_body(self, data: list[Record], offset: int, limit: int, total: int) -> Record:
        return {"data": data, "paging": self.paging(offset, limit, total)}

    def respond(
        self, cache: ResponseCache | None, build: Callable[[], Any], variant: Any = None
    ) -> Response:
        """MAL's JSON of `build()`, remembered in `cache` when one is given.

        Callers pass a cache only when the body depends on nothing but the request, `variant`
        and data that cannot change under that cache (see queries.ResponseCache, ListCache).
        """
        if cache is None:
            return MALResponse(build())
        scope = self.request.scope
        key = (
            _path(self.request),
            scope.get("query_string", b""),
            _origin(self.request),
            variant,
        )
        body = cache.get(key)
        if body is None:
            body = dumps(build())
            cache.put(key, body)
        return MALResponse(body)

    def shared_cache(self, kind: str, selection: Selection) -> ResponseCache | None:
        """The catalogue-wide cache, unless the body shows the caller's own list statuses."""
        if selection.personal and self.user is not None:
            return None
        return self.index(kind).responses


def _php_encode(text: str) -> str:
    # urlencode(): space as "+", everything but [A-Za-z0-9_.-] escaped, including "~".
    return quote_plus(text, safe="").replace("~", "%7E")


def _origin(request: Request) -> str:
    scope = request.scope
    host = _header(scope, b"host")
    if not host:
        server = scope.get("server")
        host = f"{server[0]}:{server[1]}" if server else "localhost"
    return f"{scope.get('scheme', 'http')}://{host}"


def _header(scope: Scope, name: bytes) -> str | None:
    """The first value of a header (lower-case `name`), as Starlette's `Headers.get` gives it.

    A direct scan: building `request.headers` for the three headers an API call reads was a
    measurable share of each request (bench/sandbox.py).
    """
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _path(request: Request) -> str:
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes):
        return raw.split(b"?", 1)[0].decode("latin-1")
    return str(request.scope["path"])


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def _call(request: Request, bearer_only: bool = False) -> _Call | Response:
    """Check credentials before any parameter (SPEC 3.1): Bearer wins when both are sent."""
    state = _state(request)
    scope = request.scope
    params = _query(scope.get("query_string", b""))
    authorization = _header(scope, b"authorization")
    if authorization is not None:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "bearer":
            return invalid_token()
        token = state.tokens.access(value.strip())
        if token is None or token.revoked:
            return invalid_token()
        if state.clock.now() >= token.expires_at:
            return invalid_token(expired=True)
        user = state.catalogue.users.get(token.user.lower())
        if user is None:
            return invalid_token()
        return _Call(request, state, user, params)
    client_id = _header(scope, b"x-mal-client-id")
    if client_id is None:
        return forbidden()
    if bearer_only:
        # Undocumented; the sandbox's answer to a client ID on a user-only endpoint (SPEC 3.1).
        return invalid_token()
    if client_id not in state.apps:
        return bad_request("Invalid client id")
    return _Call(request, state, None, params)


def _query(raw: bytes) -> dict[str, str]:
    """The query string as PHP reads it (callers never modify the answer: it may be shared)."""
    return _query_cached(raw) if len(raw) <= 2048 else parse_form(raw)


@lru_cache(maxsize=4096)
def _query_cached(raw: bytes) -> dict[str, str]:
    return parse_form(raw)


def _list_responses(entries: Mapping[int, Record]) -> ResponseCache:
    """Rendered bodies that follow one user's list, forgotten with it (a few MB at most)."""
    cache: ResponseCache = LIST_CACHE.get(entries, "responses", lambda: ResponseCache(2 << 20))
    return cache


def _record_id(raw: str) -> int | None:
    return int(raw) if _ID.fullmatch(raw) else None


# --- anime and manga: search, details, ranking, season, suggestions ------------------------------


def _search(request: Request, kind: str) -> Response:
    call = _call(request)
    if isinstance(call, Response):
        return call
    q = call.params.get("q")
    # 3 to 64 characters, not bytes (SPEC 4.1); missing counts as invalid too.
    if q is None or not 3 <= len(q) <= 64:
        return bad_request("invalid q")
    page = call.page_limits(_SEARCH_LIMITS)
    if isinstance(page, Response):
        return page
    limit, offset = page
    ids = call.index(kind).search(q, call.nsfw)
    return _node_page(call, kind, ids, offset, limit)


def _node_page(
    call: _Call,
    kind: str,
    ids: Sequence[int],
    offset: int,
    limit: int,
    extra: Callable[[int], Record] | None = None,
    cache: ResponseCache | bool | None = True,
) -> Response:
    """A page of `{"node": ...}` edges (plus `extra(position)` keys) over `ids`.

    `cache=True` uses the catalogue-wide cache when allowed; a ResponseCache or None overrides.
    """
    selection = call.selection(kind)
    chosen = call.shared_cache(kind, selection) if cache is True else cache or None

    def build() -> Record:
        records = call.records(kind)
        renderer, viewer = call.renderer(), call.viewer
        data: list[Record] = []
        for position, record_id in enumerate(ids[offset : offset + limit], start=offset):
            edge: Record = {"node": renderer.node(records[record_id], selection, viewer)}
            if extra is not None:
                edge.update(extra(position))
            data.append(edge)
        return call.list_body(data, offset, limit, len(ids))

    return call.respond(chosen, build)


def _details(request: Request, kind: str, raw_id: str) -> Response:
    call = _call(request)
    if isinstance(call, Response):
        return call
    record_id = _record_id(raw_id)
    record = None if record_id is None else call.records(kind).get(record_id)
    if record is None:
        return not_found()
    # Details answer NSFW titles whatever `nsfw` says (SPEC 3.6 [INF]).
    selection = call.selection(kind, details=True)
    return call.respond(
        call.shared_cache(kind, selection),
        lambda: call.renderer().node(record, selection, call.viewer),
    )


def _ranking(request: Request, kind: str) -> Response:
    call = _call(request)
    if isinstance(call, Response):
        return call
    ranking_type = call.params.get("ranking_type")
    if ranking_type not in _RANKINGS[kind]:
        return bad_request("invalid ranking_type")
    page = call.page_limits(_RANKING_LIMITS)
    if isinstance(page, Response):
        return page
    limit, offset = page
    ids = call.index(kind).ranking(ranking_type, call.nsfw)
    # ranking.rank is the place in this list, not node.rank (SPEC 4.3, S-RANKDOC).
    return _node_page(
        call, kind, ids, offset, limit, lambda position: {"ranking": {"rank": position + 1}}
    )


async def anime_get(request: Request) -> Response:
    return _search(request, "anime")


async def manga_get(request: Request) -> Response:
    return _search(request, "manga")


async def anime_anime_id_get(request: Request) -> Response:
    return _details(request, "anime", request.path_params["anime_id"])


async def manga_manga_id_get(request: Request) -> Response:
    return _details(request, "manga", request.path_params["manga_id"])


async def anime_ranking_get(request: Request) -> Response:
    return _ranking(request, "anime")


async def manga_ranking_get(request: Request) -> Response:
    return _ranking(request, "manga")


async def anime_season_year_season_get(request: Request) -> Response:
    call = _call(request)
    if isinstance(call, Response):
        return call
    raw_year, season = request.path_params["year"], request.path_params["season"]
    # Undocumented (SPEC 4.4 [INF]): a four-digit year from 1900 and a lower-case season name.
    if not re.fullmatch(r"[0-9]{4}", raw_year) or int(raw_year) < 1900:
        return bad_request("invalid year")
    if season not in SEASONS:
        return bad_request("invalid season")
    sort = call.params.get("sort")
    if sort is not None and sort not in SEASON_SORTS:
        return bad_request("invalid sort")
    page = call.page_limits(_SEASON_LIMITS)
    if isinstance(page, Response):
        return page
    limit, offset = page
    year = int(raw_year)
    ids = call.index("anime").season(year, season, sort, call.nsfw)
    selection = call.selection("anime")

    def build() -> Record:
        records, renderer, viewer = call.records("anime"), call.renderer(), call.viewer
        data = [
            {"node": renderer.node(records[i], selection, viewer)}
            for i in ids[offset : offset + limit]
        ]
        # Seasonal pages name their season after the paging (SPEC 4.4).
        body = call.list_body(data, offset, limit, len(ids))
        body["season"] = {"year": year, "season": season}
        return body

    return call.respond(call.shared_cache("anime", selection), build)


async def anime_suggestions_get(request: Request) -> Response:
    call = _call(request, bearer_only=True)
    if isinstance(call, Response):
        return call
    page = call.page_limits(_SUGGESTION_LIMITS)
    if isinstance(page, Response):
        return page
    limit, offset = page
    assert call.user is not None
    watched = call.user.animelist
    nsfw = call.nsfw

    def suggested() -> list[int]:
        if not watched:  # a newcomer with an empty list gets no suggestions (SPEC 4.5)
            return []
        pool = call.index("anime").popular(nsfw)[:_SUGGESTION_POOL]
        return [i for i in pool if i not in watched]

    ids: list[int] = LIST_CACHE.get(watched, ("suggestions", nsfw), suggested)
    # Everything here (even my_list_status) follows this user's anime list: cached with it.
    responses: ResponseCache = _list_responses(watched)
    return _node_page(call, "anime", ids, offset, limit, cache=responses)


# --- users' lists and profile -------------------------------------------------------------------


def _owner(call: _Call, name: str) -> UserData | None:
    if name == "@me":
        return call.user
    return call.state.catalogue.users.get(name.lower())


def _user_list(request: Request, kind: str) -> Response:
    name = request.path_params["user_name"]
    # `@me` needs a user token; other users' public lists are readable with a client ID (SPEC 3.1).
    call = _call(request, bearer_only=name == "@me")
    if isinstance(call, Response):
        return call
    owner = _owner(call, name)
    if owner is None:
        return not_found()
    list_kind = _LIST_KINDS[kind]
    status = call.params.get("status")
    if status is not None and status not in list_kind.statuses:
        return bad_request("invalid status")
    sort = call.params.get("sort")
    if sort is not None and sort not in _LIST_SORTS[kind]:
        return bad_request("invalid sort")
    page = call.page_limits(_USER_LIST_LIMITS)
    if isinstance(page, Response):
        return page
    limit, offset = page

    records = call.records(kind)
    entries = owner.animelist if kind == "anime" else owner.mangalist
    index, nsfw = call.index(kind), call.nsfw
    order: list[int] = LIST_CACHE.get(
        entries,
        ("order", status, sort, nsfw),
        lambda: _list_order(entries, records, index, status, sort, nsfw),
    )

    spec = parse_fields(call.params.get("fields") or "")
    with_status = "list_status" in spec
    wanted = spec.get("list_status")
    extras = tuple(k for k in wanted if k in list_kind.edge_extras) if wanted else ()
    selection = call.selection(kind)

    def build() -> Record:
        renderer, viewer = call.renderer(), call.viewer
        data: list[Record] = []
        for record_id in order[offset : offset + limit]:
            entry = entries.get(record_id)
            if entry is None:
                continue
            edge: Record = {"node": renderer.node(records[record_id], selection, viewer)}
            if with_status:
                edge["list_status"] = edge_status(list_kind, entry, extras)
            data.append(edge)
        return call.list_body(data, offset, limit, len(order))

    # Pages are remembered with the list they show, so the owner's own my_list_status may be;
    # another viewer's may not.
    if not selection.personal or call.user is None:
        return call.respond(_list_responses(entries), build)
    if call.user is owner:
        responses = _list_responses(entries)
        return call.respond(responses, build, variant="owner")
    return call.respond(None, build)


def _list_order(
    entries: Mapping[int, Record],
    records: Mapping[int, Record],
    index: Index,
    status: str | None,
    sort: str | None,
    nsfw: bool,
) -> list[int]:
    """The ids of a user's list to show, in order: SPEC 4.8 sorts; without `sort`, by title like
    the recorded roshizzle page [OBS]. Non-white titles only with nsfw (SPEC 3.6)."""
    rows = [
        (record, entry)
        for record_id, entry in entries.items()
        if (record := records.get(record_id)) is not None
        and (status is None or entry.get("status") == status)
        and (nsfw or record.get("nsfw") == "white")
    ]
    rows.sort(key=lambda row: index.title_position(row[0]["id"]))
    if sort == "list_score":
        rows.sort(key=lambda row: -int(row[1].get("score", 0)))
    elif sort == "list_updated_at":
        rows.sort(key=lambda row: str(row[1].get("updated_at", "")), reverse=True)
    elif sort in ("anime_start_date", "manga_start_date"):
        rows.sort(key=lambda row: str(row[0].get("start_date", "")), reverse=True)
    elif sort in ("anime_id", "manga_id"):
        rows.sort(key=lambda row: int(row[0]["id"]))
    return [record["id"] for record, _ in rows]


async def users_user_id_animelist_get(request: Request) -> Response:
    return _user_list(request, "anime")


async def users_user_id_mangalist_get(request: Request) -> Response:
    return _user_list(request, "manga")


async def users_user_id_get(request: Request) -> Response:
    call = _call(request, bearer_only=True)
    if isinstance(call, Response):
        return call
    # Only @me is documented; other names answer 404 (SPEC 4.10 [INF]).
    if request.path_params["user_name"] != "@me" or call.user is None:
        return not_found()
    user = call.user
    asked = parse_fields(call.params.get("fields") or "")

    def build() -> Record:
        body: Record = {"id": user.account.id, "name": user.account.name}
        statistics_done = "anime_statistics" not in asked
        for key, value in user.profile.items():
            if key in ("time_zone", "is_supporter") and not statistics_done:
                body["anime_statistics"] = _anime_statistics(call, user)
                statistics_done = True
            if key in _PROFILE_DEFAULTS or key in asked:
                body[key] = value
        if not statistics_done:
            body["anime_statistics"] = _anime_statistics(call, user)
        return body

    # The profile never changes through the API and the statistics follow the anime list.
    return call.respond(_list_responses(user.animelist), build)


def _anime_statistics(call: _Call, user: UserData) -> Record:
    """SPEC 4.10's keys, computed from the list: days = episodes watched x episode length."""
    records = call.records("anime")
    counts = dict.fromkeys(sorted(mylist.ANIME.statuses), 0)
    days = dict.fromkeys(counts, 0.0)
    episodes = rewatched = 0
    scores: list[int] = []
    for record_id, entry in user.animelist.items():
        status = entry.get("status", "")
        watched = int(entry.get("num_episodes_watched", 0))
        duration = records.get(record_id, {}).get("average_episode_duration", 0) or 0
        if status in counts:
            counts[status] += 1
            days[status] += watched * duration / 86400
        episodes += watched
        rewatched += int(entry.get("num_times_rewatched", 0))
        if entry.get("score"):
            scores.append(int(entry["score"]))
    total_days = round(sum(days.values()), 2)
    return {
        "num_items_watching": counts["watching"],
        "num_items_completed": counts["completed"],
        "num_items_on_hold": counts["on_hold"],
        "num_items_dropped": counts["dropped"],
        "num_items_plan_to_watch": counts["plan_to_watch"],
        "num_items": sum(counts.values()),
        "num_days_watched": total_days,
        "num_days_watching": round(days["watching"], 2),
        "num_days_completed": round(days["completed"], 2),
        "num_days_on_hold": round(days["on_hold"], 2),
        "num_days_dropped": round(days["dropped"], 2),
        "num_days": total_days,
        "num_episodes": episodes,
        "num_times_rewatched": rewatched,
        "mean_score": round(sum(scores) / len(scores), 2) if scores else 0.0,
    }


# --- list writes --------------------------------------------------------------------------------


def _target(call: _Call, kind: str, raw_id: str) -> Record | Response:
    record_id = _record_id(raw_id)
    record = None if record_id is None else call.records(kind).get(record_id)
    if record is None:
        return not_found()  # unknown id (SPEC 4.6, S-PROBE)
    return record


def _own_list(user: UserData, kind: str) -> dict[int, Record]:
    return user.animelist if kind == "anime" else user.mangalist


async def _write(request: Request, kind: str, raw_id: str) -> Response:
    call = _call(request, bearer_only=True)
    if isinstance(call, Response):
        return call
    assert call.user is not None
    record = _target(call, kind, raw_id)
    if isinstance(record, Response):
        return record
    if not record.get("_approved", True):
        return api_error(400, "invalid_content", "Invalid content")  # SPEC 4.6, S-MIHON
    # The form is read as x-www-form-urlencoded whatever the header says; JSON (and multipart,
    # which MAL's PHP does not parse on PATCH/PUT) is refused with the bare bad_request body
    # (SPEC 4.6 "JSON body -> 400"; the body itself is unreported [INF]).
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type.endswith(("/json", "+json")) or content_type.startswith("multipart/"):
        return api_error(400, "bad_request", None)
    form = parse_form(await request.body())
    own = _own_list(call.user, kind)
    now = datetime.fromtimestamp(call.state.clock.now(), UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    try:
        stored = mylist.update(_LIST_KINDS[kind], record, own.get(record["id"]), form, now)
    except FormError as error:
        return api_error(400, "bad_request", error.message)
    own[record["id"]] = stored
    LIST_CACHE.forget(own)
    return MALResponse(stored)


def _delete(request: Request, kind: str, raw_id: str) -> Response:
    call = _call(request, bearer_only=True)
    if isinstance(call, Response):
        return call
    assert call.user is not None
    record = _target(call, kind, raw_id)
    if isinstance(record, Response):
        return record
    own = _own_list(call.user, kind)
    LIST_CACHE.forget(own)
    if own.pop(record["id"], None) is None and not call.state.delete_absent_ok:
        # Documented 404 for an entry not on the list; a 2026 probe saw 200 (SPEC 4.7 Conflict).
        return not_found()
    # The real body is unreported; `[]` is the sandbox's choice (SPEC 4.7 [INF]).
    return MALResponse([])


async def anime_anime_id_my_list_status_put(request: Request) -> Response:
    """PATCH and PUT alike: the OpenAPI says PATCH, the id and curl sample say PUT (SPEC 4.6)."""
    return await _write(request, "anime", request.path_params["anime_id"])


async def manga_manga_id_my_list_status_put(request: Request) -> Response:
    return await _write(request, "manga", request.path_params["manga_id"])


async def anime_anime_id_my_list_status_delete(request: Request) -> Response:
    return _delete(request, "anime", request.path_params["anime_id"])


async def manga_manga_id_my_list_status_delete(request: Request) -> Response:
    return _delete(request, "manga", request.path_params["manga_id"])


# --- forum --------------------------------------------------------------------------------------


class _ForumOrder:
    """Topics newest-activity first, without the catalogue's internal keys; built once."""

    def __init__(self, forum: Forum) -> None:
        self.forum = forum
        ordered = sorted(
            forum.topics.values(),
            key=lambda t: (str(t.get("last_post_created_at", "")), t["id"]),
            reverse=True,
        )
        self.topics = ordered
        self.public = {
            t["id"]: {k: v for k, v in t.items() if not k.startswith("_")} for t in ordered
        }
        # The forum never changes after generation: every forum answer can be remembered.
        self.responses = ResponseCache()


_FORUM_ORDERS: dict[int, _ForumOrder] = {}


def _forum_order(forum: Forum) -> _ForumOrder:
    order = _FORUM_ORDERS.get(id(forum))
    if order is None or order.forum is not forum:
        if len(_FORUM_ORDERS) >= 16:
            _FORUM_ORDERS.clear()
        order = _FORUM_ORDERS[id(forum)] = _ForumOrder(forum)
    return order


async def forum_boards_get(request: Request) -> Response:
    call = _call(request)
    if isinstance(call, Response):
        return call
    forum = call.state.catalogue.forum
    return call.respond(_forum_order(forum).responses, lambda: {"categories": forum.categories})


async def forum_topics_get(request: Request) -> Response:
    call = _call(request)
    if isinstance(call, Response):
        return call
    params = call.params
    wanted: dict[str, int] = {}
    for name in ("board_id", "subboard_id"):
        raw = params.get(name)
        if raw:
            if not _ID.fullmatch(raw):
                return bad_request(f"invalid {name}")
            wanted[f"_{name}"] = int(raw)
    sort = params.get("sort")
    if sort is not None and sort != "recent":  # the only order MAL offers (SPEC 4.11)
        return bad_request("invalid sort")
    page = call.page_limits(_FORUM_LIMITS)
    if isinstance(page, Response):
        return page
    limit, offset = page
    needle = params.get("q", "").casefold()
    if not (wanted or needle):
        return Response(_GATEWAY_TIMEOUT, status_code=504, media_type="text/html")
    creator = params.get("topic_user_name", "").lower()
    poster = params.get("user_name", "").lower()

    def matches(topic: Record) -> bool:
        if any(topic.get(key) != value for key, value in wanted.items()):
            return False
        if needle and needle not in str(topic.get("title", "")).casefold():
            return False
        if creator and str(topic.get("created_by", {}).get("name", "")).lower() != creator:
            return False
        return not poster or poster in {n.lower() for n in topic.get("_user_names", ())}

    order = _forum_order(call.state.catalogue.forum)

    def build() -> Record:
        matching = [topic for topic in order.topics if matches(topic)]
        data = [order.public[topic["id"]] for topic in matching[offset : offset + limit]]
        return call.list_body(data, offset, limit, len(matching))

    return call.respond(order.responses, build)


async def forum_topic_get(request: Request) -> Response:
    call = _call(request)
    if isinstance(call, Response):
        return call
    forum = call.state.catalogue.forum
    topic_id = _record_id(request.path_params["topic_id"])
    topic = None if topic_id is None else forum.topics.get(topic_id)
    if topic_id is None or topic is None:
        return not_found()  # SPEC 4.11, S-FORUMRS
    page = call.page_limits(_FORUM_LIMITS)
    if isinstance(page, Response):
        return page
    limit, offset = page
    posts = forum.posts.get(topic_id, [])

    def build() -> Record:
        data = {
            "title": topic["title"],
            "posts": posts[offset : offset + limit],
            "poll": forum.polls.get(topic_id),  # an object or null, never a list (SPEC 4.11)
        }
        return {"data": data, "paging": call.paging(offset, limit, len(posts))}

    return call.respond(_forum_order(forum).responses, build)


routes: list[BaseRoute] = [
    Route("/v2/anime", anime_get, methods=["GET"]),
    Route("/v2/anime/ranking", anime_ranking_get, methods=["GET"]),
    Route("/v2/anime/suggestions", anime_suggestions_get, methods=["GET"]),
    Route("/v2/anime/season/{year}/{season}", anime_season_year_season_get, methods=["GET"]),
    Route("/v2/anime/{anime_id}", anime_anime_id_get, methods=["GET"]),
    Route(
        "/v2/anime/{anime_id}/my_list_status",
        anime_anime_id_my_list_status_put,
        methods=["PATCH", "PUT"],
    ),
    Route(
        "/v2/anime/{anime_id}/my_list_status",
        anime_anime_id_my_list_status_delete,
        methods=["DELETE"],
    ),
    Route("/v2/manga", manga_get, methods=["GET"]),
    Route("/v2/manga/ranking", manga_ranking_get, methods=["GET"]),
    Route("/v2/manga/{manga_id}", manga_manga_id_get, methods=["GET"]),
    Route(
        "/v2/manga/{manga_id}/my_list_status",
        manga_manga_id_my_list_status_put,
        methods=["PATCH", "PUT"],
    ),
    Route(
        "/v2/manga/{manga_id}/my_list_status",
        manga_manga_id_my_list_status_delete,
        methods=["DELETE"],
    ),
    Route("/v2/users/{user_name}/animelist", users_user_id_animelist_get, methods=["GET"]),
    Route("/v2/users/{user_name}/mangalist", users_user_id_mangalist_get, methods=["GET"]),
    Route("/v2/users/{user_name}", users_user_id_get, methods=["GET"]),
    Route("/v2/forum/boards", forum_boards_get, methods=["GET"]),
    Route("/v2/forum/topic/{topic_id}", forum_topic_get, methods=["GET"]),
    Route("/v2/forum/topics", forum_topics_get, methods=["GET"]),
]
