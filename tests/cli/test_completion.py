"""`mal completion`: bash, zsh and fish really complete `mal` from the script it prints and
installs (each shell started by the test, in a temporary home, set up as `--install` leaves it),
the script follows the command tree, and a TAB press never starts `mal` (Python)."""

from __future__ import annotations

import fcntl
import os
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import Result, run_mal, run_process

SHELLS = ("bash", "zsh", "fish")
LIST_STATUSES = {
    "watching",
    "reading",
    "completed",
    "on_hold",
    "dropped",
    "plan_to_watch",
    "plan_to_read",
}

# What a zsh user's ~/.zshrc holds before `mal completion --install`: the completion system,
# a prompt the test waits for, and a recorder of every match compsys adds (no completion logic:
# it hands each call on to the real `compadd`).
ZSHRC = r"""autoload -Uz compinit && compinit -u
PS1='READY> '
compadd() {
  local -i i
  for (( i = 1; i <= $#; i++ )); do
    [[ ${@[i]} == -- ]] && break
    if [[ ${@[i]} == -[OAD]* ]]; then builtin compadd "$@"; return; fi
  done
  local -a found
  builtin compadd -A found "$@"
  (( $#found )) && print -rl -- $found >> "$MATCHES"
  builtin compadd "$@"
}
"""


def need(program: str) -> str:
    found = shutil.which(program)
    assert found, f"{program} is missing: run scripts/system-deps (make test does)"
    return found


def shell_env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: only this home, and a `mal` on PATH that notes every start."""
    tripwire = home / "bin" / "mal"
    if not tripwire.exists():
        tripwire.parent.mkdir(parents=True, exist_ok=True)
        tripwire.write_text('#!/bin/sh\necho "$@" >> "$HOME/mal-was-run"\n')
        tripwire.chmod(0o755)
    return {
        "HOME": str(home),
        "PATH": f"{tripwire.parent}{os.pathsep}{os.environ['PATH']}",
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        **extra,
    }


def mal(home: Path, *args: str, **env: str) -> Result:
    """`mal ARGS` as a process whose home is `home`."""
    return run_process(*args, env=shell_env(home, COLUMNS="200", **env))


def installed_home(directory: Path, shell: str) -> Path:
    home = directory / "home"
    home.mkdir()
    if shell == "zsh":
        (home / ".zshrc").write_text(ZSHRC)
    installed = mal(home, "completion", shell, "--install")
    assert installed.code == 0, installed.err
    return home


# --- driving the real shells --------------------------------------------------------------------


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def complete_bash(home: Path, line: str, *, setup: str = 'source "$HOME/.bashrc"') -> list[str]:
    """Press TAB at the end of `line`: call the function bash has registered for `mal`, with
    the variables bash sets, and read COMPREPLY."""
    words = line.split(" ")
    script = f"""{setup}
