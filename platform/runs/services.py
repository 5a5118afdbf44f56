"""Writes for run jobs: create, send, claim, beat, finish, cancel, sweep.

One state machine for every container the platform causes. State moves only by conditional
UPDATE, so a repeated or late call finds the row moved and changes nothing:

    queued --claim--> running --outcome--> done
       ^                 |  \\--cancel----> cancelled
       +--lease expired--+   (the sweeper; a new attempt token)

What to do once a job is done belongs to its kind (a registered handler): the next split or
the score step for a submission's run, the score step for an OOD run, the comparison for an
audit rerun. Handlers run in the request that reports the outcome and only queue work.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from benchmarks.models import Split, Track
from evaluator.runner import OUTCOMES as RUNNER_OUTCOMES
from evaluator.runner import RunLimits
from submissions.fairness import submission_run_priority
from submissions.models import Status, Submission

from .bundles import bundle_path, bundle_unpack
from .inputs import inputs_archive
from .models import RUN_QUEUES, AgentCredential, RunJob

logger = logging.getLogger(__name__)

RUN_TASK = "runagent.run"  # the agent's task name (runagent.celery_app)
LOG_TAIL_LIMIT = 64 * 1024

# kind -> what to do once a job of that kind is done (registered by the apps that own them).
OUTCOME_HANDLERS: dict[str, Callable[[RunJob], None]] = {}
# kind -> whether a running job of that kind is still wanted (False: tell the agent to stop).
WANTED_CHECKS: dict[str, Callable[[RunJob], bool]] = {}


# kind -> called inside the claim's transaction (e.g. the submission moves to running);
# False refuses the claim (the job is cancelled).
CLAIM_HOOKS: dict[str, Callable[[RunJob], bool]] = {}
# kind -> what to keep of a job cancelled while it ran, once its agent reports how the
# stopped run ended (its log and measurements); nothing follows from it.
CANCELLED_HANDLERS: dict[str, Callable[[RunJob], None]] = {}


def register_kind(
    kind: str,
    *,
    claimed: Callable[[RunJob], bool],
    wanted: Callable[[RunJob], bool],
    finished: Callable[[RunJob], None],
    cancelled: Callable[[RunJob], None] | None = None,
) -> None:
    """What a kind of job means to the app that owns it (called from AppConfig.ready)."""
    CLAIM_HOOKS[kind] = claimed
    WANTED_CHECKS[kind] = wanted
    OUTCOME_HANDLERS[kind] = finished
    if cancelled is not None:
        CANCELLED_HANDLERS[kind] = cancelled


# -- credentials ------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AgentCredentialError(ValueError):
    """An agent credential asked for with a bad name or bad queues."""


def _credential_queues(queues: Sequence[str]) -> list[str]:
    """The run queues a credential may serve: at least one, each a run queue, each once."""
    chosen = [str(q).strip() for q in queues if str(q).strip()]
    unknown = sorted(set(chosen) - set(RUN_QUEUES))
    if not chosen or unknown or len(set(chosen)) != len(chosen):
        raise AgentCredentialError(
            f"an agent credential serves one or more run queues, each once, of {RUN_QUEUES}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    return chosen


def agent_credential_create(*, name: str, queues: Sequence[str]) -> tuple[AgentCredential, str]:
    """A new agent credential that may claim jobs of `queues` only; the token is returned
    once and stored only as a hash."""
    token = "fba_" + secrets.token_urlsafe(32)
    credential = AgentCredential.objects.create(
        name=name, token_hash=token_hash(token), queues=_credential_queues(queues)
    )
    return credential, token


def agent_credential_rotate(*, name: str, queues: Sequence[str] | None = None) -> str:
    """A new token for an existing credential (active again); the old token stops working.
    With `queues`, its queues are replaced too."""
    token = "fba_" + secrets.token_urlsafe(32)
    fields: dict[str, Any] = {"token_hash": token_hash(token), "revoked_at": None}
    if queues is not None:
        fields["queues"] = _credential_queues(queues)
    AgentCredential.objects.filter(name=name).update(**fields)
    return token


def agent_credential_register(*, name: str, token: str, queues: Sequence[str]) -> AgentCredential:
    """Make `token` (generated elsewhere, e.g. a deployment's secret file) NAME's credential,
    serving `queues`."""
    credential, _ = AgentCredential.objects.update_or_create(
        name=name,
        defaults={
            "token_hash": token_hash(token),
            "revoked_at": None,
            "queues": _credential_queues(queues),
        },
    )
    return credential


def agent_credential_revoke(*, name: str) -> bool:
    return (
        AgentCredential.objects.filter(name=name, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        == 1
    )


# last_used_at is a hint for people: written at most once a minute, not on every call (an
# agent makes several a second while it runs jobs).
LAST_USED_RESOLUTION = timedelta(minutes=1)


def agent_authenticate(*, token: str) -> AgentCredential | None:
    credential = AgentCredential.objects.filter(
        token_hash=token_hash(token), revoked_at__isnull=True
    ).first()
    now = timezone.now()
    if credential is not None and (
        credential.last_used_at is None or credential.last_used_at < now - LAST_USED_RESOLUTION
    ):
        AgentCredential.objects.filter(pk=credential.pk).update(last_used_at=now)
    return credential


# -- creating and sending ---------------------------------------------------------------


def run_limits_for(track: Track) -> RunLimits:
    return RunLimits(
        timeout_seconds=track.timeout_seconds,
        memory_mb=track.memory_mb,
        cpus=float(track.cpus),
        pids_limit=settings.FORGERYBENCH_PIDS_LIMIT,
        output_cap_mb=settings.FORGERYBENCH_OUTPUT_CAP_MB,
        tmpfs_mb=settings.FORGERYBENCH_TMPFS_MB,
        user=settings.FORGERYBENCH_RUN_USER,
        gpu=track.resource_class == Track.ResourceClass.GPU,
        log_tail_bytes=settings.FORGERYBENCH_LOG_TAIL_BYTES,
        allow_uncapped_output=settings.FORGERYBENCH_ALLOW_UNCAPPED_OUTPUT,
        output_max_entries=settings.FORGERYBENCH_OUTPUT_MAX_FILES,
    )


def _limits_of(job: RunJob) -> RunLimits:
    fields = {f.name for f in dataclasses.fields(RunLimits)}
    return RunLimits(**{k: v for k, v in job.limits.items() if k in fields})


def _limits_payload(track: Track) -> dict[str, Any]:
    limits = dataclasses.asdict(run_limits_for(track))
    limits.pop("gpu_device_ids")
    limits.pop("allow_uncapped_output")  # the agent's own host decides that
    return limits


def runjob_create(
    *,
    kind: str,
    submission: Submission,
    split: Split,
    inputs_dir: Path,
    artifacts_dir: Path,
    payload: dict[str, Any] | None = None,
    priority: int = 0,
    send: bool = True,
) -> RunJob:
    """A queued job, sent to its track's run queue once the transaction commits. Its limits
    are the track's as the database has them now (never a caller's stale copy)."""
    track = Track.objects.get(pk=submission.track_id)
    job = RunJob.objects.create(
        kind=kind,
        submission=submission,
        split=split,
        queue=track.queue,
        priority=priority,
        image_id=submission.image_id,
        inputs_dir=str(inputs_dir),
        limits=_limits_payload(track),
        payload=payload or {},
        artifacts_dir=str(artifacts_dir),
        last_sent_at=timezone.now(),
    )
    if send:
        runjob_send(job=job, stamp=False)
    return job


def runjob_send(*, job: RunJob, priority: int | None = None, stamp: bool = True) -> None:
    """Ring the agents' doorbell for `job` (on commit); a lost message is resent by the
    sweeper, and a duplicate finds the job claimed."""
    if stamp:
        RunJob.objects.filter(pk=job.pk).update(last_sent_at=timezone.now())
    level = job.priority if priority is None else priority
    job_id, queue = job.pk, job.queue

    def send() -> None:
        try:
            current_app.send_task(RUN_TASK, (job_id,), queue=queue, priority=level)
        except Exception:
            logger.exception("could not send run job %s; the sweeper will retry", job_id)

    transaction.on_commit(send)


# -- the agent's calls ------------------------------------------------------------------


@dataclass
class ClaimAnswer:
    job: RunJob | None
    attempt: str = ""
    refusal: str = ""
    owner: str = ""
    # The job is not one this credential may see (no such job, or not on its queues).
    unknown: bool = False


def _still_wanted(job: RunJob) -> bool:
    check = WANTED_CHECKS.get(job.kind)
    return check(job) if check else True


def runjob_claim(
    *, job_id: int, credential: AgentCredential, owner: str, takeover_from: str = ""
) -> ClaimAnswer:
    """queued → running for this agent; or, with `takeover_from`, take over a running job
    that this same credential holds under that (dead) owner."""
    job = RunJob.objects.select_related("submission__track", "split").filter(pk=job_id).first()
    # A job of a queue the credential was not given is as good as absent to it: it learns
    # nothing of it and changes nothing (not even a cancellation).
    if job is None or job.queue not in credential.queues:
        return ClaimAnswer(None, refusal="no such job on this credential's queues", unknown=True)
    if job.state in (RunJob.State.QUEUED, RunJob.State.RUNNING) and not _still_wanted(job):
        RunJob.objects.filter(pk=job.pk, state__in=["queued", "running"]).update(
            state=RunJob.State.CANCELLED, finished_at=timezone.now()
        )
        return ClaimAnswer(None, refusal="the job was cancelled")
    now, token = timezone.now(), secrets.token_hex(16)
    fields = {
        "state": RunJob.State.RUNNING,
        "attempt_token": token,
        "credential": credential,
        "lease_owner": owner[:200],
        "heartbeat_at": now,
        "claimed_at": now,
    }
    with transaction.atomic():
        if takeover_from:
            moved = RunJob.objects.filter(
                pk=job.pk,
                state=RunJob.State.RUNNING,
                credential=credential,
                lease_owner=takeover_from,
            ).update(**fields, attempt=job.attempt + 1)
        else:
            moved = RunJob.objects.filter(pk=job.pk, state=RunJob.State.QUEUED).update(
                **fields, attempt=job.attempt + 1
            )
        if not moved:
            job.refresh_from_db()
            held = job.lease_owner if job.state == RunJob.State.RUNNING else ""
            # Only the credential that holds a job learns who holds it.
            if job.credential_id != credential.pk:
                held = ""
            return ClaimAnswer(None, refusal=f"the job is {job.state}", owner=held)
        job.refresh_from_db()
        claimed = CLAIM_HOOKS.get(job.kind)
        if claimed is not None and not claimed(job):
            RunJob.objects.filter(pk=job.pk).update(
                state=RunJob.State.CANCELLED, finished_at=timezone.now()
            )
            return ClaimAnswer(None, refusal="the job is no longer wanted")
    if takeover_from:
        logger.warning("job %s: held by %s in place of %s (gone)", job.pk, owner, takeover_from)
    if not job.inputs_sha256:
        job.inputs_sha256 = inputs_archive(Path(job.inputs_dir))
        RunJob.objects.filter(pk=job.pk).update(inputs_sha256=job.inputs_sha256)
    return ClaimAnswer(job, attempt=token)


def runjob_spec(job: RunJob) -> dict[str, Any]:
    """What the agent needs to run the job: never a path, a label file or a database name."""
    return {
        "job": job.pk,
        "kind": job.kind,
        "image_id": job.image_id,
        "inputs_sha256": job.inputs_sha256,
        "limits": job.limits,
        "run_key": f"{settings.FORGERYBENCH_INSTANCE}-job-{job.pk}",
        # Docker labels for the container (who it runs for), not ground truth.
        "container_labels": {
            "org.forgerybench.submission": str(job.submission_id),
            "org.forgerybench.instance": settings.FORGERYBENCH_INSTANCE,
            "org.forgerybench.kind": job.kind,
        },
        "heartbeat_seconds": settings.FORGERYBENCH_HEARTBEAT_SECONDS,
    }


def runjob_held(*, job_id: int, credential: AgentCredential, attempt: str) -> RunJob | None:
    """The job if `credential` holds it under `attempt` (running), else None."""
    if not attempt:
        return None
    return (
        RunJob.objects.select_related("submission__track", "split")
        .filter(pk=job_id, credential=credential, attempt_token=attempt, state="running")
        .first()
    )


def runjob_heartbeat(*, job_id: int, credential: AgentCredential, attempt: str) -> bool:
    """Record the beat; False once the agent should stop (cancelled, taken over)."""
    job = runjob_held(job_id=job_id, credential=credential, attempt=attempt)
    if job is None or not _still_wanted(job):
        return False
    now = timezone.now()
    RunJob.objects.filter(pk=job.pk, attempt_token=attempt).update(heartbeat_at=now)
    if job.kind == RunJob.Kind.RUN:
        Submission.objects.filter(pk=job.submission_id, status=Status.RUNNING).update(
            heartbeat_at=now
        )
    return True


def _clean_text(value: object, limit: int) -> str:
    text = value if isinstance(value, str) else ""
    # PostgreSQL text cannot hold NUL; what a container printed is shown, never trusted.
    return text.replace("\x00", "\ufffd")[-limit:]


def _report(body: dict[str, Any]) -> dict[str, Any]:
    flags = body.get("runtime_flags")
    refused = body.get("refused")
    host = body.get("host")
    exit_code = body.get("exit_code")

    def count(key: str) -> int | None:
        value = body.get(key)
        return (
            value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
        )

    return {
        "exit_code": exit_code if isinstance(exit_code, int) else None,
        "peak_memory_bytes": count("peak_memory_bytes"),
        "output_bytes": count("output_bytes"),
        "container_id": _clean_text(body.get("container_id"), 80),
        "started_at": _clean_text(body.get("started_at"), 40) or None,
        "ended_at": _clean_text(body.get("ended_at"), 40) or None,
        "log_tail": _clean_text(body.get("log_tail"), LOG_TAIL_LIMIT),
        "runtime_flags": flags if isinstance(flags, dict) else {},
        "refused": [_clean_text(n, 300) for n in refused[:200]]
        if isinstance(refused, list)
        else [],
        # What the agent says of its own machine (provenance): short strings only.
        "host": {
            key: _clean_text(host.get(key), 200)
            for key in ("agent", "image_digest", "engine_host", "gpu_model", "gpu_driver")
        }
        if isinstance(host, dict)
        else {},
    }


# What an agent may report: the runner's outcomes, or a platform fault on its side.
OUTCOMES = (*RUNNER_OUTCOMES, "platform_error")


@dataclass
class FinishAnswer:
    ok: bool
    detail: str = ""
    already: bool = False


def runjob_finish(
    *, job_id: int, credential: AgentCredential, attempt: str, body: dict[str, Any]
) -> FinishAnswer:
    """Record the outcome once (a repeat of the same attempt's report is answered ok)."""
    outcome = body.get("outcome")
    if outcome not in OUTCOMES:
        return FinishAnswer(False, f"unknown outcome {outcome!r}")
    done = RunJob.objects.filter(
        pk=job_id, credential=credential, attempt_token=attempt, state__in=["done", "cancelled"]
    ).first()
    if done is not None:
        if done.state == RunJob.State.CANCELLED and not done.outcome:
            _record_cancelled(done, attempt, body)
        return FinishAnswer(True, already=True)
    job = runjob_held(job_id=job_id, credential=credential, attempt=attempt)
    if job is None:
        return FinishAnswer(False, "the job is not held under this attempt")
    report = _report(body)
    artifacts = Path(job.artifacts_dir)
    sha = body.get("bundle_sha256") or ""
    if outcome == "completed":
        bundle = bundle_path(job.pk, job.attempt)
        if not sha or not bundle.is_file():
            return FinishAnswer(False, "a completed run needs its output bundle uploaded first")
        try:
            unpacked = bundle_unpack(
                bundle=bundle, destination=artifacts, limits=_limits_of(job).bundle_limits()
            )
        finally:
            bundle.unlink(missing_ok=True)
        # The agent judged the output already; the platform checks every member again.
        if not unpacked.ok:
            outcome, body["message"] = unpacked.fatal, unpacked.fatal_detail
        elif unpacked.refused:
            report["refused"] += [str(refused)[:300] for refused in unpacked.refused[:200]]
            outcome = "bad_output_file"
            body["message"] = "/output may hold only regular files and folders; not carried: " + (
                "; ".join(str(refused)[:300] for refused in unpacked.refused[:10])
            )
    with transaction.atomic():
        moved = RunJob.objects.filter(pk=job.pk, attempt_token=attempt, state="running").update(
            state=RunJob.State.DONE,
            outcome=outcome,
            message=_clean_text(body.get("message"), 2000),
            report=report,
            bundle_sha256=sha if isinstance(sha, str) else "",
            finished_at=timezone.now(),
        )
        if not moved:
            return FinishAnswer(False, "the job moved on meanwhile")
        job.refresh_from_db()
        handler = (CANCELLED_HANDLERS if outcome == "cancelled" else OUTCOME_HANDLERS).get(job.kind)
        if handler is not None:
            handler(job)
    return FinishAnswer(True)


def _record_cancelled(job: RunJob, attempt: str, body: dict[str, Any]) -> None:
    """Keep what the agent reports of a run stopped by a cancel (its log tail and the
    platform's measurements), once: the job stays cancelled, its output is not taken and
    nothing is scored. The outcome recorded is `cancelled` whatever the stopped container
    did; the agent's own word for it goes into the message."""
    said = body.get("outcome")
    message = "stopped: the run was cancelled"
    if said != "cancelled":
        message += f" (the container had ended: {said})"
    with transaction.atomic():
        moved = RunJob.objects.filter(
            pk=job.pk, attempt_token=attempt, state=RunJob.State.CANCELLED, outcome=""
        ).update(outcome="cancelled", message=message, report=_report(body))
        if not moved:
            return
        job.refresh_from_db()
        handler = CANCELLED_HANDLERS.get(job.kind)
        if handler is not None:
            handler(job)


# -- platform-side moves ----------------------------------------------------------------


def runjob_cancel(*, submission_id: int, kinds: tuple[str, ...] = ("run",)) -> int:
    """Cancel a submission's open jobs: a queued one never starts, a running one's agent
    is told at its next heartbeat."""
    return RunJob.objects.filter(
        submission_id=submission_id, kind__in=kinds, state__in=["queued", "running"]
    ).update(state=RunJob.State.CANCELLED, finished_at=timezone.now())


@dataclass
class JobSweep:
    resent: list[int] = field(default_factory=list)  # queued, message sent again
    requeued: list[int] = field(default_factory=list)  # running under a silent agent → queued


def runjob_sweep(*, now: datetime) -> JobSweep:
    """Recover jobs a lost message or a dead agent left behind (the sweeper calls this)."""
    report = JobSweep()
    lease = timedelta(seconds=settings.FORGERYBENCH_RUN_LEASE_SECONDS)
    stale = RunJob.objects.filter(state=RunJob.State.RUNNING).filter(
        Q(heartbeat_at__lt=now - lease) | Q(heartbeat_at__isnull=True)
    )
    for job in stale:
        if _requeue(job, "stopped beating"):
            report.requeued.append(job.pk)
    cutoff = now - timedelta(seconds=settings.FORGERYBENCH_REQUEUE_QUEUED_SECONDS)
    queued = RunJob.objects.filter(state=RunJob.State.QUEUED).filter(
        Q(last_sent_at__isnull=True) | Q(last_sent_at__lt=cutoff)
    )
    for job in queued:
        if not _still_wanted(job):
            RunJob.objects.filter(pk=job.pk, state="queued").update(
                state=RunJob.State.CANCELLED, finished_at=now
            )
            continue
        runjob_send(job=job, priority=_priority(job))
        report.resent.append(job.pk)
    return report


def _requeue(job: RunJob, why: str) -> bool:
    """running → queued under no attempt (a spent lease), sent again; False if it moved."""
    if RunJob.objects.filter(pk=job.pk, state="running", attempt_token=job.attempt_token).update(
        state=RunJob.State.QUEUED, attempt_token="", lease_owner="", heartbeat_at=None
    ):
        logger.warning("job %s: agent %s %s; queued again", job.pk, job.lease_owner, why)
        runjob_send(job=job)
        return True
    return False


def runjob_release_restarted(*, credential: AgentCredential, name: str) -> list[int]:
    """An agent named `name` starts afresh, before it takes any message: the jobs this
    credential holds under that name (owners `name:<pid>`) were its killed processes'.
    Each goes back to its queue now instead of when its lease runs out. A credential
    releases only jobs it holds itself."""
    held = RunJob.objects.filter(
        state=RunJob.State.RUNNING, credential=credential, lease_owner__startswith=f"{name}:"
    )
    return [job.pk for job in held if _requeue(job, "restarted")]


def _priority(job: RunJob) -> int:
    if job.kind != RunJob.Kind.RUN:
        return job.priority
    return submission_run_priority(submission=job.submission)
