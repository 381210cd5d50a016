"""No command prints a secret: not on success, not on error, not in help.

Runs every `mal auth` command, `mal whoami` and `mal doctor` (and their error paths), as text
and with `--json`, with a known client secret, then greps everything they printed for the
secret, every access and refresh token the config held along the way, the authorization code
and the PKCE verifier.
The verifier may appear only inside an authorize URL: with MAL's plain PKCE the URL carries it
by design, and the person must open it (SPEC 2.2).
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from malclient import config
from malclient.sandbox import SandboxConfig
from malclient.sandbox.server import SandboxServer
from signin_support import allow_or_cancel, clean_env, free_port, mal

AUTHORIZE_URL = re.compile(r"https?://\S+/authorize\?\S+")
SECRET_LIKE = re.compile(r"[A-Za-z0-9_~+=.-]{40,}")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(anime_count=50, manga_count=50)) as server:
        yield server


class Transcript:
    """Everything the commands printed, and every secret the test came to know."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.outputs: list[tuple[str, str]] = []
        self.secrets: set[str] = set()

    def run(self, *args: str, env: dict[str, str], stdin: str | None = None) -> str:
        result: subprocess.CompletedProcess[str] = mal(*args, env=env, stdin=stdin)
        assert "Traceback" not in result.stderr, result.stderr
        self.outputs.append((" ".join(args), result.stdout + result.stderr))
        self.learn()
        return result.stdout

    def learn(self) -> None:
        """Remember the tokens saved now, and the pending sign-in's verifier."""
        try:
            tokens = config.read_settings(self.path).authorization
        except config.ConfigError:
            tokens = None
        if tokens is not None:
            self.secrets.add(tokens.access_token)
            if tokens.refresh_token:
                self.secrets.add(tokens.refresh_token)
        sidecar = Path(f"{self.path}.malclient")
        if sidecar.exists():
            record = json.loads(sidecar.read_text()).get("pending", {}).get("record", {})
            if record.get("verifier"):
                self.secrets.add(record["verifier"])


def test_no_command_prints_a_secret(sandbox: SandboxServer, tmp_path: Path) -> None:
    secret = secrets.token_hex(32)
    wrong_secret = secrets.token_hex(32)
    registered = httpx2.post(
        f"{sandbox.url}/_sandbox/apps",
        json={"redirect_uris": ["http://localhost/"], "type": "web", "client_secret": secret},
    ).json()
    client_id = registered["client_id"]
    path = tmp_path / "config.yml"
    where = ["--sandbox", sandbox.url, "--config", str(path)]
    env = clean_env(MAL_CLIENT_ID=client_id)
    log = Transcript(path)
    log.secrets |= {secret, wrong_secret}

    # Help for every command.
    for command in (
        [],
        ["auth"],
        ["auth", "login"],
        ["auth", "url"],
        ["auth", "status"],
        ["auth", "refresh"],
        ["auth", "logout"],
        ["whoami"],
        ["doctor"],
    ):
        log.run(*command, "--help", env=env)

    # Two-step sign-in; the secret comes as a flag and is saved in the block.
    url = log.run("auth", "url", *where, env=env).strip()
    landing = allow_or_cancel(url)
    code = dict(pair.split("=", 1) for pair in landing.split("?", 1)[1].split("&") if "=" in pair)[
        "code"
    ]
    log.secrets.add(code)
    log.run("auth", "login", "--redirect-url", landing, "--client-secret", secret, *where, env=env)
    assert config.read_settings(path).client_secret == secret

    # Everyday commands, as text and as JSON.
    for command in (
        ["auth", "status"],
        ["auth", "status", "--offline"],
        ["auth", "status", "--json"],
        ["auth", "status", "--offline", "--json"],
        ["auth", "refresh"],
        ["whoami"],
        ["whoami", "--json"],
        ["doctor"],
        ["doctor", "--offline"],
        ["doctor", "--json"],
        ["doctor", "--offline", "--json"],
        ["list", "rm", "1", "--json"],
    ):
        log.run(*command, *where, env=env)

    # Error paths: a used code, a forged one, a positional paste, no terminal, a wrong secret,
    # an unreachable server, a config that does not parse, tokens too old to renew.
    fake_code = secrets.token_urlsafe(600)
    log.secrets.add(fake_code)
    log.run("auth", "login", "--redirect-url", landing, *where, env=env)
    log.run("auth", "login", "--redirect-url", "-", *where, env=env, stdin=landing)
    log.run(
        "auth", "login", "--redirect-url", f"http://localhost/?code={fake_code}", *where, env=env
    )
    log.run("auth", "login", landing, *where, env=env)
    log.run("auth", "login", "--paste", *where, env=env)
    log.run("doctor", "--client-secret", wrong_secret, *where, env=env)
    log.run("doctor", "--json", "--client-secret", wrong_secret, *where, env=env)
    log.run("auth", "refresh", "--client-id", "0" * 32, *where, env=env)
    closed = ["--sandbox", f"http://127.0.0.1:{free_port()}", "--config", str(path)]
    json_variants = (["whoami", "--json"], ["auth", "status", "--json"], ["doctor", "--json"])
    for command in (["whoami"], ["auth", "refresh"], ["auth", "status"], ["doctor"]):
        log.run(*command, *closed, env=env)
    for command in json_variants:
        log.run(*command, *closed, env=env)
    broken = tmp_path / "broken.yml"
    broken.write_text(
        path.read_text().replace(f"client_secret: {secret}", f'client_secret: "{secret}')
    )
    for command in (["auth", "status"], ["whoami"], ["doctor"], ["auth", "logout"], *json_variants):
        log.run(*command, "--config", str(broken), "--sandbox", sandbox.url, env=env)
    httpx2.post(f"{sandbox.url}/_sandbox/clock", json={"advance": 40 * 86400})
    for command in (["whoami"], ["auth", "status"], ["auth", "refresh"], ["doctor"]):
        log.run(*command, *where, env=env)
    for command in json_variants:
        log.run(*command, *where, env=env)
    log.run("auth", "logout", *where, env=env)

    assert len(log.secrets) >= 8  # secret, wrong one, code, fake code, verifier, two+ tokens
    for command, output in log.outputs:
        without_urls = AUTHORIZE_URL.sub("<authorize URL>", output)
        for known in log.secrets:
            assert known not in without_urls, f"`mal {command}` printed a secret"
            assert known[-24:] not in without_urls, f"`mal {command}` printed part of a secret"
        assert not SECRET_LIKE.search(without_urls), (command, SECRET_LIKE.findall(without_urls))
        for url in AUTHORIZE_URL.findall(output):
            assert secret not in url
    # The error paths really were errors, with one clear line each.
    errors = [output for command, output in log.outputs if "mal: " in output]
    assert len(errors) >= 24
