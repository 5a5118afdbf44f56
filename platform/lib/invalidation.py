"""Cache invalidation around a write that has not committed yet."""

from collections.abc import Callable

from django.db import transaction


def invalidate_now_and_at_commit(invalidate: Callable[[], object]) -> None:
    """Run ``invalidate`` now and, inside a transaction, again once it commits: a reader between
    the two still sees the rows from before the write and would otherwise cache them as current."""
    invalidate()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(invalidate)
