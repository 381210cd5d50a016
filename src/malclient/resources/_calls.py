"""Endpoints as data, and the arguments of one method call checked and turned into a `Call`.
Pure: sends nothing and imports no HTTP library. Every bad argument fails here, before any
request, with a message naming the method and the argument.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, Literal, NamedTuple, TypeAlias, TypeVar, get_args
from urllib.parse import quote

from malclient._exceptions import InvalidArgument
from malclient._protocol import Value
from malclient.fields import Endpoint as FieldsEndpoint
from malclient.fields import Fields
from malclient.fields import Kind as FieldsKind
from malclient.models import PartialDate, list_update_form

__all__ = [
    "Call",
    "Check",
    "DateArg",
    "Endpoint",
    "FieldsArg",
    "ListEndpoint",
    "Options",
    "TagsArg",
    "count",
    "forum_text",
    "name",
    "one_of",
    "optional_id",
    "positive_id",
    "prepare",
    "search_text",
    "year",
]

R = TypeVar("R")
T = TypeVar("T")

# What `fields=` accepts: a `Fields`, MAL's text (`"mean,my_list_status{priority}"`) or names.
FieldsArg: TypeAlias = "Fields | str | Iterable[str] | None"
DateArg: TypeAlias = "date | PartialDate | str | None"
TagsArg: TypeAlias = "Iterable[str] | str | None"

# A check turns one argument into what is sent (None: not sent) or raises ValueError/TypeError.
# It is called with None when the caller left the argument out.
Check: TypeAlias = Callable[[str, Any], Value]
Auth: TypeAlias = Literal["client", "user"]


@dataclass(frozen=True)
class Options:
    """What a client decides for every call it makes."""

    # Send `nsfw=true` unless a call says otherwise (SPEC 3.6).
    nsfw: bool = True


class Call(NamedTuple):
    """One request ready for a session: what to send and what the answer decodes to.
    (A tuple: made on every request, it costs a fraction of a frozen dataclass.)"""

    label: str  # the method, e.g. "anime.search": messages name it
    method: str
    path: str  # relative to the API base, or a paging link under it
    params: Mapping[str, Value]
    data: Mapping[str, str] | None
    result: Any  # the model the body decodes to (deletes: only whether one was removed)
    user: bool  # needs a signed-in user's token (SPEC 3.1)
    # SPEC 4.7: DELETE answers 404 when there was nothing to remove; that is success too.
    absent_ok: bool = False


@dataclass(frozen=True)
class Endpoint(Generic[R]):
    """One of MAL's endpoints (SPEC 4), defined once for the sync and async resources.

    `arguments` are the method's own arguments in order, each with its check; those named in
    `path` fill it, the rest are query parameters. `fields` is where a `fields=` argument is
    allowed, and what a call without one asks for. `form` makes the remaining keyword
    arguments a list-update form (SPEC 5.3, 5.4).
    """

    label: str
    method: str
    path: str
    result: type[R]
    auth: Auth = "client"
    arguments: Mapping[str, Check] = field(default_factory=dict)
    fields: tuple[FieldsKind, FieldsEndpoint] | None = None
    default_fields: Fields | None = None
    form: Literal["anime", "manga"] | None = None
    # At least one of these arguments must be given (SPEC 4.11: else MAL hangs, then 504).
    one_of: tuple[str, ...] = ()
    absent_ok: bool = False


def _page_items(page: Any) -> list[Any]:
    items: list[Any] = page.data
    return items


@dataclass(frozen=True)
class ListEndpoint(Generic[T]):
    """A paged endpoint: `endpoint` answers pages of `item`s, at most `max_limit` per page.

    `items` takes the entries out of a decoded page (the forum topic's are its posts).
    """

    endpoint: Endpoint[Any]
    item: type[T]
    max_limit: int
    nsfw: bool = False  # MAL accepts `nsfw` here (SPEC 4)
    items: Callable[[Any], list[T]] = _page_items

    @property
    def label(self) -> str:
        return self.endpoint.label


# --- checks -------------------------------------------------------------------------------------


def _integer(label: str, value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{label} must be a whole number, not {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{label} must be a whole number, not {value!r}") from None


def positive_id(label: str, value: Any) -> int:
    if value is None:
        raise TypeError(f"{label} is required")
    number = _integer(label, value)
    if number < 1:
        raise InvalidArgument(f"{label} must be a positive id, not {number}")
    return number


def name(label: str, value: Any) -> str:
    """A user name (or `@me`) for a path segment."""
    if not isinstance(value, str):
        raise TypeError(f"{label} must be a user name, not {value!r}")
    text = value.strip()
    if not text:
        raise InvalidArgument(
            f"{label} is empty: give a user name, or '@me' for the signed-in user"
        )
    return text


def search_text(label: str, value: Any) -> str:
    """SPEC 4.1: MAL answers `400 invalid q` unless `q` has 3 to 64 characters."""
    if not isinstance(value, str):
        raise TypeError(f"{label} must be text, not {value!r}")
    if not value.strip():
        raise InvalidArgument(f"{label} is empty: MyAnimeList needs 3 to 64 characters to search")
    if not 3 <= len(value) <= 64:
        raise InvalidArgument(
            f"{label} must have 3 to 64 characters (MyAnimeList refuses others), not "
            f"{len(value)}: {value!r}"
        )
    return value


def forum_text(label: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{label} must be text, not {value!r}")
    if not value.strip():
        raise InvalidArgument(f"{label} is empty: leave it out instead")
    return value


def count(label: str, value: Any) -> int:
    """A number of episodes, chapters or volumes."""
    number = _integer(label, value)
    if number < 0:
        raise InvalidArgument(f"{label} cannot be negative, not {number}")
    return number


def optional_id(label: str, value: Any) -> int | None:
    return None if value is None else positive_id(label, value)


def year(label: str, value: Any) -> int:
    if value is None:
        raise TypeError(f"{label} is required")
    number = _integer(label, value)
    # MAL's seasons are addressed by a four-digit year (SPEC 4.4).
    if not 1900 <= number <= 9999:
        raise InvalidArgument(f"{label} must be a four-digit year from 1900, not {number}")
    return number


def one_of(kind: Any, *, required: bool = False) -> Check:
    """A check for one value of the `Literal` type `kind` (SPEC 4.3, 4.4, 4.8, 4.9)."""
    allowed: tuple[str, ...] = get_args(kind)

    def check(label: str, value: Any) -> str | None:
        if value is None:
            if required:
                raise TypeError(f"{label} is required: one of {', '.join(allowed)}")
            return None
        if value not in allowed:
            raise InvalidArgument(f"{label} must be one of {', '.join(allowed)}, not {value!r}")
        result: str = value
        return result

    return check


# --- arguments to a call ------------------------------------------------------------------------


# Selections already checked and rendered, by (where, default, what was passed): a crawl asks
# for the same `fields` on every call, and parsing them each time cost ~10 us a request.
_RENDERED: dict[tuple[Any, ...], str | None] = {}
_RENDERED_KEPT = 256


def _fields(endpoint: Endpoint[Any], label: str, value: Any) -> str | None:
    assert endpoint.fields is not None
    kind, where = endpoint.fields
    key = (endpoint.fields, endpoint.default_fields, value)
    try:
        return _RENDERED[key]
    except (KeyError, TypeError):  # not seen yet, or a list (unhashable)
        pass
    chosen = endpoint.default_fields if value is None else value
    try:
        selection = Fields() if chosen is None else Fields.of(chosen, kind=kind)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{label}: {exc}") from None
    # Names a list endpoint would ignore are left out (SPEC 3.5); user lists gain list_status.
    sent, _ignored = selection.for_endpoint(kind, where)
    rendered = str(sent) or None
    try:
        if len(_RENDERED) >= _RENDERED_KEPT:
            _RENDERED.clear()
        _RENDERED[key] = rendered
    except TypeError:
        pass
    return rendered


def _limit(spec: ListEndpoint[Any], label: str, value: Any) -> int:
    if value is None:
        # Bulk iteration costs the fewest requests at the largest page MAL serves (SPEC 4).
        return spec.max_limit
    number = _integer(label, value)
    if not 1 <= number <= spec.max_limit:
        raise InvalidArgument(
            f"{label} must be from 1 to {spec.max_limit} (MyAnimeList's largest page here), "
            f"not {number}"
        )
    return number


def _offset(label: str, value: Any) -> int | None:
    number = _integer(label, 0 if value is None else value)
    if number < 0:
        raise InvalidArgument(f"{label} cannot be negative, not {number}")
    return number or None


def prepare(
    spec: Endpoint[Any] | ListEndpoint[Any], arguments: Mapping[str, Any], options: Options
) -> Call:
    """The call for `spec` with a method's `arguments`, checked: a value MAL would refuse is an
    `InvalidArgument` (a ValueError) before anything is sent, so a command line can report it
    as a usage error rather than a crash."""
    try:
        return _prepare(spec, arguments, options)
    except InvalidArgument:
        raise
    except ValueError as exc:
        raise InvalidArgument(str(exc)) from None


def _prepare(
    spec: Endpoint[Any] | ListEndpoint[Any], arguments: Mapping[str, Any], options: Options
) -> Call:
    paged = spec if isinstance(spec, ListEndpoint) else None
    endpoint = spec.endpoint if isinstance(spec, ListEndpoint) else spec
    left = dict(arguments)
    where = endpoint.label + ": "  # messages name the method and the argument
    if endpoint.one_of and all(left.get(argument) is None for argument in endpoint.one_of):
        raise InvalidArgument(
            f"{endpoint.label} needs at least one of {', '.join(endpoint.one_of)} (MyAnimeList "
            "does not answer a request without one)"
        )
    segments: dict[str, str] = {}
    params: dict[str, Value] = {}
    for argument, check in endpoint.arguments.items():
        value = check(where + argument, left.pop(argument, None))
        if "{" + argument + "}" in endpoint.path:
            segments[argument] = quote(value, safe="@") if isinstance(value, str) else str(value)
        elif value is not None:
            params[argument] = value
    if endpoint.fields is not None:
        fields = _fields(endpoint, where + "fields", left.pop("fields", None))
        if fields:
            params["fields"] = fields
    if paged is not None:
        params["limit"] = _limit(paged, where + "limit", left.pop("limit", None))
        offset = _offset(where + "offset", left.pop("offset", None))
        if offset:
            params["offset"] = offset
        if paged.nsfw:
            nsfw = left.pop("nsfw", None)
            if nsfw is not None and not isinstance(nsfw, bool):
                raise TypeError(f"{where}nsfw must be True or False, not {nsfw!r}")
            # MAL leaves out every non-white title unless asked (SPEC 3.6); `false` is its
            # default, so it is simply not sent.
            if options.nsfw if nsfw is None else nsfw:
                params["nsfw"] = "true"
    data: dict[str, str] | None = None
    if endpoint.form is not None:
        try:
            data = list_update_form(endpoint.form, **left)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{where}{exc}") from None
        left.clear()
    if left:
        # A resource passed an argument its endpoint does not declare: a bug here, not yours.
        raise TypeError(f"{endpoint.label} got unexpected arguments: {', '.join(left)}")
    return Call(
        label=endpoint.label,
        method=endpoint.method,
        path=endpoint.path.format(**segments),
        params=params,
        data=data,
        result=endpoint.result,
        user=endpoint.auth == "user" or segments.get("user_name") == "@me",
        absent_ok=endpoint.absent_ok,
    )
