"""TokenManager against a real sandbox: proactive and reactive refresh, persistence, refusals,
the early warning, and secrets kept out of every message."""

from __future__ import annotations

import logging
import time
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from malclient import (
    InvalidClient,
    ReauthorizationRequired,
    RefreshTokenDamaged,
    RefreshTokenExpired,
    RefreshTokenExpiringWarning,
    RefreshTokenRevoked,
    ServerError,
    Unauthorized,
)
from malclient.auth import Token
from malclient.config import read_settings
from malclient.sandbox.server import SandboxServer
from malclient.session import (
    ConfigTokenStore,
    MemoryTokenStore,
    Session,
    TokenManager,
)
from tokens_support import (
    ACCESS_TTL,
    advance,
    kometa_config,
    refresh_grants,
    sandbox_config,
    sandbox_settings,
    sign_in,
    stats,
    token_requests,
    web_app,
)

DAY = 86_400


@pytest.fixture
def sandbox() -> Iterator[str]:
    with SandboxServer(sandbox_config()) as running:
        yield running.url


def offset_clock(seconds: float) -> float:
    return time.time() + seconds


def revoke_alice(origin: str) -> bool:
    """As when the user removes the app on MAL's website: every token of theirs dies."""
    return httpx2.post(f"{origin}/_sandbox/users/alice/revoke").status_code == 200


def whoami(manager: TokenManager, origin: str) -> str:
    with Session(manager, api_url=f"{origin}/v2") as session:
        name = session.request("GET", "/users/@me")["name"]
    assert isinstance(name, str)
    return name


# --- staying fresh --------------------------------------------------------------------------------


def test_refreshes_before_expiry_without_a_rejected_call(sandbox: str) -> None:
    token = sign_in(sandbox)
    store = MemoryTokenStore(token)
    advance(sandbox, ACCESS_TTL - 60)  # a minute left: inside the 5-minute margin
    manager = TokenManager(web_app(sandbox), store, clock=lambda: offset_clock(ACCESS_TTL - 60))

    assert whoami(manager, sandbox) == "alice"

    assert refresh_grants(sandbox) == 1
    assert stats(sandbox)["statuses"].get("401", 0) == 0  # never sent the old token
    saved = store.load()
    assert saved is not None
    assert saved.access_token != token.access_token
    assert saved.refresh_token != token.refresh_token


def test_refreshes_once_after_a_401_and_resends(sandbox: str) -> None:
    # The local clock says the token is good; the sandbox's says it expired.
    token = sign_in(sandbox)
    manager = TokenManager(web_app(sandbox), MemoryTokenStore(token))
    advance(sandbox, ACCESS_TTL + 60)

    assert whoami(manager, sandbox) == "alice"
    assert whoami(manager, sandbox) == "alice"

    counts = stats(sandbox)
    assert counts["grants"]["refresh_token"] == 1
    assert counts["statuses"]["401"] == 1


def test_a_token_rejected_right_after_refresh_is_not_refreshed_again(sandbox: str) -> None:
    token = sign_in(sandbox)
    store = MemoryTokenStore(token)
    manager = TokenManager(web_app(sandbox), store)
    assert manager.token() is token
    # Another program signed in again and saved newer tokens; then the user removed the app.
    store.save(sign_in(sandbox))
    assert revoke_alice(sandbox)

    with pytest.raises(Unauthorized) as caught:
        whoami(manager, sandbox)  # 401, the newer saved tokens, 401 again: stop there

    assert "right after it was refreshed" in str(caught.value)
    assert "mal auth login" in str(caught.value)
    assert refresh_grants(sandbox) == 0
    assert stats(sandbox)["statuses"]["401"] == 2


def test_refreshed_tokens_are_saved_in_the_config_at_once(sandbox: str, tmp_path: Path) -> None:
    path = kometa_config(tmp_path)
    store = ConfigTokenStore(path, web_app(sandbox).client_id)
    store.save(sign_in(sandbox))
    advance(sandbox, ACCESS_TTL + 60)
    manager = TokenManager(web_app(sandbox), store, clock=lambda: offset_clock(ACCESS_TTL + 60))

    fresh = manager.token()

    saved = read_settings(path).authorization
    assert saved is not None
    assert saved.access_token == fresh.access_token
    assert saved.refresh_token == fresh.refresh_token
    assert saved.expires_in == ACCESS_TTL
    assert saved.client_id == web_app(sandbox).client_id
    assert saved.issued_at == pytest.approx(offset_clock(ACCESS_TTL + 60), abs=5)
    # And a new process (a new manager) starts from them without refreshing.
    again = TokenManager(web_app(sandbox), ConfigTokenStore(path))
    assert again.token().access_token == fresh.access_token
    assert refresh_grants(sandbox) == 1


