"""Tasks queued by name (the services never import the task modules) are the tasks a worker
registers: a renamed or undiscovered task would leave its messages unread."""

from forgerybench_site.celery import app
from notifications.services import INVITATION_TASK, SEND_TASK
from submissions.queues import OOD_SCORE_TASK, SCORE_TASK


def test_every_task_queued_by_name_is_registered_at_worker_start() -> None:
    app.loader.import_default_modules()  # what a worker does as it starts (autodiscovery)
    for name in (SCORE_TASK, OOD_SCORE_TASK, SEND_TASK, INVITATION_TASK):
        assert name in app.tasks, name
