from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "submissions"

    def ready(self) -> None:
        # Imported here, not at the top: these import models, which need the app registry.
        from accounts.join_rules import join_rule_register
        from runs.models import RunJob
        from runs.services import register_kind

        from . import ood, pipeline, team_rule

        # Joining a team obeys one person, one team per phase (accounts asks, we answer).
        join_rule_register(team_rule.team_join_refusal)
        # A submission's runs and its OOD runs are run jobs; say what each kind means here.
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
