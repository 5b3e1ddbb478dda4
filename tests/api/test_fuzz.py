"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis): whatever is
sent, the answer is never a 5xx, and a refused request leaves the database as it was.

Short by default (a few examples per route, for `make test`); CINESYNC_FUZZ_EXAMPLES=200 for a
longer run.
"""

from __future__ import annotations

import os

import pytest

schemathesis = pytest.importorskip("schemathesis")

from api_helpers import WRITE, counts  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402

from personalization.api import create_app  # noqa: E402

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("CINESYNC_FUZZ_EXAMPLES", "12"))


def operations():
    """Each route of the schema with both positive and negative (invalid) input."""
    from fastapi import FastAPI

    from personalization.api import ApiSettings

    app: FastAPI = create_app(None, ApiSettings(api_key="schema-only-key"))  # the schema needs no service
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [r.ok() for r in schema.get_all_operations()]


# schemathesis's own pytest plugin does not load under this pytest: its strategies are driven with
# hypothesis directly, every operation with valid and with invalid input, over one demo database.
@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_no_5xx_and_no_partial_writes(mode, demo_service, api_settings):
    from schemathesis import GenerationMode
    from starlette.testclient import TestClient

    client = TestClient(create_app(demo_service, api_settings), raise_server_exceptions=False)
    for operation in operations():
        fuzz(operation, operation.as_strategy(generation_mode=GenerationMode(mode)), client, demo_service)


def fuzz(operation, strategy, client, demo_service) -> None:
    allowed = 499

    @settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=strategy)
    def check(case):
        before = counts(demo_service)
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=WRITE)
        response = client.request(
            **{
                k: v
                for k, v in kwargs.items()
                if k in ("method", "url", "headers", "params", "json", "content", "data", "cookies")
            }
        )
        assert response.status_code <= allowed, (
            f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text}"
        )
        if response.status_code >= 400:
            assert counts(demo_service) == before, f"{case.method} {case.formatted_path} was refused but wrote"

    try:
        check()
    except Unsatisfiable:  # negative mode on a route with no input to get wrong (e.g. /healthz)
        pass
