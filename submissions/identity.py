"""A submission's pinned identity: the submission it reruns (up the chain) and every rerun of
any of them. A reviewer's disqualification or removal holds for every run of one identity, so a
rerun never brings back what a reviewer took off the boards."""

from django.db.models import QuerySet
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_append

from .models import Result, ResultReview, Submission, VerificationStatus


def reruns_of(submission_id: int) -> list[int]:
    """Every rerun of the submission, reruns of reruns included."""
    found: list[int] = []
    frontier = [submission_id]
    while frontier:
        frontier = list(
            Submission.objects.filter(rerun_of_id__in=frontier).values_list("pk", flat=True)
        )
        found += frontier
    return found


def identity_ids(submission: Submission) -> list[int]:
    """The ids of every run of the submission's identity, itself included."""
    root_id = submission.pk
    parent_id = submission.rerun_of_id
    while parent_id is not None:
        root_id = parent_id
        parent_id = Submission.objects.values_list("rerun_of_id", flat=True).get(pk=parent_id)
    return [root_id, *reruns_of(root_id)]


def identity_results_on_split(*, result: Result) -> QuerySet[Result]:
    """The same split's results of the other runs of the result's identity."""
    return Result.objects.filter(
        submission_id__in=identity_ids(result.submission), split_id=result.split_id
    ).exclude(pk=result.pk)


def result_remove_following(*, result: Result, removed_id: int, actor: str, why: str = "") -> None:
    """Mark ``result`` removed because result ``removed_id`` of the same identity was, in the
    log; a result already removed is left as it is."""
    review, _ = ResultReview.objects.select_for_update().get_or_create(result=result)
    if review.status == VerificationStatus.REMOVED:
        return
    reason = f"follows the removal of result #{removed_id} (the same identity)"
    reason = f"{reason}: {why}" if why else reason
    ResultReview.objects.filter(pk=review.pk).update(
        status=VerificationStatus.REMOVED,
        reason=reason,
        changed_by=actor,
        changed_at=timezone.now(),
    )
    audit_append(
        action=AuditAction.DISQUALIFIED,
        target_type="result",
        target_id=result.pk,
        actor=actor,
        reason=reason,
        payload={"from": review.status, "to": VerificationStatus.REMOVED},
    )


def result_follow_identity_removal(*, result: Result, actor: str) -> None:
    """The score step calls this for each new result: on a split where a reviewer removed
    another run's result of the same identity, the new one is removed too, in the log, so a
    rerun never returns to a board what a reviewer took off it."""
    removed = (
        identity_results_on_split(result=result)
        .filter(review__status=VerificationStatus.REMOVED)
        .order_by("pk")
        .first()
    )
    if removed is not None:
        result_remove_following(result=result, removed_id=removed.pk, actor=actor)
