"""A read that meets a statement prepared before a migration changed a column's type answers a
clear 503 (the next try works); any other unsupported-feature error stays a 500."""

from __future__ import annotations

import psycopg
import pytest

pytest.importorskip("fastapi")

from api_helpers import READ  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from personalization.api import create_app  # noqa: E402


class Failing:
    def __init__(self, message: str):
        self.message = message

    def recommend(self, *args, **kwargs):
        raise psycopg.errors.FeatureNotSupported(self.message)


def test_a_stale_prepared_statement_is_a_503_saying_try_again(api_settings):
    client = TestClient(create_app(Failing("cached plan must not change result type"), api_settings))
    r = client.get("/users/1/recommendations", headers=READ)
    assert r.status_code == 503
    assert r.json() == {"error": "schema_changed", "message": "the database schema was just upgraded: try again"}


def test_another_unsupported_feature_stays_an_internal_error(api_settings):
    client = TestClient(create_app(Failing("something else"), api_settings), raise_server_exceptions=False)
    r = client.get("/users/1/recommendations", headers=READ)
    assert r.status_code == 500 and r.json()["error"] == "internal_error"
