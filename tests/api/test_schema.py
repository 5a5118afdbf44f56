"""schemathesis generates requests from the published schema: the API never answers 5xx.

Each operation gets its own Hypothesis run (schemathesis' pytest loader predates pytest 9,
so the strategies are driven directly).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

pytestmark = [pytest.mark.django_db(transaction=True)]

EXAMPLES = 25


def test_no_generated_request_gets_a_server_error(live_server, people, smoke_track, token_for):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    headers = {"Authorization": f"Bearer {token_for(people.owner)}"}
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(
                base_url=live_server.url, headers=headers, checks=[not_a_server_error]
            )

        check()
