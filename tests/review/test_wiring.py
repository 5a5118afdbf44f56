"""How the review app hooks into the layers below it: its tasks reach the worker under their
old names, and its own definition model is logged by the audit log's receivers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from audit.models import AuditAction, AuditEntry
from review.models import TrackAuditPolicy

ROOT = Path(__file__).resolve().parents[2]

REGISTERED = """
import django
from forgerybench_site.celery import app
django.setup()
app.loader.import_default_modules()
print(" ".join(sorted(name for name in app.tasks if not name.startswith("celery."))))
"""


def test_the_worker_app_registers_the_audit_tasks_under_their_old_names() -> None:
    """Messages queued before the review app existed name ``audit.run_tests`` and
    ``audit.finish_rerun``: the worker's app (``-A forgerybench_site``) must still know them."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'platform'}"}
    out = subprocess.run(
        [sys.executable, "-c", REGISTERED],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    assert {"audit.run_tests", "audit.finish_rerun", "submissions.ood_score"} <= set(out), out


@pytest.mark.django_db
def test_a_track_audit_policy_change_is_logged_as_a_definition_change(smoke_track) -> None:  # type: ignore[no-untyped-def]
    policy = TrackAuditPolicy.objects.create(track=smoke_track, subset_size=4)
    policy.tolerance = 0.5
    policy.save()
    entries = list(
        AuditEntry.objects.filter(
            action=AuditAction.DEFINITION_CHANGED,
            target_type="trackauditpolicy",
            target_id=str(policy.pk),
        ).order_by("seq")
    )
    assert [e.payload["change"] for e in entries] == ["created", "updated"]
    assert entries[1].payload["after"] == {"tolerance": 0.5}
