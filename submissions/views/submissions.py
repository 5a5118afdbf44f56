from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext, pgettext
from django.views.decorators.http import require_POST

from accounts.models import Team
from accounts.selectors import team_list_for_user
from audit.chain import text_sha256
from benchmarks.models import Track
from submissions.reviewer_actions import (
    AuditActionRefused,
    AuditPermissionDenied,
    submission_can_disqualify,
    submission_can_rerun,
    submission_disqualify,
    submission_rerun,
)

from ..disclosure import result_public_part, results_visible_to, results_withheld_from
from ..forms import ReasonForm, SubmissionUploadForm
from ..models import Submission
from ..queue_status import median_wait_seconds, queue_states, submission_queue_place
from ..selectors import (
    QuotaLine,
    submission_can_cancel,
    submission_can_see_logs,
    submission_detection_curves,
    submission_list_for_user,
    submission_phase_refusal,
    submission_run_views,
    team_quota_lines,
)
from ..services import SubmissionRejected, submission_cancel, submission_create_from_tarball
from ..uploads import UPLOAD_ERROR_ATTR, StreamedTarball


@login_required
def submission_list(request: HttpRequest) -> HttpResponse:
    submissions = submission_list_for_user(user=request.user)[:200]
    return render(request, "submissions/list.html", {"submissions": submissions})


def _quotas(user: User) -> list[tuple[Team, list[QuotaLine]]]:
    now = timezone.now()
    return [(team, team_quota_lines(team=team, now=now)) for team in team_list_for_user(user=user)]


def _upload_page(request: HttpRequest, user: User) -> HttpResponse:
    """The upload form, or why it is closed, told before any byte is sent: with ?track= for
    that track, else for every track. A POST anyway is refused by the service."""
    teams = list(team_list_for_user(user=user))
    if team_id := request.GET.get("team", ""):
        teams = [t for t in teams if str(t.pk) == team_id]
    tracks = Track.objects.select_related("benchmark").order_by("benchmark__name", "name")
    if track_id := request.GET.get("track", ""):
        tracks = tracks.filter(pk=int(track_id)) if track_id.isdigit() else tracks.none()
    now = timezone.now()
    closed: list[tuple[Track, str]] = []
    for track in tracks:
        # Closed only if closed to every team the user may submit as (baseline teams are not).
        refusals = {submission_phase_refusal(team=t, track=track, now=now) for t in teams}
        if refusals and None not in refusals:
            closed.append((track, str(refusals.pop())))
    initial = {"track": tracks[0].pk} if track_id and tracks else {}
    form = SubmissionUploadForm(user=user, initial=initial)
    context = {
        "form": form,
        "quotas": _quotas(user),
        "closed": closed,
        "upload_closed": bool(closed) and len(closed) == len(tracks),
    }
    return render(request, "submissions/new.html", context)


@login_required
def submission_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # login_required let only signed-in users through
    if request.method != "POST":
        return _upload_page(request, user)
    form = SubmissionUploadForm(request.POST, request.FILES, user=user)
    for error in getattr(request, UPLOAD_ERROR_ATTR, []):
        form.add_error("image", error)
    upload = request.FILES.get("image")
    if not form.is_valid() or not isinstance(upload, StreamedTarball):
        if isinstance(upload, StreamedTarball):
            upload.discard()
        return render(
            request, "submissions/new.html", {"form": form, "quotas": _quotas(user)}, status=400
        )
    upload.close()
    try:
        submission = submission_create_from_tarball(
            team=form.cleaned_data["team"],
            track=form.cleaned_data["track"],
            user=user,
            tarball_path=Path(upload.temporary_file_path()),
            tarball_sha256=upload.sha256,
            tarball_size=upload.size or 0,
            method_name=form.cleaned_data["method_name"],
            training_data=form.cleaned_data["training_data"],
            model_card=form.cleaned_data["model_card"],
            license=form.cleaned_data["license"],
        )
    except SubmissionRejected as exc:
        form.add_error("image", str(exc))
        return render(
            request, "submissions/new.html", {"form": form, "quotas": _quotas(user)}, status=400
        )
    messages.success(
        request, gettext("Submission #%(number)s is queued.") % {"number": submission.pk}
    )
    return redirect("submission-detail", pk=submission.pk)


