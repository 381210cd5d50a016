"""`mal auth ...`, `mal whoami`, `mal doctor` as a user runs them: real processes, a real sandbox,
a real pseudo-terminal for the paste prompt, exit statuses a script can rely on."""

from __future__ import annotations

import base64
import json
import os
import re
import select
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest

from malclient import config, signin
from malclient._protocol import ApiResponse
from malclient.doctor import Report, _check_clock
from malclient.sandbox import SandboxConfig
from malclient.sandbox.config import PUBLIC_APP, WEB_APP
from malclient.sandbox.server import SandboxServer
from malclient.settings import Settings
from signin_support import MAL, TESTS, allow_or_cancel, clean_env, free_port, mal


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(anime_count=50, manga_count=50)) as server:
        yield server


def web_env() -> dict[str, str]:
    return clean_env(MAL_CLIENT_ID=WEB_APP.client_id, MAL_CLIENT_SECRET=WEB_APP.client_secret or "")


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("mal: ")]
    assert lines, result.stderr
    assert "Traceback" not in result.stderr
    return lines[-1]


def sign_in_two_steps(sandbox: SandboxServer, path: Path, env: dict[str, str]) -> str:
    where = ["--sandbox", sandbox.url, "--config", str(path)]
    started = mal("auth", "url", *where, env=env)
    assert started.returncode == 0, started.stderr
    landing = allow_or_cancel(started.stdout.strip())
    finished = mal("auth", "login", "--redirect-url", landing, *where, env=env)
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


