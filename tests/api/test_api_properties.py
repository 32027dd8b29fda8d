"""Property-based API testing over the OpenAPI schema (Schemathesis): no generated request, with
or without credentials, makes the API answer 5xx, and without credentials no data comes back.

The app runs on a database holding a small demo world, so generated identifiers sometimes hit
real records. Schemathesis' case strategies are driven by Hypothesis directly (its lazy pytest
fixture loader does not support pytest 9 yet).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from lingqu.db.engine import unit_of_work


@pytest.fixture
def api(db_url, app_client, tmp_path_factory):
    from lingqu.auth.service import issue_api_token
    from lingqu.simulate.loading import load_world
    from lingqu.simulate.world import generate_world

    world = tmp_path_factory.mktemp("world")
    generate_world(world, seed=2, enterprises=40)
    load_world(world, db_url)
    with unit_of_work(db_url) as s:
        token = issue_api_token(s, "test-admin", "schemathesis")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app_client.app)
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) >= 15  # every API operation of the app, read from its schema
    return operations, token


def _run(operation, examples: int, headers: dict | None, check) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def probe(case):
        response = case.call(headers=headers) if headers else case.call()
        check(case, response)

    probe()


def test_no_server_error_for_any_generated_request_as_admin(api):
    operations, token = api

    def check(case, response):
        assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])

    for op in operations:
        _run(op, 12, {"Authorization": f"Bearer {token}"}, check)


def test_without_credentials_every_operation_answers_401_and_never_5xx(api):
    operations, _ = api

    def check(case, response):
        assert response.status_code == 401, (case.method, case.formatted_path, response.status_code, response.text[:300])

    for op in operations:
        _run(op, 4, None, check)
