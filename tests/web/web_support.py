"""Helpers for the sign-in page's tests: register apps at the sandbox, walk a flow over HTTP,
read the `mal:` block out of the result page."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx2
from ruamel.yaml import YAML

_BLOCK = re.compile(r'<textarea id="block"[^>]*>(.*?)</textarea>', re.DOTALL)
_H1 = re.compile(r"<h1>(.*?)</h1>", re.DOTALL)
_ALERT = re.compile(r'<p class="alert"[^>]*>(.*?)</p>', re.DOTALL)
_FLOW = re.compile(r'name="flow" value="([^"]+)"')
_AUTHORIZE = re.compile(r'id="authorize" href="([^"]+)"')


def register(sandbox_url: str, redirect_uris: list[str], kind: str = "web") -> dict[str, Any]:
    """Register an app at the sandbox, as /apiconfig does on MAL: client_id (and secret)."""
    answer = httpx2.post(
        f"{sandbox_url}/_sandbox/apps", json={"redirect_uris": redirect_uris, "type": kind}
    )
    answer.raise_for_status()
    app: dict[str, Any] = answer.json()
    return app


def stats(sandbox_url: str) -> dict[str, Any]:
    data: dict[str, Any] = httpx2.get(f"{sandbox_url}/_sandbox/stats").json()
    return data


def block_of(page: str) -> str | None:
    found = _BLOCK.search(page)
    return html.unescape(found.group(1)) if found else None


def parse_block(text: str) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe", pure=True).load(text)
    return data


def heading(page: str) -> str:
    found = _H1.search(page)
    return re.sub(r"<[^>]+>", "", html.unescape(found.group(1))) if found else ""


def alert(page: str) -> str:
    found = _ALERT.search(page)
    return " ".join(html.unescape(found.group(1)).split()) if found else ""


def flow_field(page: str) -> str:
    found = _FLOW.search(page)
    assert found, "no flow field on the paste page"
    return found.group(1)


def authorize_link(page: str) -> str:
    found = _AUTHORIZE.search(page)
    assert found, "no authorize link on the paste page"
    return html.unescape(found.group(1))


def whoami(sandbox_url: str, access_token: str) -> str:
    """The user name the sandbox's API gives for this access token."""
    answer = httpx2.get(
        f"{sandbox_url}/v2/users/@me", headers={"Authorization": f"Bearer {access_token}"}
    )
    answer.raise_for_status()
    name: str = answer.json()["name"]
    return name


def start_form(app: dict[str, Any], **extra: str) -> dict[str, str]:
    form = {"client_id": app["client_id"], "client_secret": app.get("client_secret") or ""}
    form.update(extra)
    return form


def login(user: str) -> dict[str, str]:
    return {"username": user, "password": f"{user}-sandbox", "decision": "allow"}


def sign_in(
    client: httpx2.Client, page_url: str, app: dict[str, Any], user: str = "alice"
) -> httpx2.Response:
    """The whole redirect flow over HTTP: form, MAL's login page (Allow), back to /callback."""
    started = client.post(f"{page_url}/start", data=start_form(app, mode="callback"))
    assert started.status_code == 303, started.text
    approved = client.post(started.headers["location"], data=login(user))
    assert approved.status_code == 302, approved.text
    return client.get(approved.headers["location"])


async def sign_in_async(
    client: httpx2.AsyncClient, page_url: str, app: dict[str, Any], user: str
) -> httpx2.Response:
    """`sign_in` for many flows at once, each with its own client (its own cookies)."""
    form = await client.get(f"{page_url}/")
    assert form.status_code == 200
    started = await client.post(f"{page_url}/start", data=start_form(app, mode="callback"))
    assert started.status_code == 303, started.text
    shown = await client.get(started.headers["location"])
    assert shown.status_code == 200
    approved = await client.post(started.headers["location"], data=login(user))
    assert approved.status_code == 302, approved.text
    return await client.get(approved.headers["location"])
