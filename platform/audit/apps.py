from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        # Benchmark definitions change through the admin, services and importers alike; one
        # receiver per model records every change in the audit log whatever the path.
        from . import definitions

        definitions.connect()

        # An audit test's rerun is a run job; its comparison follows the outcome.
        from runs.models import RunJob
        from runs.services import register_kind

        from .conformance import rerun_job_finished

        register_kind(
            RunJob.Kind.RERUN,
            claimed=lambda job: True,
            wanted=lambda job: True,
            finished=rerun_job_finished,
        )
