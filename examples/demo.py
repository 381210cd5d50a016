"""`make demo`: the real `mal auth login` against the built-in sandbox, then `mal whoami`.

Starts `mal sandbox` with an app whose redirect URL is a loopback address, runs `mal auth login`
(which listens there for the browser's return), and plays the browser itself: it opens the
authorize page, signs in as alice and clicks Allow, exactly as a person would. Then `mal whoami`,
a search through the saved tokens, one more episode with `mal list inc` and alice's shows in
progress with `mal list show`, and the sandbox stops. Tokens are never printed.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx2

from malclient.sandbox.config import WEB_APP

MAL = [sys.executable, "-m", "malclient"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_sandbox(redirect_uri: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(  # noqa: S603 - our own command, no shell
        [*MAL, "sandbox", "--port", "0", "--redirect-uri", redirect_uri],
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


def play_browser(authorize_url: str) -> str:
    """What a person does: open the page, sign in, click Allow; the redirect reaches `mal`."""
    with httpx2.Client(timeout=30) as browser:
        browser.get(authorize_url)  # the login and consent page
        answer = browser.post(
            authorize_url,
            data={"username": "alice", "password": "alice-sandbox", "decision": "allow"},
        )
        back = browser.get(answer.headers["location"])  # malclient's loopback listener
        title = re.search(r"<h1[^>]*>([^<]+)</h1>", back.text)
        return title.group(1) if title else f"HTTP {back.status_code}"


def sign_in(where: list[str], env: dict[str, str], redirect_uri: str) -> None:
    login = subprocess.Popen(  # noqa: S603 - our own command, no shell
        [*MAL, "auth", "login", *where, "--redirect-uri", redirect_uri, "--no-browser"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert login.stdout is not None
    assert login.stderr is not None
    authorize_url = None
    for line in login.stderr:
        found = re.search(r"(http\S+/v1/oauth2/authorize\?\S+)", line)
        if found:
            authorize_url = found.group(1)
            break
    if authorize_url is None:
        login.wait(10)
        sys.exit(f"demo: `mal auth login` printed no authorize URL (exit {login.returncode})")
    # Not shown: with MAL's plain PKCE the URL carries the verifier.
    print("2. `mal auth login` printed the authorize URL and waits for the browser")
    told = play_browser(authorize_url)
    print(f"3. The browser signed in as alice, clicked Allow and was told: {told}")
    out, _ = login.communicate(timeout=60)
    if login.returncode != 0:
        sys.exit(f"demo: `mal auth login` failed (exit {login.returncode})")
    print("4. $ mal auth login")
    for line in out.splitlines():
        print(f"   {line}")


def main() -> None:
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    process, base = start_sandbox(redirect_uri)
    print(f"1. Sandbox started at {base}; its web app redirects to {redirect_uri}")
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = Path(folder) / "config.yml"
            where = ["--sandbox", base, "--config", str(config)]
            env = {
                **os.environ,
                "MAL_CLIENT_ID": WEB_APP.client_id,
                "MAL_CLIENT_SECRET": WEB_APP.client_secret or "",
            }
            sign_in(where, env, redirect_uri)
            whoami = subprocess.run(  # noqa: S603 - our own command, no shell
                [*MAL, "whoami", *where], capture_output=True, text=True, env=env, check=True
            )
            print(f"5. $ mal whoami\n   {whoami.stdout.strip()}")
            first = search(config, base, env)
            everyday(where, env, first, Path(folder))
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        print("Sandbox stopped.")


def search(config: Path, base: str, env: dict[str, str]) -> int:
    """The saved tokens at work, from Python: the client refreshes them if it has to. Returns
    the id of alice's first show in progress."""
    from malclient import Client, Fields
    from malclient.settings import Settings

    settings = Settings.resolve(config=config, sandbox=base, env=env)
    with Client.from_settings(settings) as client:
        page = client.anime.search(
            "kai", limit=5, fields=Fields("mean", "media_type", "num_episodes")
        )
        watching = client.animelist.list(status="watching", limit=3)
        print("6. First page of a search for 'kai', with the saved tokens:")
        for edge in page.data:
            anime = edge.node
            mean = "n/a" if anime.mean is None else anime.mean
            print(
                f"   {anime.id:>6}  {anime.title[:48]:<48} {anime.media_type:<8} "
                f"{anime.num_episodes:>4} ep  mean {mean}"
            )
        print("7. Three of alice's shows in progress (client.animelist.list):")
        for entry in watching.data:
            status = entry.list_status
            seen = "?" if status is None else status.num_episodes_watched
            print(f"   {entry.node.title[:48]:<48} {seen} episodes watched")
    return watching.data[0].node.id


def everyday(where: list[str], env: dict[str, str], anime_id: int, folder: Path) -> None:
    """The `mal` commands for everyday list work, with the same config."""
    # The sandbox is not MAL: no need to pace. The list mirror goes with the throwaway config.
    quick = {**env, "MAL_RATE": "off", "MAL_MIRROR": str(folder / "lists.sqlite3")}
    for number, args in (
        (8, ["list", "inc", str(anime_id)]),
        (9, ["list", "show", "--status", "watching"]),
    ):
        done = subprocess.run(  # noqa: S603 - our own command, no shell
            [*MAL, *args, *where], capture_output=True, text=True, env=quick, check=True
        )
        lines = done.stdout.rstrip().splitlines()
        shown = "\n".join("   " + line for line in lines[:8])
        more = f"\n   ... ({len(lines) - 8} more lines)" if len(lines) > 8 else ""
        print(f"{number}. $ mal {' '.join(args)}\n{shown}{more}")


if __name__ == "__main__":
    main()
