"""The client's shape: every endpoint of SPEC 4 reachable, the same names and arguments on the
sync and async clients, and the names the docs promise."""

from __future__ import annotations

import inspect

import pytest

import malclient
from malclient.client import AsyncClient, Client
from malclient.resources import (
    Anime,
    AnimeList,
    AsyncAnime,
    AsyncAnimeList,
    AsyncForum,
    AsyncManga,
    AsyncMangaList,
    AsyncUsers,
    Forum,
    Manga,
    MangaList,
    Users,
)
from malclient.resources._endpoints import ENDPOINTS

PAIRS = [
    ("anime", Anime, AsyncAnime),
    ("manga", Manga, AsyncManga),
    ("animelist", AnimeList, AsyncAnimeList),
    ("mangalist", MangaList, AsyncMangaList),
    ("users", Users, AsyncUsers),
    ("forum", Forum, AsyncForum),
]


def public_methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(cls).items()
        if callable(member) and not name.startswith("_")
    }


def parameters(signature: inspect.Signature) -> list[tuple[str, object, object, object]]:
    return [(p.name, p.kind, p.default, p.annotation) for p in signature.parameters.values()]


@pytest.mark.parametrize(("attribute", "sync", "asynchronous"), PAIRS, ids=[p[0] for p in PAIRS])
def test_sync_and_async_resources_have_the_same_methods_and_arguments(
    attribute: str, sync: type, asynchronous: type
) -> None:
    sync_methods, async_methods = public_methods(sync), public_methods(asynchronous)
    assert sync_methods.keys() == async_methods.keys()
    for name, signature in sync_methods.items():
        assert parameters(signature) == parameters(async_methods[name]), name
    assert Client.__annotations__[attribute] == sync.__name__
    assert AsyncClient.__annotations__[attribute] == asynchronous.__name__


def test_all_eighteen_endpoints_are_methods_of_both_clients() -> None:
    labels = [endpoint.label for endpoint in ENDPOINTS]
    assert len(set(labels)) == 18
    for label in labels:
        attribute, method = label.split(".")
        sync = dict(PAIRS_BY_NAME)[attribute][0]
        asynchronous = dict(PAIRS_BY_NAME)[attribute][1]
        assert callable(getattr(sync, method)), label
        assert callable(getattr(asynchronous, method)), label


PAIRS_BY_NAME = [(name, (sync, asynchronous)) for name, sync, asynchronous in PAIRS]


def test_async_single_results_are_awaited_and_lists_are_not() -> None:
    # Lists return a pager at once (`async for` needs no await); everything else is awaited.
    for _, sync, asynchronous in PAIRS:
        for name in public_methods(sync):
            returns = inspect.signature(getattr(sync, name)).return_annotation
            is_list = "Page[" in str(returns)
            coroutine = inspect.iscoroutinefunction(getattr(asynchronous, name))
            assert coroutine is not is_list, f"{asynchronous.__name__}.{name}"


def test_the_clients_take_the_same_arguments() -> None:
    for method in ("__init__", "from_config", "from_settings"):
        sync = inspect.signature(getattr(Client, method))
        asynchronous = inspect.signature(getattr(AsyncClient, method))
        names = [(p.name, p.kind, p.default) for p in sync.parameters.values()]
        assert names == [(p.name, p.kind, p.default) for p in asynchronous.parameters.values()]


def test_the_package_exports_the_client_models_and_fields() -> None:
    for name in ("Client", "AsyncClient", "Fields", "Anime", "AnimeListEntry", "SyncPage"):
        assert name in malclient.__all__
        assert getattr(malclient, name) is not None
    assert malclient.Client is Client
