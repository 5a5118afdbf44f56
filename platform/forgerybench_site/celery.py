"""The Celery app. Queues: `gpu` (runs on GPU tracks), `cpu` (CPU runs), `score` (scoring)."""

import os

from celery import Celery
from kombu import Queue

from lib.logs import install_record_factory

# Before any worker logs: Celery's log format names each record's submission.
install_record_factory()

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forgerybench_site.settings")

app = Celery("forgerybench")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("cpu"), Queue("gpu"), Queue("score"))
app.autodiscover_tasks(["submissions", "notifications", "review"])
# The OOD tier's tasks live in their own module.
app.autodiscover_tasks(["submissions"], related_name="ood_tasks")
