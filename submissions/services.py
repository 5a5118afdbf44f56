"""Writes for submissions: intake and status transitions.

Status only moves by conditional UPDATE (`filter(status=…).update(…)`), so a task that is
delivered twice finds the row already moved and leaves it alone.
"""

import logging
from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Team
from benchmarks.models import Track
from benchmarks.services import track_results_changed
from benchmarks.terms import terms_refusal
from runs.services import runjob_cancel

from .images import ImageIntakeError, StagedImage, image_tarball_stage, submission_image_name
from .models import Status, Submission
from .run_queue import submission_next_job
from .selectors import (
    submission_can_cancel,
    submission_phase_refusal,
    submission_quota_usage,
)
from .signals import submission_done
from .team_rule import team_submission_refusal

logger = logging.getLogger(__name__)

ACTIVE = (Status.QUEUED, Status.RUNNING, Status.SCORING)


class SubmissionRejected(ValueError):
    """The submission cannot be accepted; the message is shown to the team, `code` names why
    (an image intake code such as `declared_volume`, or `rejected`)."""

    def __init__(self, message: str, code: str = "rejected", field: str = ""):
        super().__init__(message)
        self.code = code
        self.field = field  # the form field it is about ("model_card", "license"), if one


# The declared identity: a model card (markdown or plain text, shown escaped) and a license
# (an SPDX identifier such as "MIT", or a short free text). Pinned at creation, never edited.
MODEL_CARD_MAX_BYTES = 64 * 1024
LICENSE_MAX_CHARS = 120


def submission_check_identity(*, model_card: str, license: str) -> tuple[str, str]:
    """The model card and license as they will be stored, or a named SubmissionRejected."""
    card = model_card.replace("\r\n", "\n").strip("\n")
    size = len(card.encode("utf-8"))
    if size > MODEL_CARD_MAX_BYTES:
        raise SubmissionRejected(
            gettext(
                "the model card is %(size)s bytes; the limit is %(limit)s "
                "(link to a longer document from it)"
            )
            % {"size": f"{size:,}", "limit": f"{MODEL_CARD_MAX_BYTES:,}"},
            field="model_card",
        )
    if "\x00" in card:
        raise SubmissionRejected(
            gettext("the model card contains a NUL byte: send plain text"), field="model_card"
        )
    text = license.strip()
    if len(text) > LICENSE_MAX_CHARS:
        raise SubmissionRejected(
            gettext(
                "the license is %(length)d characters; the limit is %(limit)d "
                "(an SPDX identifier such as 'MIT' or 'CC-BY-4.0', or a short text)"
            )
            % {"length": len(text), "limit": LICENSE_MAX_CHARS},
            field="license",
        )
    if any(not ch.isprintable() for ch in text):
        raise SubmissionRejected(
            gettext("the license must be one line of printable text"), field="license"
        )
    return card, text


def _check_fields(
    *, team: Team, track: Track, user: User | None, method_name: str, training_data: str
) -> None:
    if not method_name.strip():
        raise SubmissionRejected(gettext("a method name is required"))
    if not training_data.strip():
        raise SubmissionRejected(
            gettext("declare the training data: a benchmark slug, or 'other: DESCRIPTION'")
        )
    if track.splits.count() == 0:
        raise SubmissionRejected(
            gettext("track %(track)s has no data splits yet") % {"track": track}
        )
    _check_phase(team=team, track=track)
    _check_one_team(team=team, track=track, user=user)
    _check_terms(team=team, track=track)
    _check_quota(team=team, track=track)


def _check_terms(*, team: Team, track: Track) -> None:
    """Refuse until the team accepted the current version of the benchmark's terms."""
    refusal = terms_refusal(team=team, benchmark=track.benchmark)
    if refusal:
        raise SubmissionRejected(refusal)


def _check_one_team(*, team: Team, track: Track, user: User | None) -> None:
    """Refuse a submission that would bind a person to a second team in the phase."""
    refusal = team_submission_refusal(
        team=team,
        benchmark_id=track.benchmark_id,
        benchmark_name=track.benchmark.name,
        user=user,
        now=timezone.now(),
    )
    if refusal:
        raise SubmissionRejected(refusal)


