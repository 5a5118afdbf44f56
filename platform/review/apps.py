from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review"

    def ready(self) -> None:
        from audit import definitions
        from runs.models import RunJob
        from runs.services import register_kind

        from . import receivers
        from .models import TrackAuditPolicy
        from .tasks import rerun_job_finished

        # A track's audit-test policy is part of its definition: log every change.
        definitions.watch(TrackAuditPolicy)
        # An audit test's rerun is a run job; its comparison follows the outcome.
        register_kind(
            RunJob.Kind.RERUN,
            claimed=lambda job: True,
            wanted=lambda job: True,
            finished=rerun_job_finished,
        )
        receivers.connect()