def test_uses_tokens_another_process_saved_instead_of_refreshing_again(
    sandbox: str, tmp_path: Path
) -> None:
    # MAL may revoke a refresh token once used (SPEC 2.5): spending it twice would fail.
    sandbox_settings(sandbox, revoke_refresh_on_use=True)
    path = kometa_config(tmp_path)
    ConfigTokenStore(path).save(sign_in(sandbox))
    first = TokenManager(web_app(sandbox), ConfigTokenStore(path))
    second = TokenManager(web_app(sandbox), ConfigTokenStore(path))
    assert whoami(first, sandbox) == whoami(second, sandbox) == "alice"
    advance(sandbox, ACCESS_TTL + 60)

    assert whoami(first, sandbox) == "alice"  # refreshes and saves
    assert whoami(second, sandbox) == "alice"  # its old token gets 401: re-reads, no refresh

    assert refresh_grants(sandbox) == 1
    assert first.token().access_token == second.token().access_token


def test_forced_refresh_renews_a_valid_pair(sandbox: str) -> None:
    token = sign_in(sandbox)
    manager = TokenManager(web_app(sandbox), MemoryTokenStore(token))
    assert manager.token().access_token == token.access_token

    fresh = manager.refresh()

    assert fresh.access_token != token.access_token
    assert manager.token().access_token == fresh.access_token
    assert refresh_grants(sandbox) == 1


# --- refusals -------------------------------------------------------------------------------------


def test_an_expired_refresh_token_asks_for_a_new_sign_in_and_is_not_retried(
    sandbox: str, tmp_path: Path
) -> None:
    path = kometa_config(tmp_path)
    store = ConfigTokenStore(path, web_app(sandbox).client_id)
    store.save(sign_in(sandbox))
    before = path.read_bytes()
    requests_before = token_requests(sandbox)
    advance(sandbox, 32 * DAY)
    manager = TokenManager(web_app(sandbox), store)

    for _ in range(3):
        with pytest.raises(RefreshTokenExpired) as caught:
            whoami(manager, sandbox)
        assert isinstance(caught.value, ReauthorizationRequired)
        assert "mal auth login" in str(caught.value)

    assert token_requests(sandbox) - requests_before == 1  # one refused attempt, no loop
    assert refresh_grants(sandbox) == 0
    assert path.read_bytes() == before  # the saved tokens are untouched


def test_revoked_tokens_ask_for_a_new_sign_in(sandbox: str) -> None:
    token = sign_in(sandbox)
    store = MemoryTokenStore(token)
    manager = TokenManager(web_app(sandbox), store)
    assert revoke_alice(sandbox)

    with pytest.raises(RefreshTokenRevoked, match="mal auth login"):
        whoami(manager, sandbox)
    with pytest.raises(RefreshTokenRevoked):
        manager.refresh()

    assert store.load() is token
    assert token_requests(sandbox) == 2  # the sign-in and one refused refresh


def test_a_new_sign_in_clears_a_refusal(sandbox: str) -> None:
    store = MemoryTokenStore(sign_in(sandbox))
    manager = TokenManager(web_app(sandbox), store)
    assert revoke_alice(sandbox)
    with pytest.raises(RefreshTokenRevoked):
        whoami(manager, sandbox)

    store.save(sign_in(sandbox))  # `mal auth login`, in another process

    assert whoami(manager, sandbox) == "alice"


def test_a_failing_token_endpoint_does_not_poison_the_manager(sandbox: str) -> None:
    store = MemoryTokenStore(sign_in(sandbox))
    manager = TokenManager(web_app(sandbox), store, clock=lambda: offset_clock(ACCESS_TTL + 60))
    advance(sandbox, ACCESS_TTL + 60)
    sandbox_settings(sandbox, faults="503=1")

    with pytest.raises(ServerError, match="try again") as caught:
        manager.token()
    assert caught.value.status == 503

    sandbox_settings(sandbox, faults="")
    assert whoami(manager, sandbox) == "alice"
    assert refresh_grants(sandbox) == 1


