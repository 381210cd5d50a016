"""Pages of list endpoints and iteration across them, one paginator for sync and async code.
`_PageBase` decides (which link to follow, where to stop); `SyncPage` and `AsyncPage` only
fetch. Must not send anything itself, nor keep pages it has moved past: iteration streams.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, Generic, TypeVar

from malclient.models import ResponseFormatError, decode
from malclient.resources._calls import Call, ListEndpoint

__all__ = ["AsyncPage", "AsyncPager", "SyncPage"]

T = TypeVar("T")


class _PageBase(Generic[T]):
    """What a page knows: its entries, MAL's whole answer, and how to ask for the next one."""

    __slots__ = ("__weakref__", "_call", "_spec", "api_url", "data", "model")

    def __init__(self, spec: ListEndpoint[T], call: Call, body: bytes, api_url: str) -> None:
        self._spec = spec
        self._call = call
        self.api_url = api_url
        # The whole decoded answer: a `Page`, a `SeasonalPage` (with `.season`) or a
        # `ForumTopicPage` (with `.data.title` and `.data.poll`).
        self.model: Any = decode(body, call.result)
        # This page's entries.
        self.data: list[T] = spec.items(self.model)

    @property
    def next_url(self) -> str | None:
        url: str | None = self.model.next_url
        return url

    @property
    def previous_url(self) -> str | None:
        url: str | None = self.model.previous_url
        return url

    def has_next_page(self) -> bool:
        return self.next_url is not None

    def _next_call(self) -> Call | None:
        """The request for the next page, or None on the last one."""
        url = self.next_url
        if url is None:
            return None
        if not url.startswith(self.api_url.rstrip("/") + "/"):
            # SPEC 3.3: MAL's links point at the API itself. Anything else would receive the
            # user's token with the request, so it is never followed.
            raise ResponseFormatError(
                f"The next page of {self._call.label} is not on the API at {self.api_url} "
                "(a proxy rewrote MyAnimeList's paging link?): not following it."
            )
        if url == self._call.path:
            raise ResponseFormatError(
                f"MyAnimeList's link to the next page of {self._call.label} points back at the "
                "same page: stopping rather than looping."
            )
        # The link carries every parameter again (SPEC 3.3), so none are added.
        return Call(
            label=self._call.label,
            method="GET",
            path=url,
            params={},
            data=None,
            result=self._call.result,
            user=self._call.user,
        )

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self._call.label}, entries={len(self.data)}, "
            f"next_url={self.next_url!r})"
        )


Fetch = Callable[[Call], bytes]
AsyncFetch = Callable[[Call], Awaitable[bytes]]


class SyncPage(_PageBase[T]):
    """One page of a list. Iterating it yields every entry from here to the last page, fetching
    each page when the previous one is used up; `.data` is this page's entries."""

    __slots__ = ("_fetch",)

    def __init__(
        self, spec: ListEndpoint[T], call: Call, body: bytes, api_url: str, fetch: Fetch
    ) -> None:
        super().__init__(spec, call, body, api_url)
        self._fetch = fetch

    @classmethod
    def first(cls, spec: ListEndpoint[T], call: Call, api_url: str, fetch: Fetch) -> SyncPage[T]:
        return cls(spec, call, fetch(call), api_url, fetch)

    def next_page(self) -> SyncPage[T] | None:
        """The next page (one request), or None when this is the last."""
        call = self._next_call()
        if call is None:
            return None
        return SyncPage(self._spec, call, self._fetch(call), self.api_url, self._fetch)

    def iter_pages(self) -> Iterator[SyncPage[T]]:
        """This page and every later one, fetched one at a time."""
        return _pages(self)

    def __iter__(self) -> Iterator[T]:
        return _entries(self)


class AsyncPage(_PageBase[T]):
    """`SyncPage` for asyncio: `await page.next_page()`, `async for entry in page`."""

    __slots__ = ("_fetch",)

    def __init__(
        self, spec: ListEndpoint[T], call: Call, body: bytes, api_url: str, fetch: AsyncFetch
    ) -> None:
        super().__init__(spec, call, body, api_url)
        self._fetch = fetch

    @classmethod
    async def first(
        cls, spec: ListEndpoint[T], call: Call, api_url: str, fetch: AsyncFetch
    ) -> AsyncPage[T]:
        return cls(spec, call, await fetch(call), api_url, fetch)

    async def next_page(self) -> AsyncPage[T] | None:
        call = self._next_call()
        if call is None:
            return None
        return AsyncPage(self._spec, call, await self._fetch(call), self.api_url, self._fetch)

    def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        return _async_pages(self)

    def __aiter__(self) -> AsyncIterator[T]:
        return _async_entries(self)


class AsyncPager(Generic[T]):
    """What an async list method returns before any request: `await` it for the first page,
    or `async for` over it for every entry of every page."""

    __slots__ = ("_first",)

    def __init__(self, first: Callable[[], Awaitable[AsyncPage[T]]]) -> None:
        self._first = first

    def __await__(self) -> Generator[Any, None, AsyncPage[T]]:
        return self._first().__await__()

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        async for page in _async_pages(await self._first()):
            yield page

    async def __aiter__(self) -> AsyncIterator[T]:
        async for item in _async_entries(await self._first()):
            yield item


# Iteration holds only the page it is on (these are functions, not methods, so no frame keeps
# the first page alive as `self`): a 10,000-entry export never has more than one page in memory.


def _pages(page: SyncPage[T] | None) -> Iterator[SyncPage[T]]:
    while page is not None:
        yield page
        page = page.next_page()


def _entries(page: SyncPage[T] | None) -> Iterator[T]:
    while page is not None:
        yield from page.data
        page = page.next_page()


async def _async_pages(page: AsyncPage[T] | None) -> AsyncIterator[AsyncPage[T]]:
    while page is not None:
        yield page
        page = await page.next_page()


async def _async_entries(page: AsyncPage[T] | None) -> AsyncIterator[T]:
    while page is not None:
        for item in page.data:
            yield item
        page = await page.next_page()
