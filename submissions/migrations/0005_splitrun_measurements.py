from django.conf import settings
from django.db import migrations, models


def scrub_hidden_log_tails(apps, schema_editor):  # type: ignore[no-untyped-def]
    """A submission's log tail once joined every split's output, hidden ones included: keep
    the public splits' only (the runs keep theirs, shown to organizers)."""
    Submission = apps.get_model("submissions", "Submission")
    SplitRun = apps.get_model("submissions", "SplitRun")
    limit = settings.FORGERYBENCH_LOG_TAIL_BYTES
    with_hidden = (
        SplitRun.objects.exclude(split__visibility="public")
        .exclude(log_tail="")
        .values_list("submission_id", flat=True)
        .distinct()
    )
    for submission in Submission.objects.filter(pk__in=list(with_hidden)).exclude(log_tail=""):
        runs = SplitRun.objects.filter(submission=submission, split__visibility="public")
        tails = [f"== {run.split.name} ==\n{run.log_tail}" for run in runs.order_by("split__name")]
        submission.log_tail = "\n".join(tails)[-limit:]
        submission.save(update_fields=["log_tail"])


class Migration(migrations.Migration):
    dependencies = [
        ("submissions", "0004_splitrun_lease"),
    ]

    operations = [
        migrations.AddField(
            model_name="splitrun",
            name="output_bytes",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="splitrun",
            name="peak_memory_bytes",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(scrub_hidden_log_tails, migrations.RunPython.noop),
    ]
