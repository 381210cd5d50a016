"""The shape of `malclient.auth` and of the exception tree: what other code may rely on."""

from __future__ import annotations

import builtins
import inspect
import re
import subprocess
import sys

import pytest

import malclient._exceptions as exceptions_module
import malclient.auth
from malclient._exceptions import (
    APIError,
    AuthError,
    MALError,
    ReauthorizationRequired,
    RefreshTokenRejected,
    TokenRequestError,
)


def test_importing_auth_loads_no_http_or_network_library() -> None:
    probe = (
        "import sys, malclient.auth\n"
        "banned = ('httpx2', 'httpx', 'socket', 'ssl', 'http', 'asyncio', 'starlette')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in banned))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_auth_all_is_sorted_and_names_every_public_definition() -> None:
    exported = malclient.auth.__all__
    assert exported == sorted(exported, key=lambda name: (not name.isupper(), name))
    for name in exported:
        assert hasattr(malclient.auth, name), name
    defined = set()
    for module_name in ("errors", "flow", "pkce", "tokens"):
        module = getattr(malclient.auth, module_name)
        for name, value in vars(module).items():
            if name.startswith("_") or not (inspect.isclass(value) or inspect.isfunction(value)):
                continue
            if value.__module__ == module.__name__:
                defined.add(name)
    assert defined <= set(exported)


def exception_classes() -> dict[str, type[BaseException]]:
    return {
        name: value
        for name, value in vars(exceptions_module).items()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == exceptions_module.__name__
    }


def test_exceptions_all_lists_every_exception() -> None:
    assert sorted(exceptions_module.__all__) == sorted(exception_classes())


def test_the_drawn_tree_is_the_real_tree() -> None:
    classes = exception_classes()
    drawn: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in (exceptions_module.__doc__ or "").splitlines():
        match = re.match(r"^(\s*(?:[│├└─]\s*)*)([A-Z][A-Za-z]+)\b", line)
        # Roots drawn from Python's own tree (warnings derive from UserWarning) count too.
        if not match or (match.group(2) not in classes and not hasattr(builtins, match.group(2))):
            continue
        depth, name = len(match.group(1)), match.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if name in classes:
            drawn[name] = stack[-1][1] if stack else None
        stack.append((depth, name))
    assert set(drawn) == set(classes), "every exception is drawn exactly where it lives"
    for name, parent in drawn.items():
        if parent is None:
            assert name == "MALError"
        else:
            base = classes.get(parent) or getattr(builtins, parent)
            assert base in classes[name].__bases__, f"{name} under {parent}"


def test_refresh_refusals_are_token_errors_and_demand_a_new_sign_in() -> None:
    assert issubclass(RefreshTokenRejected, TokenRequestError)
    assert issubclass(RefreshTokenRejected, ReauthorizationRequired)


@pytest.mark.parametrize(
    "cls",
    [c for c in exception_classes().values() if issubclass(c, AuthError)],
    ids=lambda c: c.__name__,
)
def test_every_auth_error_explains_itself_without_arguments(cls: type[AuthError]) -> None:
    error = cls()
    text = str(error)
    assert text.endswith(".")
    assert len(text) > 30
    assert isinstance(error, MALError)
    if issubclass(cls, ReauthorizationRequired):
        assert "`mal auth login`" in text


def test_a_sharper_explanation_replaces_the_default_and_keeps_mals_words() -> None:
    error = TokenRequestError("Do this.", status=400, error="e", message="m", hint="h")
    assert str(error) == 'Do this. MAL answered HTTP 400 e: "m" (hint: "h").'
    assert (error.status, error.error, error.message, error.hint) == (400, "e", "m", "h")


def test_api_errors_keep_status_and_mals_body() -> None:
    error = APIError(status=404, error="not_found", message="")
    assert error.status == 404
    assert "HTTP 404" in str(error)
    assert "not_found" in str(error)
