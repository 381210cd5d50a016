"""`mal auth ...`, `mal whoami`, `mal doctor` as a user runs them: real processes, a real sandbox,
a real pseudo-terminal for the paste prompt, exit statuses a script can rely on."""

from __future__ import annotations

import os
import re
import select
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