def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        submission = Submission.objects.select_related(
            "team", "track", "track__benchmark", "rerun_of", "disqualified_by"
        ).get(pk=pk)
    except Submission.DoesNotExist:
        raise Http404("no such submission") from None
    every = list(
        submission.results.select_related("split", "split__track").order_by("split__visibility")
    )
    for result in every:
        result.submission = submission  # the disclosure check reads created_at
    results = results_visible_to(results=every, user=request.user)
    withheld = [
        (result, result_public_part(result=result))
        for result in results_withheld_from(results=every, user=request.user)
    ]
    show_logs = submission_can_see_logs(submission=submission, user=request.user)
    runs = (
        submission_run_views(
            submission=submission,
            user=request.user,
            settings_cap_mb=settings.FORGERYBENCH_OUTPUT_CAP_MB,
        )
        if show_logs
        else []
    )
    return render(
        request,
        "submissions/detail.html",
        {
            "submission": submission,
            "results": results,
            "withheld": withheld,
            "show_logs": show_logs,
            "runs": runs,
            # The queue place (fair-share level, backlog ahead) is the team's own business.
            "place": submission_queue_place(submission=submission, now=timezone.now())
            if show_logs
            else None,
            "can_cancel": not submission.is_done
            and submission.status != "scoring"
            and submission_can_cancel(submission=submission, user=request.user),
            "can_rerun": submission.status in ("finished", "failed")
            and submission.disqualified_at is None
            and submission_can_rerun(user=request.user),
            "can_disqualify": submission.disqualified_at is None
            and submission_can_disqualify(user=request.user),
            "model_card_sha256": text_sha256(submission.model_card),
            "reruns": list(submission.reruns.order_by("pk").only("pk", "status", "created_at")),
            "curves": submission_detection_curves(
                submission=submission, split_ids=[result.split_id for result in results]
            ),
            "timeline": [
                (pgettext("timeline", "submitted"), submission.created_at),
                (pgettext("timeline", "queued"), submission.queued_at),
                (pgettext("timeline", "running"), submission.running_at),
                (pgettext("timeline", "scoring"), submission.scoring_at),
                (pgettext("timeline", "finished"), submission.finished_at),
                (pgettext("timeline", "failed"), submission.failed_at),
                (pgettext("timeline", "cancelled"), submission.cancelled_at),
            ],
        },
    )


@login_required
@require_POST
def submission_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    submission = get_object_or_404(Submission.objects.select_related("team"), pk=pk)
    if not submission_can_cancel(submission=submission, user=user):
        raise Http404("no such submission")  # outsiders learn nothing
    if submission_cancel(submission=submission, user=user):
        messages.success(
            request, gettext("Submission #%(number)s is cancelled.") % {"number": submission.pk}
        )
    else:
        submission.refresh_from_db(fields=["status"])
        messages.error(
            request,
            gettext("Submission #%(number)s is %(status)s and cannot be cancelled.")
            % {"number": submission.pk, "status": submission.get_status_display()},
        )
    return redirect("submission-detail", pk=submission.pk)


def _reason_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Rerun or disqualify: both need a reason; the service checks the role and logs it."""
    user = request.user
    assert isinstance(user, User)
    submission = get_object_or_404(Submission.objects.select_related("team", "track"), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            gettext("Say why: to rerun a submission needs a reason.")
            if action == "rerun"
            else gettext("Say why: to disqualify a submission needs a reason."),
        )
        return redirect("submission-detail", pk=pk)
    reason = form.cleaned_data["reason"]
    try:
        if action == "rerun":
            rerun = submission_rerun(submission=submission, user=user, reason=reason)
        else:
            submission_disqualify(submission=submission, user=user, reason=reason)
    except AuditPermissionDenied as exc:
        return HttpResponseForbidden(str(exc))
    except AuditActionRefused as exc:
        messages.error(request, str(exc))
        return redirect("submission-detail", pk=pk)
    if action == "rerun":
        messages.success(
            request,
            gettext("Submission #%(number)s reruns #%(original)s; it is queued.")
            % {"number": rerun.pk, "original": pk},
        )
        return redirect("submission-detail", pk=rerun.pk)
    messages.success(
        request,
        gettext("Submission #%(number)s is disqualified: it leaves every leaderboard.")
        % {"number": pk},
    )
    return redirect("submission-detail", pk=pk)


@login_required
@require_POST
def submission_rerun_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _reason_action(request, pk, "rerun")


@login_required
@require_POST
def submission_disqualify_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _reason_action(request, pk, "disqualify")


def queue_status(request: HttpRequest) -> HttpResponse:
    """Public: queue depths, how many workers serve each queue, and the recent median wait.
    Worker names (host names) are shown to organizers only."""
    now = timezone.now()
    return render(
        request,
        "submissions/status.html",
        {
            "queues": queue_states(now=now),
            "show_hosts": getattr(request.user, "is_staff", False),
            "presence_window": settings.FORGERYBENCH_AGENT_PRESENCE_WINDOW_SECONDS,
            "median_wait": median_wait_seconds(now=now),
            "now": now,
        },
    )
