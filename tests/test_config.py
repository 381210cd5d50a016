"""The Kometa `mal:` block: reading it, and writing it back without disturbing the user's file."""

from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from malclient._exceptions import MALError
from malclient.config import (
    ConfigError,
    ConfigFileError,
    MalSettings,
    StoredTokens,
    clear_pending,
    default_config_path,
    load_pending,
    locked,
    read_settings,
    resolve_config_path,
    save_pending,
    write_authorization,
    write_settings,
)

# A config the way Kometa users keep it: many sections, comments everywhere, anchors and
# aliases, quoted and unquoted values, and the `mal:` block in the middle (written for these
# tests, in the shape of Kometa's template).
KOMETA_CONFIG = """\
## Kometa configuration -- see the wiki for every attribute.
## Keep a copy of this file before you upgrade!

libraries:                                  # one entry per Plex library
  Movies:                                   # must match the library name in Plex
    collection_files:
      - default: basic                      # a defaults file
      - default: imdb
      - file: config/Movies.yml             # my own collections
    overlay_files:
      - default: ribbon
    operations:
      mass_critic_rating_update: mdb_tomatoes
  TV Shows:
    collection_files:
      - default: basic
    template_variables: &tv_vars             # shared with Anime below
      use_separator: false
      sep_style: "gray"
  Anime:
    collection_files:
      - default: anilist
      - default: myanimelist                # needs the mal: block below
    template_variables: *tv_vars
playlist_files:
  - default: playlist
    template_variables:
      libraries: "Movies, TV Shows"

settings:
  cache: true
  cache_expiration: 60
  asset_directory: config/assets
  asset_folders: true
  run_order:
    - operations
    - metadata
    - collections
    - overlays
  sync_mode: append
  minimum_items: 1
  delete_below_minimum: true
  missing_only_released: false
  item_refresh_delay: 0
  playlist_sync_to_users: all
  custom_repo: 'https://example.invalid/kometa-configs'   # single-quoted on purpose

webhooks:                                   # Can be individually specified per library as well
  error:
  version:
  run_start:
  run_end:
  changes:

plex:                                       # Can be individually specified per library as well
  url: http://192.168.1.12:32400
  token: "plexT0ken-XYZ"                    # keep this secret
  timeout: 60
  clean_bundles: false
  empty_trash: false
  optimize: false

tmdb:
  apikey: 0123456789abcdef0123456789abcdef
  language: en
  region:
  cache_expiration: 60

# ---------------------------------------------------------------------------
# MyAnimeList: create an app at https://myanimelist.net/apiconfig (type: web)
# ---------------------------------------------------------------------------
mal:
  client_id: 0f1e2d3c4b5a69788796a5b4c3d2e1f0   # from the app page
  client_secret: "5c1d3e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"
  localhost_url:                            # paste http://localhost/?code=... here
  cache_expiration: 60
  authorization:
    # everything below is filled in by the sign-in
    access_token:
    token_type:
    expires_in:
    refresh_token:

anidb:                                      # only needed for mature content
  username: my_anidb_user
  password: 'hunter2: but longer'
  language: en
  cache_expiration: 60

trakt:
  client_id: 7f3a1b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8
  client_secret: 0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b
  pin:
  authorization:
    access_token: trakt-access-0123
    token_type: Bearer
    expires_in: 7889238
    refresh_token: trakt-refresh-4567
    scope: public
    created_at: 1700000000

radarr:                                     # Can be individually specified per library as well
  url: http://192.168.1.12:7878
  token: ################################
  root_folder_path: "S:/Movies"
  monitor: true
  availability: announced
  quality_profile: HD-1080p
  tag:
  search: false
"""

ACCESS_1 = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + "a" * 600 + ".sig-one_-"
REFRESH_1 = "def50200" + "f" * 900
ACCESS_2 = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + "b" * 600 + ".sig-two_-"
REFRESH_2 = "def50200" + "e" * 900