def _check_phase(*, team: Team, track: Track) -> None:
    """Refuse outside the benchmark's phases (baseline teams are the platform's own)."""
    refusal = submission_phase_refusal(team=team, track=track, now=timezone.now())
    if refusal:
        raise SubmissionRejected(refusal)


def _check_quota(*, team: Team, track: Track) -> None:
    """Refuse a submission over the track's daily or total limit for this team."""
    if track.daily_submission_limit is None and track.total_submission_limit is None:
        return
    usage = submission_quota_usage(team=team, track=track, now=timezone.now())
    if track.total_submission_limit is not None and usage.total >= track.total_submission_limit:
        raise SubmissionRejected(
            gettext(
                "quota reached: %(team)s has used all %(limit)s submissions of track %(track)s "
                "(failures caused by the platform, and submissions cancelled before a hidden "
                "run ended, do not count)"
            )
            % {"team": team, "limit": track.total_submission_limit, "track": track}
        )
    if track.daily_submission_limit is not None and usage.today >= track.daily_submission_limit:
        raise SubmissionRejected(
            gettext(
                "daily quota reached: %(team)s has used %(used)s of %(limit)s submissions on "
                "track %(track)s today; it resets at 00:00 UTC (failures caused by the "
                "platform, and submissions cancelled before a hidden run ended, do not count)"
            )
            % {
                "team": team,
                "used": usage.today,
                "limit": track.daily_submission_limit,
                "track": track,
            }
        )


def submission_enqueue_run(*, submission: Submission) -> None:
    """Queue the first run job once the row is committed, on its track's run queue."""
    submission_next_job(submission=submission)


def _create(
    *,
    team: Team,
    track: Track,
    user: User | None,
    image_id: str,
    image_reference: str,
    method_name: str,
    training_data: str,
    tarball_sha256: str = "",
    tarball_size: int | None = None,
    model_card: str = "",
    license: str = "",
    staged: StagedImage | None = None,
) -> Submission:
    model_card, license = submission_check_identity(model_card=model_card, license=license)
    with transaction.atomic():
        # Lock the team row so two uploads at once cannot both slip under the quota.
        Team.objects.select_for_update().filter(pk=team.pk).first()
        # And the rows of its people (in one order), so two teams sharing a person cannot
        # both take part in a phase at once.
        people = set(team.memberships.values_list("user_id", flat=True))
        if user is not None:
            people.add(user.pk)
        list(User.objects.select_for_update().filter(pk__in=people).order_by("pk"))
        _check_phase(team=team, track=track)
        _check_one_team(team=team, track=track, user=user)
        _check_terms(team=team, track=track)
        _check_quota(team=team, track=track)
        if staged is not None:
            # Accepted: the image goes into the store before the row commits (a crash in
            # between leaves a copy no row names, reused by the next upload of that image).
            staged.publish()
        now = timezone.now()
        submission = Submission.objects.create(
            team=team,
            track=track,
            submitted_by=user,
            method_name=method_name.strip(),
            training_data=training_data.strip(),
            model_card=model_card,
            license=license,
            image_id=image_id,
            image_reference=image_reference,
            tarball_sha256=tarball_sha256,
            tarball_size=tarball_size,
            status=Status.QUEUED,
            queued_at=now,
            last_sent_at=now,
        )
        submission_enqueue_run(submission=submission)
    logger.info("submission %s queued (image %s)", submission.pk, image_id)
    return submission


def submission_create_from_tarball(
    *,
    team: Team,
    track: Track,
    user: User | None,
    tarball_path: Path,
    tarball_sha256: str,
    tarball_size: int,
    method_name: str,
    training_data: str,
    model_card: str = "",
    license: str = "",
) -> Submission:
    """Check an uploaded `docker save` tarball, keep its untagged copy in the image store and
    queue it. No row exists, and nothing stays in the store, unless it is accepted."""
    _check_fields(
        team=team,
        track=track,
        user=user,
        method_name=method_name,
        training_data=training_data,
    )
    try:
        submission_check_identity(model_card=model_card, license=license)
    except SubmissionRejected:
        tarball_path.unlink(missing_ok=True)
        raise
    try:
        with image_tarball_stage(path=tarball_path) as staged:
            return _create(
                team=team,
                track=track,
                user=user,
                image_id=staged.image_id,
                image_reference=submission_image_name(staged.image_id),
                method_name=method_name,
                training_data=training_data,
                tarball_sha256=tarball_sha256,
                tarball_size=tarball_size,
                model_card=model_card,
                license=license,
                staged=staged,
            )  # refused (phase, quota, terms): the staged copy is discarded with the block
    except ImageIntakeError as exc:
        raise SubmissionRejected(f"{exc} ({exc.code})", code=exc.code) from None
    finally:
        tarball_path.unlink(missing_ok=True)


