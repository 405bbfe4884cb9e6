"""Production refuses to start with development secrets."""

import pytest

import config
from gridcase import create_app


def test_production_refuses_default_secrets():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config.ProductionConfig)


def test_production_starts_with_real_secrets(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://gridcase@db.example/gridcase")

    class Real(config.ProductionConfig):
        SECRET_KEY = "a-real-secret"
        GRIDCASE_DATA_KEY = "cmVhbC1kYXRhLWtleS0zMi1ieXRlcy1sb25nLW9rISE="
        GRIDCASE_LOOKUP_KEY = "a-real-lookup-key"

    app = create_app(Real)
    assert app.config["SECRET_KEY"] == "a-real-secret"


def test_database_urls_use_psycopg():
    assert config.normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_test_database_is_separate(monkeypatch):
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@h:5432/city?sslmode=require")
    assert config.test_database_url() == "postgresql+psycopg://u:p@h:5432/city_test?sslmode=require"
