"""End to end: a real worker runs and scores a submission, then mails its team through a real
SMTP server; the request that queued it sent no mail."""

import pytest

from benchmarks.models import Split
from notifications.models import EmailState, Notification
from submissions.models import Result, Status
from submissions.services import submission_create_from_image

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.django_db(transaction=True)]


def test_the_worker_mails_the_team_when_its_submission_finishes(
    celery_worker, smtp_server, people, smoke_track, baseline_image
) -> None:
    smtp_server.clear()
    people.owner.email = "owner-e2e@example.org"
    people.owner.save(update_fields=["email"])
    baseline_image("highfreq")
    submission = submission_create_from_image(
        team=people.team,
        track=smoke_track,
        user=people.owner,
        image_reference="forgerybench/baseline-highfreq:latest",
        method_name="HF residuals",
        training_data="other: training-free",
    )
    assert smtp_server.to("owner-e2e@example.org") == []
    (message,) = smtp_server.wait_for("owner-e2e@example.org", timeout=300)
    submission.refresh_from_db()
    assert submission.status == Status.FINISHED, submission.failure_reason
    assert f"Submission #{submission.pk} finished" in message["Subject"]
    body = message.get_content()
    val = Result.objects.get(submission=submission, split__name="val")
    test = Result.objects.get(submission=submission, split__visibility=Split.Visibility.HIDDEN)
    assert f"val (public): {val.primary_value:.4f}" in body
    assert "test (hidden): scored; its number is shown once" in body
    if f"{test.primary_value:.4f}" != f"{val.primary_value:.4f}":
        assert f"{test.primary_value:.4f}" not in body
    notification = Notification.objects.get(user=people.owner)
    assert notification.email_state == EmailState.SENT and notification.emailed_at
    # The teammate has no address: the site list only.
    assert Notification.objects.get(user=people.teammate).email_state == EmailState.SKIPPED
