"""Shared ranks for a leaderboard: neighbours whose difference is not significant share a rank.

The paired bootstrap (evaluator.ranking) compares each entry with the one above on the same
resamples of the same split. It needs each entry's per-unit table (saved by the score step);
an entry without one (scored before tables were kept) gets a plain positional rank.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from evaluator.metrics import load_table
from evaluator.ranking import shared_ranks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SharedRank:
    rank: int
    shares_with_above: bool


def shared_ranks_for_entries(
    *, entries: list[tuple[int, Path]], metric: str
) -> dict[int, SharedRank] | None:
    """Ranks keyed by submission id, from `(submission_id, unit table path)` in board order.

    Returns None when a table is missing or the tables do not pair (then callers fall back to
    ranks by value alone); the reason is logged.
    """
    tables = []
    for submission_id, path in entries:
        if not path.is_file():
            logger.warning("no unit table for submission %s at %s", submission_id, path)
            return None
        tables.append((str(submission_id), load_table(path)))
    try:
        ranked = shared_ranks(tables, metric, seed=settings.FORGERYBENCH_BOOTSTRAP_SEED)
    except ValueError as exc:
        logger.warning("cannot pair entries for shared ranks: %s", exc)
        return None
    return {
        int(entry.key): SharedRank(entry.rank, entry.shares_rank_with_above)
        for entry in ranked
        if entry.rank is not None
    }
