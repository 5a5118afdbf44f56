"""The audit log's pages: the log browser (reviewers and organizers) and the public head."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import render

from accounts.roles import user_is_reviewer

from .forms import LogFilterForm
from .models import AuditAction
from .selectors import audit_anchor_current, audit_entry_list


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not user_is_reviewer(request.user):
        return HttpResponseForbidden("the audit log is for reviewers and organizers")
    form = LogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = audit_entry_list(**{k: v for k, v in filters.items() if v})
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "page": page,
            "actions": AuditAction.values,
            "query": query.urlencode(),
            "anchor": audit_anchor_current(),
        },
    )


def audit_head(request: HttpRequest) -> HttpResponse:
    """The chain head, public: keep a copy, later `verify_audit_log --against` it."""
    anchor = audit_anchor_current()
    response = JsonResponse(anchor.columns())
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = f'inline; filename="audit-head-{anchor.seq}.json"'
    return response
