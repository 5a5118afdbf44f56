"""Reviewer pages: a Result's audit page and its actions, downloads, bundles and the 'what
would move' preview. Views translate requests; services and selectors decide. (The log browser
and its head are the audit app's.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.models import Team
from accounts.roles import user_is_reviewer
from audit.actors import actor_name
from benchmarks.models import Split
from evaluator.splitformat import PREDICTIONS_FILE, TRUTH_FILE
from submissions.models import Result
from submissions.storage import StoredPredictionsError, checked

from .bundle import BundleError, bundle_build
from .forms import CommentForm, ObjectionForm, ResolveForm, StatusForm
from .models import Objection
from .rescoring import offline_command, result_rescore, split_moves
from .selectors import (
    ResultAudit,
    result_audit,
    result_can_comment,
    result_can_download_predictions,
    result_can_see_numbers,
    result_can_see_run_detail,
    result_can_see_sample_outputs,
    result_can_view_audit,
    result_get,
    results_for_moves,
    runtime_flags_public,
    teams_that_may_object,
)
from .services import (
    AuditActionRefused,
    AuditPermissionDenied,
    audit_tests_request,
    comment_add,
    objection_raise,
    objection_resolve,
    result_set_status,
)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required let only signed-in users through
    return request.user


def _result_or_404(pk: int, request: HttpRequest) -> Result:
    try:
        result = result_get(result_id=pk)
    except Result.DoesNotExist:
        raise Http404("no such result") from None
    if not result_can_view_audit(result=result, user=request.user):
        raise Http404("no such result")
    return result


@login_required
def result_audit_page(request: HttpRequest, pk: int) -> HttpResponse:
    result = _result_or_404(pk, request)
    audit = result_audit(result=result)
    is_reviewer = user_is_reviewer(request.user)
    show_numbers = result_can_see_numbers(result=result, user=request.user)
    command = None
    if audit.provenance is not None:
        command = " ".join(
            offline_command(audit.provenance, truth=TRUTH_FILE, predictions=PREDICTIONS_FILE)
        )
    return render(
        request,
        "review/result.html",
        {
            "audit": audit,
            "result": result,
            "is_reviewer": is_reviewer,
            # Hidden numbers wait for publication (the metrics' digest and the audit tests'
            # values too; of a rescore, only whether it matched: no count, metric name or
            # error text); a hidden run's exact exit code and times, and per-sample outputs,
            # are for reviewers only; host paths are for reviewers only.
            "show_numbers": show_numbers,
            "show_run_detail": result_can_see_run_detail(result=result, user=request.user),
            "show_samples": result_can_see_sample_outputs(result=result, user=request.user),
            "runtime_flags": _flags_for(audit, is_reviewer=is_reviewer),
            "can_download": result_can_download_predictions(result=result, user=request.user),
            "can_comment": result_can_comment(result=result, user=request.user),
            "objecting_teams": teams_that_may_object(result=result, user=request.user),
            "status_form": StatusForm(),
            "comment_form": CommentForm(),
            "resolve_form": ResolveForm(),
            "offline_command": command,
        },
    )


def _flags_for(audit: ResultAudit, *, is_reviewer: bool) -> dict[str, Any]:
    flags = audit.provenance.runtime_flags if audit.provenance is not None else {}
    return flags if is_reviewer else runtime_flags_public(flags)


def _refused(request: HttpRequest, pk: int, exc: Exception) -> HttpResponse:
    messages.error(request, str(exc))
    return redirect("audit-result", pk=pk)


def _act(
    request: HttpRequest, pk: int, action: Callable[[], object], *, done: str = ""
) -> HttpResponse:
    """Run one review service for result ``pk``: a denial is a 403, a refusal goes back to the
    result's page as a message, success too (with ``done`` as its message, if any)."""
    try:
        action()
    except AuditPermissionDenied as exc:
        return HttpResponseForbidden(str(exc))
    except AuditActionRefused as exc:
        return _refused(request, pk, exc)
    if done:
        messages.success(request, done)
    return redirect("audit-result", pk=pk)


@login_required
@require_POST
def result_rescore_view(request: HttpRequest, pk: int) -> HttpResponse:
    result = _result_or_404(pk, request)
    if not user_is_reviewer(request.user):
        return HttpResponseForbidden("only reviewers and organizers may rescore")
    report = result_rescore(result=result, actor=actor_name(request.user))
    if report.matches:
        messages.success(request, gettext("Rescored: every number is identical."))
    else:
        messages.error(
            request,
            report.error
            or gettext("Rescored: %(count)d numbers differ.") % {"count": len(report.differences)},
        )
    return redirect("audit-result", pk=pk)


