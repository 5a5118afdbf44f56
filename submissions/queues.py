"""Broker queue names. Runs go to the queue of their track's resource class; every score goes
to its own queue, so a burst of queued runs never delays the results of finished ones."""

CPU_QUEUE = "cpu"
GPU_QUEUE = "gpu"
SCORE_QUEUE = "score"
ALL_QUEUES = (CPU_QUEUE, GPU_QUEUE, SCORE_QUEUE)

# The score steps' Celery tasks (``tasks``, ``ood_tasks``), queued by name from the pipeline,
# the OOD tier and the sweeper: the task modules import those, never the reverse.
SCORE_TASK = "submissions.score"
OOD_SCORE_TASK = "submissions.ood_score"
