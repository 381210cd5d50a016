"""`make demo`: a complete MyAnimeList sign-in and two API calls, against the built-in sandbox.

Starts `mal sandbox` (auto-approving as alice), signs in with PKCE by hand over plain HTTP —
exactly the requests MAL expects — then fetches the signed-in user and a page of search
results, prints them, and stops the sandbox. Tokens are never printed.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import httpx2

from malclient.sandbox.config import WEB_APP


def start_sandbox() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "malclient", "sandbox", "--port", "0", "--auto-approve", "alice"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"running at (\S+)", first)
    if not match:
        process.kill()
        sys.exit(f"demo: the sandbox did not start (it said: {first.strip()!r})")
    return process, match.group(1)


def sign_in(http: httpx2.Client, base: str) -> dict[str, object]:
    """Authorization code with PKCE, the way MAL wants it (SPEC 2): plain method, form body."""
    verifier = secrets.token_urlsafe(96)[:128]  # 43-128 unreserved characters
    state = secrets.token_urlsafe(16)
    authorize = http.get(
        f"{base}/v1/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": WEB_APP.client_id,
            "code_challenge": verifier,  # MAL supports only `plain`: challenge == verifier
            "code_challenge_method": "plain",
            "state": state,
        },
    )
    if authorize.status_code != 302:
        sys.exit(f"demo: authorize answered {authorize.status_code}: {authorize.text}")
    redirect = authorize.headers["location"]
    query = parse_qs(urlsplit(redirect).query)
    if query.get("state") != [state]:
        sys.exit("demo: the redirect's state does not match; refusing the code")
    print(f"1. Approved on the consent step; redirected to {redirect.split('?')[0]} with a code")
    token = http.post(
        f"{base}/v1/oauth2/token",
        data={
            "client_id": WEB_APP.client_id,
            "client_secret": WEB_APP.client_secret,
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "code_verifier": verifier,
        },
    )
    token.raise_for_status()
    body: dict[str, object] = token.json()
    print(
        f"2. Exchanged the code: a {body['token_type']} token valid for "
        f"{int(str(body['expires_in'])) // 86400} days (tokens not shown)"
    )
    return body


def main() -> None:
    process, base = start_sandbox()
    print(f"Sandbox started at {base}")
    try:
        with httpx2.Client(timeout=10) as http:
            tokens = sign_in(http, base)
            auth = {"Authorization": f"Bearer {tokens['access_token']}"}
            me = http.get(f"{base}/v2/users/@me", headers=auth).json()
            print(f"3. Signed in as {me['name']} (user id {me['id']}, joined {me['joined_at']})")
            found = http.get(
                f"{base}/v2/anime",
                params={"q": "kai", "limit": 5, "fields": "mean,media_type,num_episodes"},
                headers=auth,
            ).json()
            print("4. First page of a search for 'kai':")
            for edge in found["data"]:
                node = edge["node"]
                mean = node.get("mean", "n/a")
                print(
                    f"   {node['id']:>6}  {node['title'][:48]:<48} {node['media_type']:<8} "
                    f"{node['num_episodes']:>4} ep  mean {mean}"
                )
            if "next" in found["paging"]:
                print(f"   next page: {found['paging']['next']}")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        print("Sandbox stopped.")


if __name__ == "__main__":
    main()
