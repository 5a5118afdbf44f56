"""Upload or edit a benchmark definition (YAML) from the console: check lists every problem
at once, apply writes only a definition that passes every check (``console.definitions``).
Organizers only (``console.access``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from benchmarks.models import Benchmark

from ..access import organizer_required
from ..definitions import (
    MAX_DEFINITION_BYTES,
    DefinitionCheck,
    DefinitionRefused,
    definition_apply,
    definition_check,
    definition_text,
)
from ..forms import DefinitionForm


def _text(form: DefinitionForm) -> tuple[str, list[str]]:
    upload: UploadedFile | None = form.cleaned_data.get("upload")
    if upload is None:
        return form.cleaned_data.get("definition") or "", []
    try:
        if upload.size is not None and upload.size > MAX_DEFINITION_BYTES:
            return "", [
                _("%(name)s: the file is %(size)s bytes; at most %(max)s")
                % {
                    "name": upload.name,
                    "size": f"{upload.size:,}",
                    "max": f"{MAX_DEFINITION_BYTES:,}",
                }
            ]
        raw = upload.read(MAX_DEFINITION_BYTES + 1)
    finally:
        discard = getattr(upload, "discard", None)
        if callable(discard):
            discard()  # a streamed upload's file on disk (submissions.uploads)
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        return "", [_("%(name)s: not UTF-8 text (%(error)s)") % {"name": upload.name, "error": exc}]


@organizer_required
def console_definition(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    benchmark = get_object_or_404(Benchmark, slug=slug) if slug else None
    check: DefinitionCheck | None = None
    status = 200
    if request.method == "POST":
        form = DefinitionForm(request.POST, request.FILES)
        if form.is_valid():
            text, problems = _text(form)
            if problems:
                check = DefinitionCheck(problems)
            elif request.POST.get("action") == "apply":
                user = request.user
                assert isinstance(user, User)
                try:
                    applied, report = definition_apply(
                        text=text, user=user, reason=form.cleaned_data["reason"], slug=slug
                    )
                except DefinitionRefused as exc:
                    check = DefinitionCheck(exc.problems)
                else:
                    messages.success(
                        request,
                        _("The definition of %(name)s is applied (%(lines)d line(s) of report).")
                        % {"name": applied.name, "lines": len(report.lines)},
                    )
                    for line in report.lines[:40]:
                        messages.info(request, line)
                    return redirect("console-definition-edit", slug=applied.slug)
            else:
                check = definition_check(text=text, slug=slug)
            if text:  # show what was checked, uploaded or typed
                form = DefinitionForm(
                    initial={"definition": text, "reason": form.cleaned_data.get("reason", "")}
                )
        if check is not None and check.problems:
            status = 422
    else:
        text = definition_text(benchmark=benchmark) if benchmark else ""
        form = DefinitionForm(initial={"definition": text})
    return render(
        request,
        "console/definition.html",
        {"benchmark": benchmark, "form": form, "check": check},
        status=status,
    )