def tokens(
    access: str, refresh: str, *, expires_in: int = 2678400, **extra: object
) -> StoredTokens:
    return StoredTokens(
        access_token=access,
        refresh_token=refresh,
        token_type="Bearer",
        expires_in=expires_in,
        **extra,  # type: ignore[arg-type]
    )


def kometa_reads(path: Path) -> dict[str, Any]:
    """The `mal:` block as Kometa sees it: ruamel's round-trip loader, plain dicts."""
    data = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    return dict(data["mal"].items())


def outside_authorization(text: str) -> tuple[list[str], list[str]]:
    """The lines before and after `mal.authorization` (with their line endings)."""
    lines = text.splitlines(keepends=True)
    start = next(
        i
        for i, line in enumerate(lines)
        if line.startswith("  authorization:") and _in_mal(lines, i)
    )
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith("    ")):
        end += 1
    # Blank lines right after the block separate it from the next section: they are outside.
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return lines[:start], lines[end:]


def _in_mal(lines: list[str], index: int) -> bool:
    for line in reversed(lines[:index]):
        if line[:1] not in (" ", "#", "\n", "\r", ""):
            return line.startswith("mal:")
    return False


@pytest.fixture
def kometa(tmp_path: Path) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(KOMETA_CONFIG, encoding="utf-8")
    return path


# --- reading -----------------------------------------------------------------------------------


def test_reads_kometa_block_with_empty_authorization(kometa: Path) -> None:
    settings = read_settings(kometa)
    assert settings.client_id == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert settings.client_secret is not None
    assert settings.client_secret.startswith("5c1d")
    assert settings.localhost_url is None
    assert settings.authorization is None
    assert settings.has_block


def test_missing_file_or_block_reads_as_empty_settings(tmp_path: Path) -> None:
    missing = read_settings(tmp_path / "nope.yml")
    assert missing == MalSettings(path=missing.path)
    other = tmp_path / "other.yml"
    other.write_text("plex:\n  url: http://x\n", encoding="utf-8")
    assert read_settings(other).has_block is False


