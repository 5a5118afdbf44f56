"""The agent API (/api/agent/v1/): what an agent credential can do, and nothing more.

Every view needs `Authorization: Agent <token>`; a user's session or API token gets nothing
here, and an agent credential gets nothing anywhere else (it is not a user). After the claim,
each call names the attempt token, and answers only while that credential holds the job under
it: a stolen credential can at most spoil the jobs it holds. No view serves labels, another
job's output, or any path of the platform.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponseBase, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from lib.logs import submission_context

from .bundles import BundleError, bundle_path, bundle_store
from .inputs import inputs_archive_path
from .models import AgentCredential, RunJob
from .presence import PresenceError, agent_presence_record
from .selectors import image_tarball_for
from .services import (
    agent_authenticate,
    runjob_claim,
    runjob_finish,
    runjob_heartbeat,
    runjob_held,
    runjob_spec,
)

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponseBase]


def _error(status: int, detail: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"detail": detail, **extra}, status=status)


def agent_view(methods: list[str]) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @csrf_exempt
        @require_http_methods(methods)
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "agent" or not token.strip():
                return _error(401, "agent credential required: 'Authorization: Agent <token>'")
            credential = agent_authenticate(token=token.strip())
            if credential is None:
                return _error(401, "unknown or revoked agent credential")
            # The platform's log lines about a job name its submission.
            job_id = kwargs.get("job_id")
            submission_id = (
                RunJob.objects.filter(pk=int(job_id))
                .values_list("submission_id", flat=True)
                .first()
                if job_id
                else None
            )
            with submission_context(submission_id or "-"):
                return view(request, credential, *args, **kwargs)

        return wrapped

    return decorate


def _json(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


@agent_view(["POST"])
def claim(request: HttpRequest, credential: AgentCredential, job_id: int) -> HttpResponseBase:
    body = _json(request)
    owner = str(body.get("owner", ""))[:200]
    if not owner:
        return _error(400, "name the agent process claiming the job ('owner')")
    answer = runjob_claim(
        job_id=job_id,
        credential=credential,
        owner=owner,
        takeover_from=str(body.get("takeover_from", ""))[:200],
    )
    if answer.unknown:
        return _error(404, answer.refusal)
    if answer.job is None:
        return _error(409, answer.refusal, owner=answer.owner)
    return JsonResponse({"attempt": answer.attempt, "spec": runjob_spec(answer.job)})


@agent_view(["POST"])
def heartbeat(request: HttpRequest, credential: AgentCredential, job_id: int) -> HttpResponseBase:
    attempt = str(_json(request).get("attempt", ""))
    ours = runjob_heartbeat(job_id=job_id, credential=credential, attempt=attempt)
    return JsonResponse({"cancelled": not ours})


@agent_view(["GET"])
def inputs(
    request: HttpRequest, credential: AgentCredential, job_id: int, sha256: str
) -> HttpResponseBase:
    job = runjob_held(
        job_id=job_id, credential=credential, attempt=request.headers.get("X-Attempt", "")
    )
    if job is None or job.inputs_sha256 != sha256:
        return _error(404, "no such inputs for a job this agent holds")
    path = inputs_archive_path(sha256)
    if path is None:
        return _error(404, "the inputs archive is gone; the job will be sent again")
    return FileResponse(path.open("rb"), content_type="application/x-tar")


@agent_view(["GET"])
def image(request: HttpRequest, credential: AgentCredential, job_id: int) -> HttpResponseBase:
    job = runjob_held(
        job_id=job_id, credential=credential, attempt=request.headers.get("X-Attempt", "")
    )
    if job is None:
        return _error(404, "no such job held by this agent")
    path = image_tarball_for(image_id=job.image_id)
    if path is None:
        return _error(404, f"the platform keeps no copy of image {job.image_id}")
    return FileResponse(path.open("rb"), content_type="application/x-tar")


@agent_view(["PUT"])
def output(request: HttpRequest, credential: AgentCredential, job_id: int) -> HttpResponseBase:
    job = runjob_held(
        job_id=job_id, credential=credential, attempt=request.headers.get("X-Attempt", "")
    )
    if job is None:
        return _error(404, "no such job held by this agent under this attempt")
    sha256 = request.headers.get("X-Content-SHA256", "").lower()
    if len(sha256) != 64:
        return _error(400, "X-Content-SHA256 (hex) is required")
    cap = int(job.limits.get("output_cap_mb", settings.FORGERYBENCH_OUTPUT_CAP_MB))
    try:
        bundle_store(
            chunks=iter(lambda: request.read(1024 * 1024), b""),
            target=bundle_path(job.pk, job.attempt),
            sha256=sha256,
            max_bytes=(cap + 64) * 1024 * 1024,
        )
    except BundleError as exc:
        return _error(400, str(exc))
    return JsonResponse({"stored": True})


@agent_view(["POST"])
def outcome(request: HttpRequest, credential: AgentCredential, job_id: int) -> HttpResponseBase:
    body = _json(request)
    answer = runjob_finish(
        job_id=job_id, credential=credential, attempt=str(body.get("attempt", "")), body=body
    )
    if not answer.ok:
        return _error(409, answer.detail)
    return JsonResponse({"recorded": True, "already": answer.already})


@agent_view(["POST"])
def presence(request: HttpRequest, credential: AgentCredential) -> HttpResponseBase:
    """The agent is alive: its name, queues, slots, busy slots and GPUs (nothing else)."""
    try:
        answer = agent_presence_record(credential=credential, body=_json(request))
    except PresenceError as exc:
        return _error(400, str(exc), code=exc.code)
    return JsonResponse(
        {"recorded": True, "every_seconds": answer.every_seconds, "released": answer.released}
    )