@login_required
@require_POST
def result_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    result = _result_or_404(pk, request)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, ValueError("choose a status"))
    return _act(
        request,
        pk,
        lambda: result_set_status(
            result=result,
            status=form.cleaned_data["status"],
            user=_user(request),
            reason=form.cleaned_data["reason"],
        ),
    )


@login_required
@require_POST
def result_comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    result = _result_or_404(pk, request)
    if not result_can_comment(result=result, user=request.user):
        return HttpResponseForbidden("only reviewers, the team and objecting teams take part here")
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, ValueError("a comment cannot be empty"))
    return _act(
        request,
        pk,
        lambda: comment_add(result=result, user=_user(request), body=form.cleaned_data["body"]),
    )


@login_required
@require_POST
def result_object_view(request: HttpRequest, pk: int) -> HttpResponse:
    result = _result_or_404(pk, request)
    form = ObjectionForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, ValueError("an objection needs a team, a rule and evidence"))
    team = Team.objects.filter(pk=form.cleaned_data["team"]).first()
    if team is None or team not in teams_that_may_object(result=result, user=request.user):
        return HttpResponseForbidden("you may not object on behalf of that team")
    return _act(
        request,
        pk,
        lambda: objection_raise(
            result=result,
            team=team,
            user=_user(request),
            rule=form.cleaned_data["rule"],
            evidence=form.cleaned_data["evidence"],
        ),
        done=gettext("Objection raised; reviewers will resolve it here."),
    )


@login_required
@require_POST
def objection_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    # Only reviewers resolve: anyone else gets the same answer for any number, so the route
    # never says which objections exist or which result each is on.
    if not user_is_reviewer(request.user):
        raise Http404("no such objection")
    objection = get_object_or_404(Objection, pk=pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, objection.result_id, ValueError("a resolution needs a decision and a reason")
        )
    decision = form.cleaned_data["decision"]
    return _act(
        request,
        objection.result_id,
        lambda: objection_resolve(
            objection=objection,
            user=_user(request),
            upheld=decision != "reject",
            remove=decision == "remove",
            resolution=form.cleaned_data["resolution"],
        ),
    )


@login_required
@require_POST
def result_audit_tests_view(request: HttpRequest, pk: int) -> HttpResponse:
    result = _result_or_404(pk, request)
    return _act(
        request,
        pk,
        lambda: audit_tests_request(result=result, user=_user(request)),
        done=gettext("Audit tests queued; their reports appear here when they finish."),
    )


@login_required
def result_predictions_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    result = _result_or_404(pk, request)
    if not result_can_download_predictions(result=result, user=request.user):
        return HttpResponseForbidden(
            "predictions of hidden splits are for reviewers and organizers"
        )
    provenance = getattr(result, "provenance", None)
    if provenance is None:
        raise Http404("no stored predictions")
    try:
        path = checked(Path(provenance.predictions_path), provenance.predictions_sha256)
    except StoredPredictionsError as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain")
    name = f"predictions-result{result.pk}-{result.split.name}.tar.gz"
    return FileResponse(path.open("rb"), as_attachment=True, filename=name)


def _bundle_download(*, results: list[Result], title: str, name: str) -> HttpResponse:
    """The audit bundle of ``results`` as a zip attachment, or the reason it cannot be built
    (409)."""
    try:
        data = bundle_build(results=results, title=title)
    except (BundleError, StoredPredictionsError) as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain")
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def result_bundle_download(request: HttpRequest, pk: int) -> HttpResponse:
    result = _result_or_404(pk, request)
    if not user_is_reviewer(request.user):
        return HttpResponseForbidden("audit bundles are for reviewers and organizers")
    return _bundle_download(
        results=[result], title=f"result {result.pk}", name=f"audit-result{result.pk}.zip"
    )


@login_required
def split_bundle_download(request: HttpRequest, pk: int) -> HttpResponse:
    if not user_is_reviewer(request.user):
        return HttpResponseForbidden("audit bundles are for reviewers and organizers")
    split = get_object_or_404(Split.objects.select_related("track"), pk=pk)
    return _bundle_download(
        results=results_for_moves(split_id=split.pk),
        title=f"leaderboard {split}",
        name=f"audit-split{split.pk}.zip",
    )


@login_required
def split_moves_view(request: HttpRequest, pk: int) -> HttpResponse:
    """What the installed evaluator would do to this leaderboard's stored numbers."""
    if not user_is_reviewer(request.user):
        return HttpResponseForbidden("for reviewers and organizers")
    split = get_object_or_404(Split.objects.select_related("track", "track__benchmark"), pk=pk)
    moves = split_moves(
        results=results_for_moves(split_id=split.pk),
        primary=split.track.primary_metric,
        task=split.track.task,
    )
    return render(
        request,
        "review/moves.html",
        {"split": split, "moves": moves, "moved": sum(1 for m in moves if m.moved)},
    )
