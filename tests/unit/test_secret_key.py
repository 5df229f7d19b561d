"""Outside debug and testing the app refuses a public or short SECRET_KEY, and says how to fix it."""

from __future__ import annotations

import secrets

import pytest

from core.app import create_app
from core.config import DEV_SECRET_KEY, TestConfig

SQLITE = {"SQLALCHEMY_DATABASE_URI": "sqlite://"}


def production(**config):
    return {**SQLITE, "TESTING": False, "DEBUG": False, **config}


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:5000", "https://portal.example.com"])
def test_the_development_key_is_refused_whatever_the_base_url(base_url):
    with pytest.raises(RuntimeError, match="development key") as refused:
        create_app(production(SECRET_KEY=DEV_SECRET_KEY, PUBLIC_BASE_URL=base_url))
    assert "secrets.token_hex(32)" in str(refused.value), "the message says how to make a key"


@pytest.mark.parametrize("key", ["x", "a" * 31, "ü" * 15])
def test_a_key_shorter_than_32_bytes_is_refused(key):
    with pytest.raises(RuntimeError, match="at least 32"):
        create_app(production(SECRET_KEY=key))


@pytest.mark.parametrize("key", ["", None])
def test_a_missing_key_is_refused(key):
    with pytest.raises(RuntimeError):
        create_app(production(SECRET_KEY=key))


def test_a_random_key_of_32_bytes_starts():
    assert create_app(production(SECRET_KEY=secrets.token_hex(16)))  # 32 characters


def test_debug_and_tests_may_use_the_development_key():
    assert create_app({**SQLITE, "DEBUG": True, "SECRET_KEY": DEV_SECRET_KEY}).debug
    assert create_app({**SQLITE, "TESTING": True, "SECRET_KEY": TestConfig.SECRET_KEY}).testing
