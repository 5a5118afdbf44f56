"""Fair order across teams: a run message's broker priority from its team's own backlog.

The Redis transport keeps one list per priority level (0 = served first, 9 = last) and a worker
pops from the most urgent non-empty list, FIFO within a level. A run's level grows with the
number of its team's runs already waiting on the same queue, on a log scale: the team's 1st
waiting run goes in at level 0, its 2nd at 1, its 3rd-4th at 2, 5th-8th at 3, ... 257th and
later at 9. A team that queues a burst ahead of others fills the deep levels while every other
team's next runs still go in near the top, so runs interleave across teams instead of being
served in arrival order; the log scale keeps that true for backlogs of hundreds, where ten
linear levels would put everything past a team's 10th run back into one FIFO level.

The level is computed when the message is sent (on commit, or when the sweeper resends it),
from the database, which stays the source of truth; brokers without priorities (the
filesystem demo) ignore it and serve FIFO.
"""

from .models import Status, Submission

# Priority levels of the broker (settings: CELERY_BROKER_TRANSPORT_OPTIONS["priority_steps"]).
TOP_PRIORITY = 0
LOWEST_PRIORITY = 9


def priority_for_backlog(ahead: int) -> int:
    """The level of a run with `ahead` runs of its own team waiting before it.

    >>> [priority_for_backlog(n) for n in (0, 1, 2, 3, 4, 7, 8, 255, 256, 10_000)]
    [0, 1, 2, 2, 3, 3, 4, 8, 9, 9]
    """
    if ahead < 0:
        raise ValueError(f"ahead must be at least 0, got {ahead}")
    return min(TOP_PRIORITY + ahead.bit_length(), LOWEST_PRIORITY)


def submission_run_priority(*, submission: Submission) -> int:
    """The level of this submission's run message, from its team's older queued runs."""
    if submission.queued_at is None:
        return TOP_PRIORITY
    ahead = (
        Submission.objects.filter(
            team_id=submission.team_id,
            track__resource_class=submission.track.resource_class,
            status=Status.QUEUED,
            queued_at__lt=submission.queued_at,
        )
        .exclude(pk=submission.pk)
        .count()
    )
    return priority_for_backlog(ahead)
