"""Publication becomes an event: ``Split.published_through`` replaces the on/off switch, and
phases carry their disclosure policy (publish mode, schedule, public part)."""

from django.db import migrations, models
from django.utils import timezone


def switch_to_moment(apps, schema_editor):  # type: ignore[no-untyped-def]
    # A split published before this change discloses what was submitted up to now.
    Split = apps.get_model("benchmarks", "Split")
    Split.objects.filter(results_published=True).update(published_through=timezone.now())


def moment_to_switch(apps, schema_editor):  # type: ignore[no-untyped-def]
    Split = apps.get_model("benchmarks", "Split")
    Split.objects.filter(published_through__isnull=False).update(results_published=True)


class Migration(migrations.Migration):
    dependencies = [("benchmarks", "0007_terms")]

    operations = [
        migrations.AddField(
            model_name="split",
            name="published_through",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(switch_to_moment, moment_to_switch),
        migrations.RemoveField(model_name="split", name="results_published"),
        migrations.AddField(
            model_name="phase",
            name="publish",
            field=models.CharField(
                choices=[("organizer", "Organizer"), ("at_end", "At End")],
                default="organizer",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="phase",
            name="publication_schedule",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="phase",
            name="public_fraction",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="phase",
            name="public_seed",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
