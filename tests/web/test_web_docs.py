"""docs/web.md says what users can copy: its Python example builds a page that serves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from starlette.testclient import TestClient

PAGE = Path(__file__).resolve().parents[2] / "docs" / "web.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)


def test_the_embedding_example_serves_the_form_at_its_public_address() -> None:
    [example] = EXAMPLES
    namespace: dict[str, object] = {}
    exec(compile(example, str(PAGE), "exec"), namespace)  # noqa: S102 - our own docs
    with TestClient(namespace["app"], base_url="https://mal.example.org") as client:  # type: ignore[arg-type]
        form = client.get("/")
    assert form.status_code == 200
    assert "https://mal.example.org/callback" in form.text


def test_the_page_names_every_flag_of_mal_web() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "malclient", "web", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    flags = set(re.findall(r"--[a-z][a-z-]+", help_text)) - {"--help", "--version"}
    assert flags == {"--host", "--port", "--public-url", "--sandbox"}
    text = PAGE.read_text(encoding="utf-8")
    assert [flag for flag in sorted(flags) if flag not in text] == []