def test_no_saved_tokens_asks_for_a_sign_in(sandbox: str, tmp_path: Path) -> None:
    path = kometa_config(tmp_path)
    manager = TokenManager(web_app(sandbox), ConfigTokenStore(path))

    with pytest.raises(ReauthorizationRequired) as caught:
        manager.token()

    assert str(path) in str(caught.value)
    assert "mal auth login" in str(caught.value)


# --- the refresh token's end of life ------------------------------------------------------------


def test_renews_early_when_the_refresh_token_nears_its_end(tmp_path: Path) -> None:
    # MAL's two tokens both live 31 days: a weekly job would find both dead in week five.
    with SandboxServer(sandbox_config(access_token_ttl=31 * DAY)) as running:
        store = MemoryTokenStore(sign_in(running.url))
        advance(running.url, 26 * DAY)
        manager = TokenManager(web_app(running.url), store, clock=lambda: offset_clock(26 * DAY))

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert whoami(manager, running.url) == "alice"

        assert refresh_grants(running.url) == 1
        renewed = store.load()
        assert renewed is not None
        assert not renewed.refresh_expired(offset_clock(26 * DAY), 7 * DAY)


def test_warns_once_when_the_refresh_token_nears_its_end_and_cannot_be_renewed() -> None:
    # The sandbox already considers the refresh token dead; the access token still works.
    config = sandbox_config(access_token_ttl=31 * DAY, refresh_token_ttl=20 * DAY)
    with SandboxServer(config) as running:
        store = MemoryTokenStore(sign_in(running.url))
        advance(running.url, 26 * DAY)
        manager = TokenManager(web_app(running.url), store, clock=lambda: offset_clock(26 * DAY))

        with pytest.warns(RefreshTokenExpiringWarning) as caught:
            names = [whoami(manager, running.url) for _ in range(3)]

        assert names == ["alice"] * 3
        assert len(caught) == 1
        text = str(caught[0].message)
        assert "mal auth login" in text
        assert "days" in text
        assert token_requests(running.url) == 2  # the sign-in and one early attempt


# --- secrets --------------------------------------------------------------------------------------


ACCESS = "KNOWN-ACCESS-TOKEN-0123456789abcdef"
REFRESH = "KNOWN-REFRESH-TOKEN-fedcba9876543210"
SECRET = "KNOWN-CLIENT-SECRET-0f1e2d3c4b5a6978"


def known_token(refresh_days_left: float) -> Token:
    now = time.time()
    return Token(
        access_token=ACCESS,
        refresh_token=REFRESH,
        expires_in=ACCESS_TTL,
        expires_at=now + ACCESS_TTL,
        issued_at=now,
        refresh_expires_at=now + refresh_days_left * DAY,
    )


def test_secrets_never_appear_in_messages_reprs_logs_or_tracebacks(
    sandbox: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    def record(error: BaseException) -> None:
        seen.extend([str(error), repr(error), *traceback.format_exception(error)])

    # A wrong client secret: the 401 leads to a refresh that MAL refuses.
    wrong_secret = web_app(sandbox, client_secret=SECRET)
    store = MemoryTokenStore(known_token(refresh_days_left=20))
    manager = TokenManager(wrong_secret, store)
    with Session(manager, api_url=f"{sandbox}/v2") as session:
        seen += [repr(store), repr(manager), repr(session), repr(store.load()), repr(wrong_secret)]
        with pytest.raises(InvalidClient) as refused:
            session.request("GET", "/users/@me")
        record(refused.value)

    # Tokens MAL never issued, whose refresh token "ends" in two days: the early renewal fails
    # with a warning, then the call's 401 finds the refresh already refused.
    manager = TokenManager(web_app(sandbox), MemoryTokenStore(known_token(refresh_days_left=2)))
    with Session(manager, api_url=f"{sandbox}/v2") as session:
        with pytest.warns(RefreshTokenExpiringWarning) as warned:
            manager.token()
        with pytest.raises(RefreshTokenDamaged) as damaged:
            session.request("GET", "/users/@me")
        record(damaged.value)
    seen += [str(warning.message) for warning in warned]

    seen.append(caplog.text)
    everything = "\n".join(seen)
    assert "mal auth login" in everything
    for secret in (ACCESS, REFRESH, SECRET):
        assert secret not in everything
