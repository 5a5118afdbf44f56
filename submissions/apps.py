from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "submissions"

    def ready(self) -> None:
        # A submission's runs and its OOD runs are run jobs; say what each kind means here.
        from runs.models import RunJob
        from runs.services import register_kind

        from . import ood, pipeline

        register_kind(
            RunJob.Kind.RUN,
            claimed=pipeline.run_job_claimed,
            wanted=pipeline.run_job_wanted,
            finished=pipeline.run_job_finished,
            cancelled=pipeline.run_job_cancelled,
        )
        register_kind(
            RunJob.Kind.OOD,
            claimed=ood.ood_job_claimed,
            wanted=ood.ood_job_wanted,
            finished=ood.ood_job_finished,
        )
