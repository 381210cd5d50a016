"""The `mal` command tree. Commands import what they need when they run, so `mal --help` stays
fast and never loads the HTTP, model or web stacks."""

from __future__ import annotations

import sys
from typing import Annotated

import cyclopts

from malclient import __version__
from malclient.cli.auth import auth, doctor, scrub, whoami
from malclient.cli.completion import completion
from malclient.cli.franchises import franchises
from malclient.cli.lists import lists
from malclient.cli.lookup import anime, forum, manga
from malclient.cli.transfer import import_list
from malclient.cli.web import web


def _usage_error(error: cyclopts.CycloptsError) -> object:
    # One line, as for every other error; a mistyped command line may hold a pasted code.
    # Written here because rich wraps whatever it is given at the terminal's width.
    from rich.console import Group

    print(f"mal: {scrub(str(error))}", file=sys.stderr, flush=True)
    return Group()  # rich prints nothing more


app = cyclopts.App(
    name="mal",
    version=__version__,
    help="Sign in to MyAnimeList and use its API v2.",
    help_format="markdown",
    error_formatter=_usage_error,
)
app.command(auth)
app.command(whoami)
app.command(doctor)
app.command(web)
app.command(anime)
app.command(manga)
app.command(forum)
lists.command(import_list, name="import")
lists.command(franchises)
app.command(lists)
app.command(completion)


@app.command
def sandbox(
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    seed: int = 1,
    client_id: str | None = None,
    client_secret: str | None = None,
    public_client_id: str | None = None,
    redirect_uri: Annotated[list[str] | None, cyclopts.Parameter(negative="")] = None,
    auto_approve: str | None = None,
    access_token_ttl: int | None = None,
    refresh_token_ttl: int | None = None,
    revoke_refresh_on_use: bool = False,
    rate_limit: str | None = None,
    faults: str | None = None,
) -> None:
    """Run a local MyAnimeList (OAuth server and API v2) for development and tests.

    Prints its base URL, the registered apps and the users' passwords; stops on Ctrl-C.

    Examples

        mal sandbox
        mal sandbox --port 0 --auto-approve alice
        mal sandbox --rate-limit rate=1,burst=5,ban-after=20,ban-seconds=600
        mal sandbox --faults 503=0.1,slow=0.05,drop=0.01

    Parameters
    ----------
    host
        Interface to listen on. Keep the default loopback address unless you know you need more.
    port
        Port to listen on; 0 picks a free one.
    seed
        Seed of the synthetic catalogue; the same seed gives the same data.
    client_id
        Client id of the web app (default: the documented sandbox web app).
    client_secret
        Secret of the web app.
    public_client_id
        Client id of the public app (an app type without a secret).
    redirect_uri
        Redirect URI(s) registered for both apps (repeat the flag for several).
    auto_approve
        Approve every sign-in at once as this user, skipping the login page.
    access_token_ttl
        Lifetime of access tokens in seconds (MAL: 2678400).
    refresh_token_ttl
        Lifetime of refresh tokens in seconds (MAL: 2678400).
    revoke_refresh_on_use
        Revoke a refresh token once it has been used (MAL's guide says it stays valid).
    rate_limit
        Answer bursts with 403 like MAL: rate=R,burst=B,ban-after=N,ban-seconds=S[,html].
    faults
        Inject failures: 500/502/503/504=P, slow=P, slow-seconds=S, drop=P, truncate=P, seed=N.
    """
    import dataclasses

    from malclient.sandbox.config import PUBLIC_APP, WEB_APP, Faults, RatePolicy, SandboxConfig
    from malclient.sandbox.server import serve

    web, public = WEB_APP, PUBLIC_APP
    if client_id or client_secret:
        web = dataclasses.replace(
            web,
            client_id=client_id or web.client_id,
            client_secret=client_secret or web.client_secret,
        )
    if public_client_id:
        public = dataclasses.replace(public, client_id=public_client_id)
    if redirect_uri:
        web = dataclasses.replace(web, redirect_uris=tuple(redirect_uri))
        public = dataclasses.replace(public, redirect_uris=tuple(redirect_uri))
    if web.client_id == public.client_id:
        raise SystemExit("mal sandbox: the web and public apps need different client ids")
    try:
        config = SandboxConfig(
            seed=seed,
            apps=(web, public),
            auto_approve=auto_approve,
            revoke_refresh_on_use=revoke_refresh_on_use,
            rate_limit=RatePolicy.parse(rate_limit) if rate_limit else None,
            faults=Faults.parse(faults) if faults else Faults(),
        )
        if access_token_ttl is not None:
            config = dataclasses.replace(config, access_token_ttl=access_token_ttl)
        if refresh_token_ttl is not None:
            config = dataclasses.replace(config, refresh_token_ttl=refresh_token_ttl)
    except ValueError as exc:
        raise SystemExit(f"mal sandbox: {exc}") from None
    if auto_approve and auto_approve.lower() not in {"alice", "bob", "carol"}:
        raise SystemExit(
            "mal sandbox: --auto-approve needs a sandbox user (alice, bob or carol), "
            f"not {auto_approve!r}"
        )
    try:
        serve(config, host, port)
    except OSError as exc:
        raise SystemExit(f"mal sandbox: cannot listen on {host}:{port}: {exc.strerror}") from None
    except KeyboardInterrupt:
        pass
