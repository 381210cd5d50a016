"""`mal completion`: the shell completion script for bash, zsh or fish, printed or installed.

The scripts come from cyclopts' generator and are static: a TAB press runs shell code, never
Python. Installing writes the script where the shell looks for it and, for bash and zsh, adds one
marked line to the startup file (once; every other byte of the file kept).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Annotated, Literal

import cyclopts

from malclient.cli.output import run, usage

__all__ = ["SHELLS", "completion", "install_script", "script_for", "shell_from_env"]

Shell = Literal["bash", "zsh", "fish"]
SHELLS: tuple[Shell, ...] = ("bash", "zsh", "fish")

# Marks the line `--install` adds, so a reader of the startup file knows where it came from.
MARK = "# Shell completion for mal (added by `mal completion --install`)"


def completion(
    shell: Shell | None = None,
    /,
    *,
    install: Annotated[bool, cyclopts.Parameter(negative=())] = False,
) -> None:
    """Print or install the shell completion for bash, zsh or fish.

    Completes commands, options and the values of options that take one of a fixed set.
    The script is plain shell code made from this version's commands: a TAB press starts no
    Python. After upgrading malclient, install it again so new commands complete too.

    Examples

        mal completion --install
        mal completion zsh --install
        mal completion bash > ~/.local/share/bash-completion/completions/mal
        mal completion fish > ~/.config/fish/completions/mal.fish

    Parameters
    ----------
    shell
        bash, zsh or fish (default: the shell that $SHELL names).
    install
        Write the script where the shell loads completions from; for bash and zsh also add one
        line that loads it to ~/.bashrc or ~/.zshrc (once), then say what to do next.
    """

    def body() -> int:
        chosen = shell or shell_from_env()
        script = script_for(chosen)
        if install:
            for line in install_script(chosen, script):
                print(line)
        else:
            sys.stdout.write(script)
        return 0

    run(body)


def shell_from_env() -> Shell:
    """The shell `$SHELL` names (the login shell), or a usage error saying how to name one."""
    named = os.environ.get("SHELL", "")
    name = Path(named).name.lstrip("-")
    for shell in SHELLS:
        if name == shell:
            return shell
    if not name:
        raise usage(
            "Cannot tell your shell ($SHELL is not set): name bash, zsh or fish, "
            "e.g. mal completion bash."
        )
    raise usage(
        f"No completion for {name} (from $SHELL): name bash, zsh or fish, e.g. mal completion bash."
    )


def script_for(shell: Shell) -> str:
    """The completion script of the whole `mal` command tree, as cyclopts generates it."""
    from malclient.cli.app import app

    script = app.generate_completion(prog_name="mal", shell=shell)
    return script if script.endswith("\n") else script + "\n"


# --- installing ----------------------------------------------------------------------------------


def _base(variable: str, default: str) -> Path:
    # The XDG base directories, as bash-completion and fish read them: relative values are invalid.
    value = Path(os.environ.get(variable, ""))
    return value if value.is_absolute() else Path.home() / default


def _quote(path: Path) -> str:
    # bash and zsh read single-quoted words alike.
    return "'" + str(path).replace("'", "'\\''") + "'"


def install_script(shell: Shell, script: str) -> list[str]:
    """Write `script` where `shell` finds it and make the shell load it; returns what to tell."""
    if shell == "fish":
        # fish loads completions/mal.fish by itself when `mal` is first completed.
        path = _base("XDG_CONFIG_HOME", ".config") / "fish" / "completions" / "mal.fish"
        _write(path, script)
        return [
            f"Wrote the fish completion script to {path}.",
            "fish loads it in every new shell; in this one, run: source " + _quote(path),
            "Install it again after upgrading malclient, so new commands complete too.",
        ]
    if shell == "bash":
        path = _base("XDG_DATA_HOME", ".local/share") / "bash-completion" / "completions" / "mal"
        rc = Path.home() / ".bashrc"
        line = f"[ -f {_quote(path)} ] && . {_quote(path)}"
        first = False
        restart = f"source {_quote(rc)}"
    else:
        # compinit names the completion function after the file, so the file takes its name.
        found = re.search(r"^(_\w+)\(\) \{", script, re.MULTILINE)
        if found is None:  # pragma: no cover - a cyclopts change; the zsh tests would fail too
            raise RuntimeError("the zsh completion script defines no function")
        path = Path.home() / ".zsh" / "completions" / found.group(1)
        rc = Path(os.environ.get("ZDOTDIR") or Path.home()) / ".zshrc"
        line = f"fpath=({_quote(path.parent)} $fpath)"
        first = True  # fpath must hold the directory before compinit runs
        restart = "exec zsh"
    _write(path, script)
    told = [f"Wrote the {shell} completion script to {path}."]
    if _add_line(rc, line, first=first):
        told.append(f"Added a line loading it to {rc}: {line}")
    else:
        told.append(f"{rc} already loads it; left unchanged.")
    if shell == "zsh" and not _zsh_completion_on(rc):
        told.append(
            f"{rc} does not seem to start zsh's completion system; if TAB completes nothing, "
            "add this line at its end: autoload -Uz compinit && compinit"
        )
    told.append(f"Open a new shell to use it (or, in this one, run: {restart}).")
    told.append("Install it again after upgrading malclient, so new commands complete too.")
    return told


def _write(path: Path, text: str) -> None:
    from malclient._atomic import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode("utf-8"), mode=0o644)
    except OSError as exc:
        raise usage(f"Cannot write {path}: {exc.strerror or exc}.") from None


def _read(path: Path) -> str:
    try:
        # Bytes that are not UTF-8 survive the round trip untouched.
        return path.read_bytes().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise usage(f"Cannot read {path}: {exc.strerror or exc}.") from None


def _add_line(rc: Path, line: str, *, first: bool) -> bool:
    """Add `line` (with its mark) to the startup file unless it is there; False if it was."""
    from malclient._atomic import write_atomic

    target = rc.resolve()  # a symlinked dotfile (a dotfiles repository) stays a symlink
    text = _read(target)
    if any(existing.strip() == line for existing in text.splitlines()):
        return False
    block = f"{MARK}\n{line}\n"
    if first:
        text = block + ("\n" + text if text else "")
    else:
        if text and not text.endswith("\n"):
            text += "\n"
        text += ("\n" if text else "") + block
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, text.encode("utf-8", "surrogateescape"))
    except OSError as exc:
        raise usage(f"Cannot write {target}: {exc.strerror or exc}.") from None
    return True


def _zsh_completion_on(rc: Path) -> bool:
    # oh-my-zsh and most frameworks run compinit themselves; a plain .zshrc must say so.
    text = _read(rc.resolve())
    return any(word in text for word in ("compinit", "oh-my-zsh", "prezto", "zimfw", "zinit"))
