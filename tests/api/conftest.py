"""An API client over the real demo database, with the two kinds of key."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")

from api_helpers import READ_KEY, WRITE_KEY, running_server  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from personalization.api import ApiSettings, create_app  # noqa: E402


@pytest.fixture
def api_settings() -> ApiSettings:
    return ApiSettings(api_key=WRITE_KEY, read_key=READ_KEY)


@pytest.fixture
def client(demo_service, api_settings):
    with TestClient(create_app(demo_service, api_settings)) as c:
        yield c


@pytest.fixture
def empty_client(service, api_settings):
    with TestClient(create_app(service, api_settings)) as c:
        yield c


@pytest.fixture
def rated(demo_service):
    """A demo user with ratings and one film they have not rated."""
    user = demo_service.users("", limit=1)[0]["id"]
    rated, seen = demo_service.history(user)
    unrated = next(f.id for f in demo_service.catalogue().films if f.id not in seen)
    return user, rated, unrated


@pytest.fixture
def server(demo_db_url, tmp_path):
    """A running `cinesync serve` over the demo database; yields its base URL."""
    with running_server(demo_db_url, tmp_path) as base:
        yield base