def test_two_step_sign_in_across_two_processes(sandbox: SandboxServer, tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    where = ["--sandbox", sandbox.url, "--config", str(path)]
    env = web_env()

    started = mal("auth", "url", *where, env=env)

    assert started.returncode == 0, started.stderr
    lines = started.stdout.splitlines()
    assert len(lines) == 1  # only the URL: `URL=$(mal auth url)` works
    assert lines[0].startswith(f"{sandbox.url}/v1/oauth2/authorize?response_type=code&")
    assert "mal auth login --redirect-url" in started.stderr
    sidecar = Path(f"{path}.malclient")
    assert stat.S_IMODE(sidecar.stat().st_mode) == 0o600
    landing = allow_or_cancel(lines[0])

    finished = mal("auth", "login", "--redirect-url", landing, *where, env=env)

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.startswith("Signed in as alice (user id 7012345).")
    assert "expires" in finished.stdout
    who = mal("whoami", *where, env=env)
    assert (who.returncode, who.stdout) == (0, "alice (user id 7012345)\n")
    # The code is single-use and the pending sign-in is gone: the same address fails clearly.
    again = mal("auth", "login", "--redirect-url", landing, *where, env=env)
    assert again.returncode == 3
    assert "mal auth url" in one_error_line(again)


def test_the_address_can_come_on_standard_input_and_flags_are_saved(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.yml"
    path.write_text("# my settings\nplex:\n  url: http://plex:32400\n")
    where = ["--sandbox", sandbox.url, "--config", str(path)]
    flags = ["--client-id", PUBLIC_APP.client_id]
    started = mal("auth", "url", *where, *flags)
    landing = allow_or_cancel(started.stdout.strip())

    finished = mal("auth", "login", "--redirect-url", "-", *where, *flags, stdin=landing + "\n")

    assert finished.returncode == 0, finished.stderr
    assert "Saved the client id in the `mal:` block" in finished.stderr
    assert path.read_text().startswith("# my settings\nplex:\n  url: http://plex:32400\n")
    # Later commands find the client id in the file, with no flag and no environment.
    who = mal("whoami", *where)
    assert who.stdout.startswith("alice")


def test_completing_an_expired_sign_in_says_to_run_mal_auth_url_again(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.yml"
    settings = Settings.resolve(
        config=path, sandbox=sandbox.url, client_id=WEB_APP.client_id, env={}
    )
    pending = settings.app().start_authorization()
    landing = allow_or_cancel(pending.authorize_url)
    config.save_pending(path, pending.to_dict(), expires_at=time.time() - 1)

    result = mal(
        "auth", "login", "--redirect-url", landing, "--sandbox", sandbox.url, "--config", str(path)
    )

    assert result.returncode == 3
    line = one_error_line(result)
    assert "expired" in line
    assert "Run `mal auth url` again" in line
    assert config.read_settings(path).authorization is None


def read_until(fd: int, marker: bytes, timeout: float = 30) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        left = deadline - time.monotonic()
        assert left > 0, seen.decode(errors="replace")
        readable, _, _ = select.select([fd], [], [], left)
        if readable:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the other side closed
                break
            if not chunk:
                break
            seen += chunk
    return seen


@contextmanager
def in_a_terminal(*args: str, env: dict[str, str]) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`mal ARGS` with a pseudo-terminal as its standard input, output and error."""
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [*MAL, *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        start_new_session=True,
    )
    os.close(terminal)
    try:
        yield controller, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)


def authorize_url_in(shown: str) -> str:
    url = re.search(r"(http://\S+/v1/oauth2/authorize\?\S+)", shown)
    assert url, shown
    return url.group(1)


def test_paste_fallback_through_a_real_pseudo_terminal(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.yml"
    where = ["--sandbox", sandbox.url, "--config", str(path)]
    with in_a_terminal("auth", "login", "--paste", *where, env=web_env()) as (pty, process):
        shown = read_until(pty, b"Address: ").decode()
        assert "that is expected" in shown
        landing = allow_or_cancel(authorize_url_in(shown))
        assert len(landing) > 1024  # longer than macOS's canonical line limit

        os.write(pty, b"oops, not it\r")
        assert b"neither the address" in read_until(pty, b"Address: ")
        os.write(pty, landing.encode() + b"\r")
        rest = read_until(pty, b"expires").decode()
        assert process.wait(timeout=30) == 0
    assert "Signed in as alice" in rest
    assert config.read_settings(path).authorization is not None


def test_in_a_terminal_the_browser_can_return_while_the_prompt_waits(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    redirect = f"http://localhost:{free_port()}/"
    answer = httpx2.post(
        f"{sandbox.url}/_sandbox/apps", json={"redirect_uris": [redirect], "type": "public"}
    )
    path = tmp_path / "config.yml"
    args = ["--sandbox", sandbox.url, "--config", str(path), "--redirect-uri", redirect]
    env = clean_env(MAL_CLIENT_ID=answer.json()["client_id"])
    with in_a_terminal("auth", "login", "--no-browser", *args, env=env) as (pty, process):
        shown = read_until(pty, b"Address: ").decode()
        assert f"waits for the browser at {redirect}" in shown
        page = httpx2.get(allow_or_cancel(authorize_url_in(shown)), timeout=30)
        rest = read_until(pty, b"expires").decode()
        assert process.wait(timeout=30) == 0
    assert "Signed in as alice" in page.text
    assert "Signed in as alice" in rest


def test_without_a_terminal_the_prompt_points_at_two_steps(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.yml"
    result = mal(
        "auth", "login", "--paste", "--sandbox", sandbox.url, "--config", str(path), env=web_env()
    )
    assert result.returncode == 3
    line = one_error_line(result)
    assert "not a terminal" in line
    assert "mal auth url" in line
    assert "authorize?" not in result.stdout + result.stderr
    assert not path.exists()
    # Without a redirect URL there is nothing sure to listen on either: it says so at once.
    guessed = mal("auth", "login", "--sandbox", sandbox.url, "--config", str(path), env=web_env())
    assert guessed.returncode == 3
    assert "no redirect URL is set (--redirect-uri)" in one_error_line(guessed)


def test_login_opens_the_browser_and_catches_its_return(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    redirect = f"http://localhost:{free_port()}/mal/callback"
    answer = httpx2.post(
        f"{sandbox.url}/_sandbox/apps", json={"redirect_uris": [redirect], "type": "public"}
    )
    client_id = answer.json()["client_id"]
    # $BROWSER is how Python's webbrowser picks a browser; this one is a script.
    browser = tmp_path / "browser.py"
    browser.write_text(
        "import sys\n"
        "from signin_support import allow_or_cancel\n"
        "import httpx2\n"
        "page = httpx2.get(allow_or_cancel(sys.argv[1]), timeout=30)\n"
        f"open({str(tmp_path / 'page.html')!r}, 'w').write(page.text)\n"
    )
    env = clean_env(BROWSER=f"{sys.executable} {browser} %s", PYTHONPATH=str(TESTS))
    path = tmp_path / "config.yml"
    args = ["--sandbox", sandbox.url, "--config", str(path), "--client-id", client_id]

    result = mal("auth", "login", "--redirect-uri", redirect, *args, env=env)

    assert result.returncode == 0, result.stderr
    assert "Signed in as alice" in result.stdout
    assert "Signed in as alice" in (tmp_path / "page.html").read_text()
    # The next sign-in remembers the redirect URI.
    assert signin.remembered_redirect_uri(path) == redirect


def test_status_refresh_logout_and_whoami(sandbox: SandboxServer, tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    where = ["--sandbox", sandbox.url, "--config", str(path)]
    env = web_env()

    nobody = mal("auth", "status", *where, env=env)
    assert nobody.returncode == 3
    assert "Not signed in" in nobody.stdout

    sign_in_two_steps(sandbox, path, env)
    status = mal("auth", "status", *where, env=env)
    assert status.returncode == 0, status.stderr
    assert "Signed in to MyAnimeList: alice (user id 7012345)" in status.stdout
    assert f"client id:      {WEB_APP.client_id}" in status.stdout
    assert re.search(r"access token: +valid until \d{4}-\d\d-\d\d .*\(in 31 days\)", status.stdout)
    assert "refresh token:  usable until about" in status.stdout

    before = httpx2.get(f"{sandbox.url}/_sandbox/stats").json()["grants"].get("refresh_token", 0)
    renewed = mal("auth", "refresh", *where, env=env)
    assert renewed.returncode == 0, renewed.stderr
    assert "Renewed the tokens" in renewed.stdout
    after = httpx2.get(f"{sandbox.url}/_sandbox/stats").json()["grants"]["refresh_token"]
    assert after == before + 1

    out = mal("auth", "logout", *where, env=env)
    assert out.returncode == 0
    assert "Signed out" in out.stdout
    assert config.read_settings(path).authorization is None
    who = mal("whoami", *where, env=env)
    assert who.returncode == 3
    assert "mal auth login" in one_error_line(who)
    assert mal("auth", "logout", *where, env=env).returncode == 0  # nothing to do is fine


def test_a_refused_refresh_exits_3_and_names_the_command(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.yml"
    env = clean_env(MAL_CLIENT_ID=PUBLIC_APP.client_id)
    sign_in_two_steps(sandbox, path, env)
    httpx2.post(f"{sandbox.url}/_sandbox/users/alice/revoke")

    result = mal("auth", "refresh", "--sandbox", sandbox.url, "--config", str(path), env=env)

    assert result.returncode == 3
    assert "revoked" in one_error_line(result)
    assert "mal auth login" in one_error_line(result)


def test_exit_statuses_for_usage_and_network_errors(tmp_path: Path) -> None:
    path = str(tmp_path / "config.yml")
    usage = mal("auth", "login", "--timeout", "soon", "--config", path)
    assert usage.returncode == 2
    assert one_error_line(usage).startswith("mal: Invalid value for --timeout")

    no_client = mal("auth", "url", "--config", path)
    assert no_client.returncode == 2
    assert "No client id" in one_error_line(no_client)

    closed = f"http://127.0.0.1:{free_port()}"
    network = mal(
        "auth",
        "login",
        "--redirect-url",
        "http://localhost/?code=abc",
        "--sandbox",
        closed,
        "--config",
        path,
        env=web_env(),
    )
    assert network.returncode == 4
    assert "Could not connect" in one_error_line(network)


def test_doctor_passes_a_good_configuration(sandbox: SandboxServer, tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    env = web_env()
    sign_in_two_steps(sandbox, path, env)

    result = mal("doctor", "--sandbox", sandbox.url, "--config", str(path), env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok    client: MAL accepted the client id and secret." in result.stdout
    assert "ok    clock:" in result.stdout
    assert "ok    tokens: MAL accepts the access token." in result.stdout
    assert "Everything checked is fine." in result.stdout


def test_doctor_explains_a_wrong_secret_and_a_missing_one(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.yml"
    where = ["--sandbox", sandbox.url, "--config", str(path)]
    wrong = mal("doctor", *where, "--client-id", WEB_APP.client_id, "--client-secret", "f" * 64)
    assert wrong.returncode == 3
    assert "the secret does not belong to this client id" in wrong.stdout

    missing = mal("doctor", *where, "--client-id", WEB_APP.client_id)
    assert missing.returncode == 3
    assert "probably a web app, which needs its client secret" in missing.stdout

    public = mal("doctor", *where, "--client-id", PUBLIC_APP.client_id)
    assert "accepted the client id without a secret" in public.stdout
    assert "nobody is signed in" in public.stdout


def test_doctor_checks_the_files_permissions_and_the_redirect_url(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.yml"
    path.write_text(f"mal:\n  client_id: {WEB_APP.client_id}\n  client_secret: {'a' * 64}\n")
    path.chmod(0o644)
    port = free_port()
    result = mal(
        "doctor",
        "--offline",
        "--config",
        str(path),
        "--redirect-uri",
        f"http://127.0.0.1:{port}/cb",
    )
    assert f"chmod 600 {path}" in result.stdout
    assert f"catches the browser's return on port {port}" in result.stdout

    registered = mal(
        "doctor",
        "--sandbox",
        sandbox.url,
        "--config",
        str(path),
        "--client-secret",
        WEB_APP.client_secret or "",
        "--redirect-uri",
        "http://localhost:9/not-registered",
    )
    assert "refuses http://localhost:9/not-registered for this app" in registered.stdout
    assert registered.returncode == 3


def test_doctor_notices_a_clock_that_is_off() -> None:
    report = Report(Path("config.yml"), "MAL")
    answer = ApiResponse(200, {"Date": "Mon, 02 Jan 2006 15:04:05 GMT"}, b"{}")
    _check_clock(report, answer)
    assert report.findings[0].level == "warn"
    assert "ahead of MAL's" in report.findings[0].text


# --- --json -------------------------------------------------------------------------------------

STATUS_KEYS = {
    "signed_in",
    "config",
    "user",
    "client_id",
    "access_token",
    "refresh_token",
    "problems",
    "warnings",
}


def document(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The one JSON document a `--json` command printed on stdout."""
    assert "Traceback" not in result.stderr, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def moment(iso: str) -> float:
    parsed = datetime.fromisoformat(iso)
    assert parsed.tzinfo is not None, iso
    assert parsed.utcoffset() == timedelta(0), iso  # UTC, as MAL writes times
    return parsed.timestamp()


def jwt_claims(access_token: str) -> dict[str, Any]:
    """What the sandbox wrote into its access token (MAL's are JWTs too)."""
    payload = access_token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def assert_no_secret(output: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in output
        assert secret[-24:] not in output


def test_status_whoami_and_doctor_as_json_agree_with_the_sandbox(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.yml"
    where = ["--sandbox", sandbox.url, "--config", str(path)]
    env = web_env()

    nobody = mal("auth", "status", "--json", *where, env=env)
    assert nobody.returncode == 3
    empty = document(nobody)
    assert set(empty) == STATUS_KEYS
    assert empty["signed_in"] is False
    assert empty["config"] == str(path)
    assert empty["client_id"] == WEB_APP.client_id
    assert (empty["user"], empty["access_token"], empty["refresh_token"]) == (None, None, None)
    assert len(empty["problems"]) == 1
    assert "mal auth login" in empty["problems"][0]
    assert empty["warnings"] == []

    before = time.time()
    sign_in_two_steps(sandbox, path, env)
    after = time.time()
    status = mal("auth", "status", "--json", *where, env=env)
    whoami = mal("whoami", "--json", *where, env=env)
    doctor = mal("doctor", "--json", *where, env=env)

    tokens = config.read_settings(path).authorization
    assert tokens is not None
    assert tokens.refresh_token
    me = httpx2.get(
        f"{sandbox.url}/v2/users/@me",
        headers={"Authorization": f"Bearer {tokens.access_token}"},
    ).json()
    assert me["name"] == "alice"
    # whoami: MAL's user object, as MAL sent it.
    assert whoami.returncode == 0, whoami.stderr
    assert document(whoami) == me
    # status: every key, against what the sandbox issued.
    assert status.returncode == 0, status.stderr
    found = document(status)
    assert set(found) == STATUS_KEYS
    assert found["signed_in"] is True
    assert found["config"] == str(path)
    assert found["user"] == {"id": me["id"], "name": me["name"]}
    assert found["client_id"] == WEB_APP.client_id
    assert set(found["access_token"]) == {"expires_at", "expired"}
    assert moment(found["access_token"]["expires_at"]) == jwt_claims(tokens.access_token)["exp"]
    assert found["access_token"]["expired"] is False
    assert set(found["refresh_token"]) == {"saved", "expires_at", "expired"}
    assert found["refresh_token"]["saved"] is True
    lifetime = SandboxConfig().refresh_token_ttl  # MAL's 31 days; ours is an estimate of it
    refresh_ends = moment(found["refresh_token"]["expires_at"])
    assert before + lifetime - 1 <= refresh_ends <= after + lifetime + 1
    assert found["refresh_token"]["expired"] is False
    assert (found["problems"], found["warnings"]) == ([], [])
    # doctor: the findings the text shows, as objects.
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    checked = document(doctor)
    assert set(checked) == {"config", "server", "findings", "problems", "warnings"}
    assert (checked["config"], checked["server"]) == (str(path), sandbox.url)
    assert (checked["problems"], checked["warnings"]) == ([], [])
    assert all(set(item) == {"level", "topic", "text"} for item in checked["findings"])
    assert {"level": "ok", "topic": "tokens", "text": "MAL accepts the access token."} in checked[
        "findings"
    ]
    text = mal("doctor", *where, env=env).stdout
    for item in checked["findings"]:
        assert f"  {item['level']:<5} {item['topic']}: {item['text']}" in text
    for result in (status, whoami, doctor):
        assert_no_secret(
            result.stdout + result.stderr,
            tokens.access_token,
            tokens.refresh_token,
            WEB_APP.client_secret or "",
        )

    config.write_authorization(path, None)
    signed_out = mal("whoami", "--json", *where, env=env)
    assert signed_out.returncode == 3
    assert signed_out.stdout == ""
    assert "mal auth login" in one_error_line(signed_out)


def test_status_json_lists_the_problems_that_make_it_exit_3(tmp_path: Path) -> None:
    """Old tokens, tokens of another app, a file others can read: the same facts as the text."""
    path = tmp_path / "config.yml"
    path.write_text(f"mal:\n  client_id: {WEB_APP.client_id}\n")
    issued = time.time() - 40 * 86400
    config.write_authorization(
        path,
        config.StoredTokens(
            access_token="old-access-" + "a" * 40,
            refresh_token="old-refresh-" + "b" * 40,
            expires_in=2678400,
            issued_at=issued,
            client_id=WEB_APP.client_id,
        ),
    )
    path.chmod(0o644)
    env = clean_env(MAL_CLIENT_ID=PUBLIC_APP.client_id)  # not the app the tokens belong to

    result = mal("auth", "status", "--offline", "--json", "--config", str(path), env=env)

    assert result.returncode == 3
    found = document(result)
    assert found["signed_in"] is True
    assert found["user"] == {"id": None, "name": None}  # not a JWT, and MAL was not asked
    assert found["client_id"] == WEB_APP.client_id  # whose tokens these are
    assert found["access_token"] == {
        "expires_at": datetime.fromtimestamp(issued + 2678400, UTC).isoformat(timespec="seconds"),
        "expired": True,
    }
    assert found["refresh_token"]["saved"] is True
    assert found["refresh_token"]["expired"] is True
    assert abs(moment(found["refresh_token"]["expires_at"]) - (issued + 31 * 86400)) <= 1
    assert len(found["problems"]) == 2
    assert "sign in again with `mal auth login`" in found["problems"][0]
    assert f"belong to client id {WEB_APP.client_id}" in found["problems"][1]
    assert found["warnings"] == [
        f"{path} holds secrets and other users of this computer can read it: run "
        f"`chmod 600 {path}`."
    ]
    assert_no_secret(result.stdout + result.stderr, "a" * 40, "b" * 40)
    text = mal("auth", "status", "--offline", "--config", str(path), env=env)
    assert text.returncode == 3
    for problem in found["problems"]:
        assert f"Problem: {problem}" in text.stdout
    assert f"Warning: {found['warnings'][0]}" in text.stdout


def test_status_json_when_mal_cannot_be_reached_exits_4_with_the_reason(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.yml"
    env = web_env()
    sign_in_two_steps(sandbox, path, env)
    closed = ["--sandbox", f"http://127.0.0.1:{free_port()}", "--config", str(path)]

    result = mal("auth", "status", "--json", *closed, env=env)
    whoami = mal("whoami", "--json", *closed, env=env)

    assert result.returncode == 4
    found = document(result)
    assert found["signed_in"] is True
    assert found["user"]["name"] is None
    assert len(found["problems"]) == 1
    assert "Could not connect" in found["problems"][0]
    assert one_error_line(result) == f"mal: {found['problems'][0]}"
    assert mal("auth", "status", *closed, env=env).returncode == 4
    assert (whoami.returncode, whoami.stdout) == (4, "")


def test_doctor_json_keeps_the_texts_exit_status_and_findings(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.yml"
    wrong = "f" * 64
    args = ["--sandbox", sandbox.url, "--config", str(path), "--client-id", WEB_APP.client_id]
    args += ["--client-secret", wrong]

    text = mal("doctor", *args)
    result = mal("doctor", "--json", *args)

    assert text.returncode == result.returncode == 3
    found = document(result)
    fails = [f"{i['topic']}: {i['text']}" for i in found["findings"] if i["level"] == "fail"]
    assert found["problems"] == fails
    assert any("the secret does not belong to this client id" in p for p in found["problems"])
    assert f"{len(fails)} problem" in text.stdout
    for item in found["findings"]:
        assert f"  {item['level']:<5} {item['topic']}: {item['text']}" in text.stdout
    assert wrong not in result.stdout + result.stderr