def submission_create_from_image(
    *,
    team: Team,
    track: Track,
    user: User | None,
    image_reference: str,
    method_name: str,
    training_data: str,
    model_card: str = "",
    license: str = "",
) -> Submission:
    """Queue an image already in the operator's engine (baselines, organizer-run references).
    An operator's path (management commands, benchmarks): it asks the engine, which no
    request-serving process holds (submissions.engine_images)."""
    from .engine_images import image_resolve

    _check_fields(
        team=team,
        track=track,
        user=user,
        method_name=method_name,
        training_data=training_data,
    )
    submission_check_identity(model_card=model_card, license=license)
    try:
        image_id = image_resolve(reference=image_reference)
    except ImageIntakeError as exc:
        raise SubmissionRejected(f"{exc} ({exc.code})", code=exc.code) from None
    return _create(
        team=team,
        track=track,
        user=user,
        image_id=image_id,
        image_reference=image_reference,
        method_name=method_name,
        training_data=training_data,
        model_card=model_card,
        license=license,
    )


def submission_claim(*, submission_id: int, from_status: str, to_status: str) -> bool:
    """Move a submission between states; False when another worker got there first."""
    stamp_field = f"{to_status}_at"
    moved = Submission.objects.filter(pk=submission_id, status=from_status).update(
        status=to_status, **{stamp_field: timezone.now()}
    )
    return moved == 1


def storable_text(text: str) -> str:
    """Text a container had a hand in, as a database text column stores it: NUL and lone
    surrogates (from invalid UTF-8) escaped, so a team's bad bytes stay the team's failure
    and never turn into a platform error."""
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def submission_fail(*, submission_id: int, code: str, reason: str, log_tail: str = "") -> bool:
    """End an active submission as failed with a named reason shown to its team."""
    fields: dict[str, object] = {
        "status": Status.FAILED,
        "failed_at": timezone.now(),
        "failure_code": code,
        "failure_reason": storable_text(reason),
    }
    if log_tail:
        fields["log_tail"] = storable_text(log_tail)
    with transaction.atomic():
        moved = Submission.objects.filter(pk=submission_id, status__in=ACTIVE).update(**fields)
        if moved:
            submission_done.send_robust(sender=Submission, submission_id=submission_id)
    if moved:
        logger.info("submission %s failed: %s (%s)", submission_id, code, reason)
    return moved == 1


def submission_cancel(*, submission: Submission, user: User) -> bool:
    """Cancel a queued or running submission for its team or an organizer.

    A queued one never starts (its run job is cancelled); a running one's agent is told at its
    next heartbeat and stops the container. False when it had already
    moved past running.
    """
    if not submission_can_cancel(submission=submission, user=user):
        raise PermissionError("only the submitting team or an organizer can cancel")
    moved = Submission.objects.filter(
        pk=submission.pk, status__in=(Status.QUEUED, Status.RUNNING)
    ).update(
        status=Status.CANCELLED,
        cancelled_at=timezone.now(),
        cancelled_by=user,
        failure_code="cancelled",
        failure_reason=f"cancelled by {user.get_username()}",
    )
    if moved:
        runjob_cancel(submission_id=submission.pk)
        logger.info("submission %s cancelled by %s", submission.pk, user.get_username())
    return moved == 1


def team_set_baseline(*, team: Team, is_baseline: bool) -> Team:
    """Mark a team's rows as the platform's reference methods (shown apart on leaderboards):
    the boards of every track it submitted to change."""
    Team.objects.filter(pk=team.pk).update(is_baseline=is_baseline)
    team.refresh_from_db(fields=["is_baseline"])
    for track in (
        Track.objects.filter(submissions__team=team).distinct().select_related("benchmark")
    ):
        track_results_changed(track=track)
    return team
