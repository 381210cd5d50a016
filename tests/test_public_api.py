"""The package's front door: what `import malclient` offers, and what it costs."""

from __future__ import annotations

import subprocess
import sys

import malclient
from malclient import _exceptions


def test_every_exception_is_exported_from_the_package() -> None:
    assert set(_exceptions.__all__) <= set(malclient.__all__)
    for name in malclient.__all__:
        assert hasattr(malclient, name), name


def test_all_is_sorted_so_additions_are_reviewed_in_place() -> None:
    assert list(malclient.__all__) == sorted(malclient.__all__)


def test_importing_the_package_loads_no_server_stack() -> None:
    code = (
        "import sys, malclient\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'starlette', 'uvicorn', 'cyclopts'} or m.startswith('malclient.sandbox')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
