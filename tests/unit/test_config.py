"""Secrets: production refuses to start without its own; every other installation makes its
own at its first start and never runs on a published constant."""

import stat
from pathlib import Path

import pytest

import config
from gridcase import create_app
from gridcase.instance import GENERATORS

# The development secrets this project once published in config.py (security review finding 1).
PUBLISHED = {
    "dev-only-secret-key-change-me",
    "ZGV2LW9ubHktZGF0YS1rZXktMzItYnl0ZXMtbG9uZyE=",
    "dev-only-lookup-key-change-me",
}


@pytest.fixture
def no_secrets_in_the_environment(monkeypatch):
    for name in config.SECRETS:
        monkeypatch.delenv(name, raising=False)


def _installation(path):
    class Installation(config.DevelopmentConfig):
        GRIDCASE_INSTANCE_PATH = str(path)
        SECRET_KEY = GRIDCASE_DATA_KEY = GRIDCASE_LOOKUP_KEY = GRIDCASE_CHAIN_KEY = None

    return Installation


def test_finding_1_make_run_serves_this_installations_own_random_secrets(
    tmp_path, no_secrets_in_the_environment
):
    first = create_app(_installation(tmp_path / "one")).config
    again = create_app(_installation(tmp_path / "one")).config
    other = create_app(_installation(tmp_path / "two")).config
    for name in GENERATORS:
        assert first[name] and first[name] not in PUBLISHED
        assert again[name] == first[name]  # kept: sessions and encrypted data survive a restart
        assert other[name] != first[name]  # each installation its own
    secrets_file = tmp_path / "one" / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(secrets_file.parent.stat().st_mode) == 0o700


def test_finding_1_no_configuration_carries_a_published_secret():
    source = Path(config.__file__).read_text(encoding="utf-8")
    for secret in config.SECRETS:  # read from the environment, with no default to fall back on
        assert f'{secret} = _env("{secret}")\n' in source, secret
    assert not PUBLISHED & set(source.split('"'))


def test_an_environment_secret_wins_over_the_installations(tmp_path, monkeypatch):
    Installation = _installation(tmp_path)
    Installation.SECRET_KEY = "from-the-environment"
    assert create_app(Installation).config["SECRET_KEY"] == "from-the-environment"


def test_production_refuses_to_start_without_its_secrets(no_secrets_in_the_environment):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config.ProductionConfig)


def test_production_starts_with_real_secrets(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://gridcase@db.example/gridcase")

    class Real(config.ProductionConfig):
        SECRET_KEY = "a-real-secret"
        GRIDCASE_DATA_KEY = "cmVhbC1kYXRhLWtleS0zMi1ieXRlcy1sb25nLW9rISE="
        GRIDCASE_LOOKUP_KEY = "a-real-lookup-key"
        GRIDCASE_CHAIN_KEY = "a-real-chain-key"

    app = create_app(Real)
    assert app.config["SECRET_KEY"] == "a-real-secret"


def test_database_urls_use_psycopg():
    assert config.normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_test_database_is_separate(monkeypatch):
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@h:5432/city?sslmode=require")
    assert config.test_database_url() == "postgresql+psycopg://u:p@h:5432/city_test?sslmode=require"