spec=$(complete -p mal) || exit 9
function=${{spec#*-F }}; function=${{function%% *}}
COMP_LINE={_quote(line)}; COMP_POINT=${{#COMP_LINE}}
COMP_WORDS=({" ".join(_quote(word) for word in words)}); COMP_CWORD={len(words) - 1}
"$function" mal {_quote(words[-1])} {_quote(words[-2])}
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    done = subprocess.run(
        [need("bash"), "--norc", "--noprofile", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env=shell_env(home),
        cwd=home / "bin",
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def complete_fish(home: Path, line: str, **env: str) -> list[str]:
    """fish's own answer to TAB at the end of `line`, with its completions loaded the usual
    way (from the completions directory of the user's configuration)."""
    fish_line = "'" + line.replace("\\", "\\\\").replace("'", "\\'") + "'"
    done = subprocess.run(
        [need("fish"), "-c", f"complete --do-complete {fish_line}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env=shell_env(home, **env),
        cwd=home / "bin",  # holds only the tripwire, which fish would offer as a file
    )
    assert done.returncode == 0, done.stderr
    offered = [row.split("\t")[0] for row in done.stdout.splitlines()]
    return [word for word in offered if word != "mal"]


def complete_zsh(home: Path, line: str) -> list[str]:
    """Type `line` and TAB into an interactive zsh on a terminal; returns the matches its
    completion system added (recorded by the `compadd` of ZSHRC)."""
    matches, done = home / "matches", home / "done"
    matches.unlink(missing_ok=True)
    done.unlink(missing_ok=True)
    leader, follower = os.openpty()
    # Room for every listing, so zsh never asks "do you wish to see all possibilities?".
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 200, 250, 0, 0))
    shell = subprocess.Popen(
        [need("zsh"), "-d", "-i"],  # -d: no /etc/zsh rc files, only the user's
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=shell_env(home, MATCHES=str(matches)),
        cwd=home / "bin",
        start_new_session=True,
    )
    os.close(follower)
    screen = b""
    try:
        deadline = time.monotonic() + 30
        # Keys typed before the line editor starts would go to the terminal's own line editing.
        while b"READY> " not in screen:
            screen += _read(leader, deadline, screen)
        # TAB, then kill the line and run a command: it runs once the completion is over.
        os.write(leader, line.encode() + b"\t\x15" + f"print > {_quote(str(done))}\r".encode())
        while not done.exists():
            screen += _read(leader, deadline, screen)
    finally:
        shell.kill()
        shell.wait()
        os.close(leader)
    return matches.read_text().split() if matches.exists() else []


def _read(fd: int, deadline: float, screen: bytes) -> bytes:
    assert time.monotonic() < deadline, f"zsh did not answer; the terminal shows {screen[-2000:]!r}"
    ready, _, _ = select.select([fd], [], [], 0.1)
    if not ready:
        return b""
    try:
        return os.read(fd, 65536)
    except OSError:  # the shell is gone
        raise AssertionError(f"zsh exited; the terminal shows {screen[-2000:]!r}") from None


DRIVERS: dict[str, Callable[[Path, str], list[str]]] = {
    "bash": complete_bash,
    "zsh": complete_zsh,
    "fish": complete_fish,
}


class Tab:
    """One shell, set up as `mal completion SHELL --install` leaves it."""

    def __init__(self, shell: str, home: Path) -> None:
        self.shell, self.home = shell, home

    def __call__(self, line: str) -> list[str]:
        offered = DRIVERS[self.shell](self.home, line)
        assert not (self.home / "mal-was-run").exists(), "a TAB press started mal"
        return offered


@pytest.fixture(scope="module", params=SHELLS)
def tab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Tab:
    shell: str = request.param
    return Tab(shell, installed_home(tmp_path_factory.mktemp(shell), shell))


# --- what TAB offers ----------------------------------------------------------------------------


def test_tab_completes_a_command_name(tab: Tab) -> None:
    assert tab("mal li") == ["list"]
    assert tab("mal list ex") == ["export"]


def test_tab_completes_an_option_name(tab: Tab) -> None:
    assert tab("mal list export --fo") == ["--format"]
    assert tab("mal list show --ma") == ["--manga"]


def test_tab_offers_the_values_of_an_option_with_fixed_choices(tab: Tab) -> None:
    assert set(tab("mal list export --format ")) == {"json", "csv", "xml"}
    assert set(tab("mal list show --status ")) == LIST_STATUSES
    assert tab("mal list show --status plan_to_r") == ["plan_to_read"]
    assert set(tab("mal completion ")) == set(SHELLS)


def test_tab_offers_the_values_of_a_positional_with_fixed_choices(tab: Tab) -> None:
    assert set(tab("mal anime season 2024 ")) == {"winter", "spring", "summer", "fall"}


def command_groups() -> Iterator[tuple[str, set[str]]]:
    """Every command that has subcommands, with their names, read from the command tree."""
    from malclient.cli.app import app

    def walk(group: Any, path: str) -> Iterator[tuple[str, set[str]]]:
        names = {name for name in group if not name.startswith("-") and group[name].show}
        if names:
            yield path, names
        for name in names:
            yield from walk(group[name], f"{path}{name} ")

    yield from walk(app, "mal ")


def test_tab_offers_exactly_the_subcommands_of_every_command_group(tab: Tab) -> None:
    groups = dict(command_groups())
    assert {"mal ", "mal auth ", "mal anime ", "mal manga ", "mal forum ", "mal list "} <= set(
        groups
    )
    assert {"show", "set", "inc", "rm", "export", "import"} <= groups["mal list "]
    for line, names in groups.items():
        assert set(tab(line)) == names, line


# --- the script follows the command tree ---------------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_the_installed_script_is_the_printed_one(tmp_path: Path, shell: str) -> None:
    home = installed_home(tmp_path, shell)
    printed = mal(home, "completion", shell)
    assert printed.code == 0, printed.err
    installed = {
        "bash": home / ".local/share/bash-completion/completions/mal",
        "zsh": home / ".zsh/completions/_cyclopts_mal",
        "fish": home / ".config/fish/completions/mal.fish",
    }[shell]
    assert installed.read_text() == printed.out
    assert "__complete" not in printed.out  # no call back into Python at TAB time


def test_a_new_subcommand_shows_up_in_the_script(tmp_path: Path) -> None:
    # The script is made from the live command tree each time, not kept: a command added
    # to the tree completes without anyone regenerating a file.
    program = (
        "from malclient.cli.app import app\n"
        "from malclient.cli.lists import lists\n"
        "@lists.command\n"
        "def zzprobe() -> None:\n"
        "    '''A command the test adds.'''\n"
        "app(['completion', 'bash'])\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=shell_env(home),
    )
    (home / "mal.bash").write_text(done.stdout)
    assert complete_bash(home, "mal list zz", setup='source "$HOME/mal.bash"') == ["zzprobe"]
    assert "zzprobe" not in mal(home, "completion", "bash").out


def test_the_printed_bash_script_completes_when_sourced(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    printed = mal(home, "completion", "bash")
    (home / "mal.bash").write_text(printed.out)
    assert complete_bash(home, "mal li", setup='source "$HOME/mal.bash"') == ["list"]


# --- which shell ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("login_shell", "opening"),
    [
        ("/bin/bash", "# Bash completion for mal"),
        ("/usr/bin/zsh", "#compdef mal"),
        ("fish", "# Fish completion for mal"),
    ],
)
def test_the_shell_defaults_to_the_one_SHELL_names(
    tmp_path: Path, login_shell: str, opening: str
) -> None:
    printed = mal(tmp_path, "completion", SHELL=login_shell)
    assert printed.code == 0, printed.err
    assert printed.out.startswith(opening)


@pytest.mark.parametrize(
    ("args", "login_shell", "named"),
    [
        ((), "/bin/tcsh", "tcsh"),
        ((), "", "$SHELL is not set"),
        (("ksh",), "/bin/bash", '"ksh"'),
    ],
)
def test_an_unknown_shell_is_a_usage_error_naming_the_supported_ones(
    tmp_path: Path, args: tuple[str, ...], login_shell: str, named: str
) -> None:
    env = {"SHELL": login_shell} if login_shell else {}
    printed = mal(tmp_path, "completion", *args, "--install", **env)
    assert printed.code == 2
    assert printed.out == ""
    assert printed.err.startswith("mal: ")
    assert printed.err.count("\n") == 1
    assert named in printed.err
    assert all(shell in printed.err for shell in SHELLS)
    assert not (tmp_path / ".bashrc").exists()


# --- installing ----------------------------------------------------------------------------------

# Not UTF-8 (a Latin-1 comment), no newline at the end: kept byte for byte all the same.
USER_BASHRC = b"# my settings, caf\xe9\nalias ll='ls -l'\n[ -f ~/.extra ] && . ~/.extra"


def test_install_for_bash_adds_one_line_once_and_keeps_the_rest(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # A dotfiles repository: ~/.bashrc is a symlink, and must stay one.
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "bashrc").write_bytes(USER_BASHRC)
    (home / ".bashrc").symlink_to(dotfiles / "bashrc")

    first = mal(home, "completion", "bash", "--install")
    assert first.code == 0, first.err
    script = home / ".local/share/bash-completion/completions/mal"
    assert script.read_text() == mal(home, "completion", "bash").out
    assert (home / ".bashrc").is_symlink()
    after = (dotfiles / "bashrc").read_bytes()
    assert after.startswith(USER_BASHRC + b"\n")  # the user's bytes, then ours
    assert after.count(str(script).encode()) == 2  # `[ -f P ] && . P`, on one line
    assert "Added a line" in first.out
    assert "new shell" in first.out

    second = mal(home, "completion", "bash", "--install")
    assert second.code == 0, second.err
    assert (dotfiles / "bashrc").read_bytes() == after
    assert "already loads it" in second.out
    assert complete_bash(home, "mal li") == ["list"]


def test_install_for_zsh_puts_fpath_before_compinit_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".zshrc").write_text(ZSHRC)

    first = mal(home, "completion", "zsh", "--install")
    assert first.code == 0, first.err
    zshrc = (home / ".zshrc").read_text()
    assert zshrc.endswith("\n" + ZSHRC)
    assert zshrc.index("fpath=(") < zshrc.index("compinit")
    assert "compinit" in first.out or "exec zsh" in first.out

    second = mal(home, "completion", "zsh", "--install")
    assert second.code == 0, second.err
    assert (home / ".zshrc").read_text() == zshrc
    assert complete_zsh(home, "mal li") == ["list"]


def test_install_for_zsh_says_when_the_completion_system_is_off(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".zshrc").write_text("PS1='%~ %# '\n")
    installed = mal(home, "completion", "zsh", "--install")
    assert installed.code == 0, installed.err
    assert "autoload -Uz compinit && compinit" in installed.out
    assert (home / ".zshrc").read_text().endswith("\nPS1='%~ %# '\n")


def test_install_for_fish_writes_where_fish_looks_and_touches_no_startup_file(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    config = tmp_path / "config"  # XDG_CONFIG_HOME, which fish reads its configuration from
    installed = mal(home, "completion", "fish", "--install", XDG_CONFIG_HOME=str(config))
    assert installed.code == 0, installed.err
    assert (config / "fish/completions/mal.fish").is_file()
    assert not (config / "fish/config.fish").exists()
    assert sorted(path.name for path in home.iterdir()) == ["bin"]  # the test's tripwire only
    assert complete_fish(home, "mal li", XDG_CONFIG_HOME=str(config)) == ["list"]


# --- choices of `mal list` -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (("list", "show", "--status", "watchin"), "plan_to_read"),
        (("list", "show", "--status", "reading"), "plan_to_watch (or add --manga)"),
        (("list", "show", "--manga", "--status", "watching"), "plan_to_read"),
        (("list", "show", "--sort", "score"), "manga_start_date"),
        (("list", "show", "--sort", "manga_title"), "anime_title"),
        (("list", "show", "--manga", "--sort", "anime_id"), "manga_id"),
        (("list", "set", "5114", "--status", "reading"), "plan_to_watch"),
        (("list", "set", "2", "--manga", "--status", "plan_to_watch"), "plan_to_read"),
    ],
)
def test_a_status_or_order_of_the_wrong_kind_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], nobody: Path, args: tuple[str, ...], allowed: str
) -> None:
    # Completion offers both lists' values; each list still takes only its own.
    result = run_mal(capsys, *args, "--config", str(nobody))
    assert result.code == 2
    assert (result.out, result.err.count("\n")) == ("", 1)
    assert result.err.startswith("mal: ")
    assert allowed in result.err
