"""Helpers shared by tests (fixtures live in conftest.py)."""

import os

import pytest

REQUIRE_SERVICES = os.environ.get("FORGERYBENCH_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> None:
    """Skip when a real service is missing, or fail under `make test`, which provides them all."""
    if REQUIRE_SERVICES:
        pytest.fail(reason)
    pytest.skip(reason)