def test_numeric_looking_client_id_is_read_as_written(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("mal:\n  client_id: 1234567890123456e10\n  client_secret: 0x1f\n")
    settings = read_settings(path)
    assert (settings.client_id, settings.client_secret) == ("1234567890123456e10", "0x1f")


def test_block_that_is_not_a_mapping_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("plex:\n  url: x\nmal:\n  - client_id\n")
    with pytest.raises(ConfigFileError, match=r"`mal` \(line 3\) must be a mapping") as caught:
        read_settings(path)
    assert caught.value.line == 3


def test_duplicate_key_in_the_block_is_named_with_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("mal:\n  client_id: a\n  client_secret: b\n  client_id: c\n")
    with pytest.raises(ConfigError, match=r"`mal.client_id` appears twice \(lines 2 and 4\)"):
        read_settings(path)


# --- the round trip of the acceptance criteria ------------------------------------------------


def test_login_refresh_logout_change_nothing_outside_the_authorization_block(kometa: Path) -> None:
    before, after = outside_authorization(KOMETA_CONFIG)

    write_authorization(kometa, tokens(ACCESS_1, REFRESH_1))  # login
    text = kometa.read_text(encoding="utf-8")
    assert outside_authorization(text) == (before, after)
    assert kometa_reads(kometa)["authorization"] == {
        "access_token": ACCESS_1,
        "token_type": "Bearer",
        "expires_in": 2678400,
        "refresh_token": REFRESH_1,
    }

    write_authorization(kometa, tokens(ACCESS_2, REFRESH_2, expires_in=2678399))  # refresh
    text = kometa.read_text(encoding="utf-8")
    assert outside_authorization(text) == (before, after)
    assert read_settings(kometa).authorization == tokens(ACCESS_2, REFRESH_2, expires_in=2678399)

    write_authorization(kometa, None)  # logout
    text = kometa.read_text(encoding="utf-8")
    assert outside_authorization(text) == (before, after)
    assert read_settings(kometa).authorization is None
    # Signing out leaves the template's empty keys, so the file is exactly as it started.
    assert text == KOMETA_CONFIG


def test_saved_authorization_has_exactly_kometas_four_keys_in_its_order(kometa: Path) -> None:
    write_authorization(kometa, tokens(ACCESS_1, REFRESH_1, issued_at=1700000000.5, client_id="x"))
    authorization = kometa_reads(kometa)["authorization"]
    assert list(authorization) == ["access_token", "token_type", "expires_in", "refresh_token"]
    assert type(authorization["expires_in"]) is int


def test_comment_inside_authorization_block_survives(kometa: Path) -> None:
    write_authorization(kometa, tokens(ACCESS_1, REFRESH_1))
    assert "    # everything below is filled in by the sign-in\n" in kometa.read_text()


def test_changing_client_settings_touches_only_those_lines(kometa: Path) -> None:
    write_settings(
        kometa,
        client_id="ffffffffffffffffffffffffffffffff",
        localhost_url="http://localhost/?code=abc",
    )
    old = KOMETA_CONFIG.splitlines()
    new = kometa.read_text().splitlines()
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    assert changed == [
        (
            "  client_id: 0f1e2d3c4b5a69788796a5b4c3d2e1f0   # from the app page",
            "  client_id: ffffffffffffffffffffffffffffffff   # from the app page",
        ),
        (
            "  localhost_url:                            # paste http://localhost/?code=... here",
            "  localhost_url: http://localhost/?code=abc                            # paste "
            "http://localhost/?code=... here",
        ),
    ]


def test_quoted_value_keeps_its_quotes_when_replaced(kometa: Path) -> None:
    write_settings(kometa, client_secret="new-secret")
    assert '  client_secret: "new-secret"\n' in kometa.read_text()


@pytest.mark.parametrize(
    "value",
    [
        "with: colon",
        "ends with colon:",
        "has #hash",
        "#starts-with-hash",
        "@at-sign",
        "*star",
        "&ampersand",
        "!bang",
        "'single' quotes",
        '"double" quotes',
        "1234",
        "yes",
        "null",
        "~",
        "- dash",
        " leading space",
        "trailing space ",
        "tab\there",
        "ünïcödé",
        "x" * 5000,
        "eyJ." + "A-_" * 400 + ".Zz",
    ],
)
def test_values_that_need_quoting_round_trip_exactly(kometa: Path, value: str) -> None:
    write_settings(kometa, client_secret=value, authorization=tokens(value, value))
    settings = read_settings(kometa)
    assert settings.client_secret == value
    assert settings.authorization == tokens(value, value)
    # ... and Kometa's own loader reads the same strings.
    block = kometa_reads(kometa)
    assert block["client_secret"] == value
    assert block["authorization"]["access_token"] == value


# --- layouts ------------------------------------------------------------------------------------


def test_missing_block_is_appended_after_a_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    original = "plex:  # server\n  url: http://x\n  token: abc\n"
    path.write_text(original)
    write_settings(path, client_id="cid", authorization=tokens("acc", "ref"))
    assert path.read_text() == original + (
        "\nmal:\n  client_id: cid\n  client_secret:\n  localhost_url:\n  authorization:\n"
        "    access_token: acc\n    token_type: Bearer\n    expires_in: 2678400\n"
        "    refresh_token: ref\n"
    )


def test_block_appended_to_file_without_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("plex:\n  url: http://x")
    write_settings(path, client_id="cid")
    assert path.read_text().startswith("plex:\n  url: http://x\n\nmal:\n  client_id: cid\n")


def test_value_on_last_line_without_newline_stays_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("mal:\n  client_id: old")
    write_settings(path, client_id="new")
    assert path.read_bytes() == b"mal:\n  client_id: new"


def test_empty_block_gets_kometas_template_keys(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("mal:   # MyAnimeList\nanidb:\n  language: en\n")
    write_settings(path, client_id="cid")
    assert path.read_text() == (
        "mal:   # MyAnimeList\n  client_id: cid\n  client_secret:\n  localhost_url:\n"
        "  authorization:\nanidb:\n  language: en\n"
    )


def test_null_authorization_becomes_a_block_in_the_files_indentation(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("mal:\n    client_id: cid\n    authorization: ~   # filled by sign-in\nz: 1\n")
    write_authorization(path, tokens("acc", "ref"))
    assert path.read_text() == (
        "mal:\n    client_id: cid\n    authorization:   # filled by sign-in\n"
        "        access_token: acc\n        token_type: Bearer\n        expires_in: 2678400\n"
        "        refresh_token: ref\nz: 1\n"
    )


def test_new_block_follows_a_four_space_file(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("plex:\n    url: http://x\ntmdb:\n    apikey: k\n")
    write_authorization(path, tokens("acc", "ref"))
    assert "\nmal:\n    client_id:\n" in path.read_text()
    assert "\n    authorization:\n        access_token: acc\n" in path.read_text()


def test_missing_authorization_is_added_at_the_end_of_the_block(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("mal:\n  client_id: cid   # mine\n  client_secret: s\n# trailing note\nz: 1\n")
    write_authorization(path, tokens("acc", "ref"))
    assert path.read_text() == (
        "mal:\n  client_id: cid   # mine\n  client_secret: s\n  authorization:\n"
        "    access_token: acc\n    token_type: Bearer\n    expires_in: 2678400\n"
        "    refresh_token: ref\n# trailing note\nz: 1\n"
    )


def test_values_follow_kometas_placeholder_comments(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("mal:\n  client_id: ################\n  client_secret: ################\n")
    write_settings(path, client_id="cid", client_secret="#not-a-comment")
    assert path.read_text() == (
        "mal:\n  client_id: cid ################\n"
        "  client_secret: '#not-a-comment' ################\n"
    )
    assert kometa_reads(path) == {"client_id": "cid", "client_secret": "#not-a-comment"}


def test_unknown_keys_in_the_authorization_block_are_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("mal:\n  authorization:\n    access_token: a\n    note: mine\n")
    write_authorization(path, tokens("b", "r"))
    assert path.read_text() == (
        "mal:\n  authorization:\n    access_token: b\n    token_type: Bearer\n"
        "    expires_in: 2678400\n    refresh_token: r\n    note: mine\n"
    )
    write_authorization(path, None)
    assert path.read_text() == (
        "mal:\n  authorization:\n    access_token:\n    token_type:\n    expires_in:\n"
        "    refresh_token:\n    note: mine\n"
    )


def test_quoted_expires_in_is_still_a_number_of_seconds(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("mal:\n  authorization:\n    access_token: a\n    expires_in: '3600'\n")
    stored = read_settings(path).authorization
    assert stored is not None
    assert (stored.expires_in, stored.refresh_token, stored.token_type) == (3600, None, "Bearer")


def test_keys_in_any_order_are_updated_in_place(tmp_path: Path) -> None:
    original = (
        "mal:\n  authorization:\n    refresh_token: old-r\n    expires_in: 1\n"
        "    access_token: old-a\n    token_type: Bearer\n  client_secret: s\n  client_id: c\n"
    )
    path = tmp_path / "config.yml"
    path.write_text(original)
    write_authorization(path, tokens("new-a", "new-r"))
    assert path.read_text() == original.replace("old-r", "new-r").replace(
        "expires_in: 1", "expires_in: 2678400"
    ).replace("old-a", "new-a")


def test_missing_key_is_inserted_where_kometa_has_it(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("mal:\n  client_id: c\n  authorization:\n    access_token: a\n")
    write_settings(path, client_secret="s", localhost_url="http://localhost/")
    assert path.read_text() == (
        "mal:\n  client_id: c\n  client_secret: s\n  localhost_url: http://localhost/\n"
        "  authorization:\n    access_token: a\n"
    )


def test_flow_style_block_is_rewritten_in_block_style(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text(
        "plex: {url: x}\nmal: {client_id: abc, client_secret: 's e', cache_expiration: 60}  # hi\n"
    )
    write_authorization(path, tokens("acc", "ref"))
    assert path.read_text() == (
        "plex: {url: x}\nmal:  # hi\n  client_id: abc\n  client_secret: 's e'\n"
        "  cache_expiration: 60\n  authorization:\n    access_token: acc\n"
        "    token_type: Bearer\n    expires_in: 2678400\n    refresh_token: ref\n"
    )


def test_crlf_file_stays_crlf(tmp_path: Path) -> None:
    crlf = KOMETA_CONFIG.replace("\n", "\r\n")
    path = tmp_path / "config.yml"
    path.write_bytes(crlf.encode())
    write_authorization(path, tokens(ACCESS_1, REFRESH_1))
    data = path.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") == crlf.count("\r\n")
    before, after = outside_authorization(crlf)
    assert outside_authorization(data.decode()) == (before, after)
    write_authorization(path, None)
    assert path.read_bytes() == crlf.encode()


def test_crlf_file_gets_crlf_in_a_new_block(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_bytes(b"plex:\r\n  url: x\r\n")
    write_settings(path, client_id="c")
    assert path.read_bytes() == (
        b"plex:\r\n  url: x\r\n\r\nmal:\r\n  client_id: c\r\n  client_secret:\r\n"
        b"  localhost_url:\r\n  authorization:\r\n"
    )


def test_byte_order_mark_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_bytes(b"\xef\xbb\xbfmal:\n  client_id: old\n")
    write_settings(path, client_id="new")
    assert path.read_bytes() == b"\xef\xbb\xbfmal:\n  client_id: new\n"


def test_anchors_and_aliases_elsewhere_survive(kometa: Path) -> None:
    write_authorization(kometa, tokens("acc", "ref"))
    data = YAML(typ="rt").load(kometa.read_text())
    assert data["libraries"]["Anime"]["template_variables"] == {
        "use_separator": False,
        "sep_style": "gray",
    }


def test_alias_in_the_block_is_refused_not_broken(tmp_path: Path) -> None:
    original = "ids:\n  mine: &id abc\nmal:\n  client_id: *id\n"
    path = tmp_path / "config.yml"
    path.write_text(original)
    with pytest.raises(ConfigError, match=r"`mal.client_id` \(line 4\) is an alias"):
        write_settings(path, client_id="other")
    assert path.read_text() == original
    assert read_settings(path).client_id == "abc"


def test_edit_that_would_change_another_section_is_refused(tmp_path: Path) -> None:
    # `backup` is an alias of the whole block: editing `mal:` would silently edit it too.
    original = "mal: &m\n  client_id: c\nbackup: *m\n"
    path = tmp_path / "config.yml"
    path.write_text(original)
    with pytest.raises(ConfigError, match="without changing other parts of the file"):
        write_authorization(path, tokens("acc", "ref"))
    assert path.read_text() == original


def test_nothing_is_written_when_nothing_changes(kometa: Path) -> None:
    os.utime(kometa, (1_000_000, 1_000_000))
    write_authorization(kometa, None)  # already signed out
    write_settings(kometa, client_id="0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    assert kometa.stat().st_mtime == 1_000_000


# --- files --------------------------------------------------------------------------------------


def test_new_config_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.yml"
    write_authorization(path, tokens("acc", "ref"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_settings(path).authorization == tokens("acc", "ref")


def test_existing_file_keeps_its_mode_and_reports_exposure(kometa: Path) -> None:
    kometa.chmod(0o644)
    settings = write_authorization(kometa, tokens("acc", "ref"))
    assert stat.S_IMODE(kometa.stat().st_mode) == 0o644
    assert settings.secrets_readable_by_others
    kometa.chmod(0o600)
    assert not read_settings(kometa).secrets_readable_by_others


def test_symlinked_config_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "data" / "config.yml"
    real.parent.mkdir()
    real.write_text("mal:\n  client_id: c\n")
    link = tmp_path / "config.yml"
    link.symlink_to(real)
    write_authorization(link, tokens("acc", "ref"))
    assert link.is_symlink()
    assert read_settings(real).authorization == tokens("acc", "ref")


def test_unparsable_config_is_never_overwritten_and_error_hides_secrets(tmp_path: Path) -> None:
    secret = "SuperSecretToken1234567890"
    original = f'plex:\n  url: x\nmal:\n  client_id: c\n  client_secret: "{secret}\n  bad: [\n'
    path = tmp_path / "config.yml"
    path.write_text(original)
    with pytest.raises(ConfigFileError) as caught:
        write_authorization(path, tokens("acc", "ref"))
    assert path.read_text() == original
    message = str(caught.value)
    assert secret not in message
    assert "not valid YAML" in message
    assert "line" in message
    assert caught.value.line is not None
    with pytest.raises(ConfigError):
        read_settings(path)


def test_unquoted_secret_starting_with_star_is_explained_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("mal:\n  client_id: c\n  client_secret: *s3cr3tValueThatIsLong\n")
    with pytest.raises(ConfigError, match=r"line 3, column 18: found undefined alias") as caught:
        read_settings(path)
    assert "must be put in quotes" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


def test_parse_error_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("plex:\n  url: x\n  token: a: b\n")
    with pytest.raises(ConfigFileError, match=r"line 3, column 11") as caught:
        read_settings(path)
    assert (caught.value.line, caught.value.column) == (3, 11)


def test_non_utf8_config_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_bytes(b"plex:\n  url: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(line 2\)"):
        write_settings(path, client_id="c")
    assert path.read_bytes() == b"plex:\n  url: caf\xe9\n"


# --- the sidecar ---------------------------------------------------------------------------------


def test_issue_time_and_client_survive_outside_the_block(kometa: Path) -> None:
    write_authorization(kometa, tokens("acc", "ref", issued_at=1700000000.25, client_id="cid"))
    stored = read_settings(kometa).authorization
    assert stored is not None
    assert (stored.issued_at, stored.client_id) == (1700000000.25, "cid")
    sidecar = kometa.with_name("config.yml.malclient")
    assert stat.S_IMODE(sidecar.stat().st_mode) == 0o600
    assert "acc" not in sidecar.read_text()


def test_sidecar_facts_are_ignored_once_someone_else_replaced_the_tokens(kometa: Path) -> None:
    write_authorization(kometa, tokens("acc", "ref", issued_at=1700000000.0, client_id="cid"))
    # Kometa refreshes and saves with its own ruamel round trip, not knowing about the sidecar.
    yaml = YAML(typ="rt")
    data = yaml.load(kometa.read_text())
    data["mal"]["authorization"]["access_token"] = "kometa-acc"
    with kometa.open("w") as out:
        yaml.dump(data, out)
    stored = read_settings(kometa).authorization
    assert stored is not None
    assert stored.access_token == "kometa-acc"
    assert (stored.issued_at, stored.client_id) == (None, None)


def test_logout_forgets_sidecar_facts(kometa: Path) -> None:
    write_authorization(kometa, tokens("acc", "ref", issued_at=1.0, client_id="cid"))
    write_authorization(kometa, None)
    assert not kometa.with_name("config.yml.malclient").exists()


SIGN_IN = {
    "client_id": "cid",
    "verifier": "v" * 128,
    "state": None,
    "redirect_uri": "http://localhost:8765/callback",
    "created_at": 1400.0,
}


def test_pending_sign_in_is_kept_until_it_expires_or_is_cleared(kometa: Path) -> None:
    save_pending(kometa, SIGN_IN, expires_at=2000.0)
    assert load_pending(kometa, now=1999.0) == SIGN_IN
    assert load_pending(kometa, now=2000.0) is None
    sidecar = kometa.with_name("config.yml.malclient")
    assert stat.S_IMODE(sidecar.stat().st_mode) == 0o600
    clear_pending(kometa)
    assert load_pending(kometa, now=0.0) is None
    assert not sidecar.exists()
    assert kometa.read_text() == KOMETA_CONFIG


def test_a_new_pending_sign_in_replaces_the_old_one(kometa: Path) -> None:
    save_pending(kometa, SIGN_IN, expires_at=2000.0)
    save_pending(kometa, SIGN_IN | {"verifier": "w" * 43}, expires_at=3000.0)
    assert load_pending(kometa, now=2500.0) == SIGN_IN | {"verifier": "w" * 43}


def test_a_record_that_cannot_be_stored_is_refused_before_writing(kometa: Path) -> None:
    with pytest.raises(TypeError):
        save_pending(kometa, {"created_at": object()}, expires_at=2000.0)
    assert not kometa.with_name("config.yml.malclient").exists()


def test_pending_sign_in_and_token_facts_live_side_by_side(kometa: Path) -> None:
    save_pending(kometa, SIGN_IN, expires_at=9e9)
    write_authorization(kometa, tokens("acc", "ref", issued_at=5.0))
    assert load_pending(kometa) == SIGN_IN
    clear_pending(kometa)
    stored = read_settings(kometa).authorization
    assert stored is not None
    assert stored.issued_at == 5.0


# --- paths, locks, repr -------------------------------------------------------------------------


def test_config_path_precedence_is_flag_then_env_then_default(tmp_path: Path) -> None:
    env = {"MAL_CONFIG": str(tmp_path / "env.yml")}
    assert resolve_config_path(str(tmp_path / "flag.yml"), env) == tmp_path / "flag.yml"
    assert resolve_config_path(None, env) == tmp_path / "env.yml"
    assert resolve_config_path(None, {"MAL_CONFIG": ""}) == default_config_path()
    assert resolve_config_path(None, {}) == default_config_path()
    assert resolve_config_path("~/k.yml", {}) == Path.home() / "k.yml"


def test_default_config_lives_in_the_users_config_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    path = default_config_path()
    assert (path.parent.name, path.name) == ("malclient", "config.yml")
    if sys.platform.startswith("linux"):  # the XDG rule; macOS and Windows have their own
        assert path == tmp_path / "malclient" / "config.yml"


def test_lock_is_reentrant_around_a_write(kometa: Path) -> None:
    with locked(kometa), locked(kometa):
        write_authorization(kometa, tokens("acc", "ref"))
    assert stat.S_IMODE(kometa.with_name("config.yml.malclient.lock").stat().st_mode) == 0o600


def test_errors_inside_the_locked_block_pass_through_unchanged(kometa: Path) -> None:
    with pytest.raises(TimeoutError, match="the network timed out"), locked(kometa):
        raise TimeoutError("the network timed out")
    with locked(kometa, timeout=0.1):  # and the lock was released
        pass


def test_config_errors_are_malclient_errors(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("mal: [\n")
    with pytest.raises(MALError) as caught:
        read_settings(path)
    assert isinstance(caught.value, ConfigError)
    assert isinstance(caught.value, ConfigFileError)
    assert caught.value.path == path


def test_repr_never_shows_secrets(kometa: Path) -> None:
    write_settings(
        kometa,
        localhost_url="http://localhost/?code=CODE-SECRET",
        authorization=tokens("ACCESS-SECRET", "REFRESH-SECRET"),
    )
    shown = repr(read_settings(kometa)) + str(read_settings(kometa))
    for secret in (
        "CODE-SECRET",
        "ACCESS-SECRET",
        "REFRESH-SECRET",
        "5c1d3e9f",
    ):
        assert secret not in shown
    assert "0f1e2d3c4b5a69788796a5b4c3d2e1f0" in shown  # the client id is not a secret


def test_the_last_redirect_uri_is_kept_apart_from_pending_sign_ins(tmp_path: Path) -> None:
    from malclient.config import (
        clear_pending,
        remember_redirect_uri,
        remembered_redirect_uri,
        save_pending,
    )

    path = tmp_path / "config.yml"
    assert remembered_redirect_uri(path) is None
    remember_redirect_uri(path, "http://127.0.0.1:8000/callback")
    save_pending(path, {"verifier": "v" * 43}, expires_at=time.time() + 600)
    clear_pending(path)
    assert remembered_redirect_uri(path) == "http://127.0.0.1:8000/callback"
    remember_redirect_uri(path, None)
    assert remembered_redirect_uri(path) is None
