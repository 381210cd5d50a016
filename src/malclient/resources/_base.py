"""The two helpers every resource method is written with, once for sync and once for async:
`_call` (one request, one model), `_list` (a page that iterates onward) and `_steps` (a pure
multi-step generator driven to its end). Resources never touch HTTP: a `Runner` sends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Generator
from typing import Any, Protocol, TypeAlias, TypeVar

from malclient._exceptions import NotFound
from malclient.models import decode
from malclient.resources._calls import Call, Endpoint, ListEndpoint, Options, prepare
from malclient.resources._paging import AsyncPage, AsyncPager, SyncPage

__all__ = ["AsyncResource", "AsyncRunner", "Runner", "Steps", "SyncResource"]

R = TypeVar("R")
T = TypeVar("T")

# A multi-step operation as a generator: it yields calls, gets each one's result back, and
# returns the operation's result (e.g. read an entry, then write it once).
Steps: TypeAlias = Generator[Call, Any, R]


class Runner(Protocol):
    """Sends a call through the client's session and returns the successful body."""

    @property
    def options(self) -> Options: ...

    @property
    def api_url(self) -> str: ...

    def send(self, call: Call) -> bytes: ...


class AsyncRunner(Protocol):
    @property
    def options(self) -> Options: ...

    @property
    def api_url(self) -> str: ...

    def send(self, call: Call) -> Awaitable[bytes]: ...


def _result(call: Call, body: bytes) -> Any:
    # Deletes answer only "done" (SPEC 4.7: the body is unreported); the rest are models.
    return True if call.absent_ok else decode(body, call.result)


class SyncResource:
    __slots__ = ("_runner",)

    def __init__(self, runner: Runner) -> None:
        self._runner = runner

    def _run(self, call: Call) -> Any:
        try:
            body = self._runner.send(call)
        except NotFound:
            if call.absent_ok:
                return False
            raise
        return _result(call, body)

    def _call(self, endpoint: Endpoint[R], **arguments: Any) -> R:
        result: R = self._run(prepare(endpoint, arguments, self._runner.options))
        return result

    def _list(self, spec: ListEndpoint[T], **arguments: Any) -> SyncPage[T]:
        call = prepare(spec, arguments, self._runner.options)
        return SyncPage.first(spec, call, self._runner.api_url, self._runner.send)

    def _steps(self, steps: Steps[R]) -> R:
        result: Any = None
        while True:
            try:
                call = steps.send(result)
            except StopIteration as done:
                outcome: R = done.value
                return outcome
            result = self._run(call)


class AsyncResource:
    __slots__ = ("_runner",)

    def __init__(self, runner: AsyncRunner) -> None:
        self._runner = runner

    async def _run(self, call: Call) -> Any:
        try:
            body = await self._runner.send(call)
        except NotFound:
            if call.absent_ok:
                return False
            raise
        return _result(call, body)

    async def _call(self, endpoint: Endpoint[R], **arguments: Any) -> R:
        result: R = await self._run(prepare(endpoint, arguments, self._runner.options))
        return result

    def _list(self, spec: ListEndpoint[T], **arguments: Any) -> AsyncPager[T]:
        # Checked now, so a bad argument fails at the call, not at the first `await`.
        call = prepare(spec, arguments, self._runner.options)
        runner = self._runner
        return AsyncPager(lambda: AsyncPage.first(spec, call, runner.api_url, runner.send))

    async def _steps(self, steps: Steps[R]) -> R:
        result: Any = None
        while True:
            try:
                call = steps.send(result)
            except StopIteration as done:
                outcome: R = done.value
                return outcome
            result = await self._run(call)
