"""Which client id, secret and servers a run uses: flags, then MAL_* variables, then the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from malclient import ConfigError
from malclient.settings import DEFAULT_API_URL, Settings

BLOCK = """\
# my Kometa config
mal:
  client_id: 0123456789abcdef0123456789abcdef
  client_secret: "file-secret"
  localhost_url:
  authorization:
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(BLOCK)
    return path


def test_the_config_file_is_the_last_resort(config: Path) -> None:
    settings = Settings.resolve(config=config, env={})
    assert settings.client_id == "0123456789abcdef0123456789abcdef"
    assert settings.client_secret == "file-secret"
    assert settings.api_url == DEFAULT_API_URL
    assert settings.auth_url == "https://myanimelist.net/v1/oauth2"


def test_environment_beats_the_file_and_flags_beat_both(config: Path) -> None:
    env = {"MAL_CLIENT_ID": "env-id", "MAL_CLIENT_SECRET": "env-secret"}
    assert Settings.resolve(config=config, env=env).client_id == "env-id"
    flagged = Settings.resolve(config=config, env=env, client_id="flag-id")
    assert flagged.client_id == "flag-id"
    assert flagged.client_secret == "env-secret"


def test_mal_config_names_the_file_when_no_flag_does(config: Path) -> None:
    settings = Settings.resolve(env={"MAL_CONFIG": str(config)})
    assert settings.config_path == config


def test_sandbox_flag_points_both_hosts_at_one_origin(config: Path) -> None:
    env = {"MAL_API_URL": "https://elsewhere.example/v2"}
    settings = Settings.resolve(config=config, sandbox="http://127.0.0.1:8765/", env=env)
    assert settings.auth_url == "http://127.0.0.1:8765/v1/oauth2"
    assert settings.api_url == "http://127.0.0.1:8765/v2"
    assert settings.app().token_url == "http://127.0.0.1:8765/v1/oauth2/token"


def test_environment_urls_are_used_without_the_sandbox_flag(config: Path) -> None:
    env = {"MAL_AUTH_URL": "http://127.0.0.1:1/v1/oauth2/", "MAL_API_URL": "http://127.0.0.1:1/v2"}
    settings = Settings.resolve(config=config, env=env)
    assert settings.auth_url == "http://127.0.0.1:1/v1/oauth2"
    assert settings.api_url == "http://127.0.0.1:1/v2"


def test_a_url_without_a_scheme_is_refused_with_an_example(config: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("https://api.myanimelist.net/v2")):
        Settings.resolve(config=config, env={"MAL_API_URL": "api.myanimelist.net/v2"})


def test_no_client_id_anywhere_explains_the_three_places(tmp_path: Path) -> None:
    settings = Settings.resolve(config=tmp_path / "missing.yml", env={})
    with pytest.raises(ConfigError, match="MAL_CLIENT_ID") as caught:
        settings.app()
    assert "--client-id" in str(caught.value)
    assert "apiconfig" in str(caught.value)


def test_repr_hides_the_secret(config: Path) -> None:
    settings = Settings.resolve(config=config, env={})
    assert "file-secret" not in repr(settings)
