"""Provenance and ResultReview move from the audit app: state only, then their tables are renamed."""

import django.db.models.deletion
from django.db import migrations, models


def _relabel_content_types(app_label: str, names: tuple[str, ...]):
    """Keep the content types (and any permission granted through them) of the moved models."""

    def forwards(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for model in names:
            if not ContentType.objects.filter(app_label=app_label, model=model).exists():
                ContentType.objects.filter(app_label="audit", model=model).update(
                    app_label=app_label
                )

    def backwards(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for model in names:
            if not ContentType.objects.filter(app_label="audit", model=model).exists():
                ContentType.objects.filter(app_label=app_label, model=model).update(
                    app_label="audit"
                )

    return migrations.RunPython(forwards, backwards)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0010_split_review'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('benchmarks', '0008_disclosure_policy'),
        ('submissions', '0006_result_disclosure_parts'),
    ]

    operations = [
        # The tables exist (created by the audit app): take them over in the state only...
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Provenance',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('image_id', models.CharField(max_length=80)),
                        ('image_digest', models.CharField(blank=True, max_length=200)),
                        ('image_reference', models.CharField(blank=True, max_length=200)),
                        ('tarball_sha256', models.CharField(blank=True, max_length=64)),
                        ('tarball_size', models.BigIntegerField(blank=True, null=True)),
                        ('method_name', models.CharField(max_length=120)),
                        ('training_data', models.CharField(max_length=200)),
                        ('model_card_sha256', models.CharField(blank=True, max_length=64)),
                        ('license', models.CharField(blank=True, max_length=120)),
                        ('manifest_sha256', models.CharField(max_length=64)),
                        ('labels_sha256', models.CharField(max_length=64)),
                        ('sample_count', models.PositiveIntegerField()),
                        ('protocol_version', models.PositiveSmallIntegerField()),
                        ('evaluator_version', models.CharField(max_length=40)),
                        ('evaluator_commit', models.CharField(blank=True, max_length=40)),
                        ('metric_settings', models.JSONField(default=dict)),
                        ('bootstrap_seed', models.BigIntegerField()),
                        ('worker_host', models.CharField(max_length=200)),
                        ('engine_host', models.CharField(blank=True, max_length=200)),
                        ('gpu_model', models.CharField(blank=True, max_length=200)),
                        ('gpu_driver', models.CharField(blank=True, max_length=80)),
                        ('runtime_flags', models.JSONField(default=dict)),
                        ('container_id', models.CharField(blank=True, max_length=80)),
                        ('exit_code', models.IntegerField(blank=True, null=True)),
                        ('run_outcome', models.CharField(blank=True, max_length=40)),
                        ('step_times', models.JSONField(default=dict)),
                        ('predictions_path', models.CharField(max_length=500)),
                        ('predictions_sha256', models.CharField(max_length=64)),
                        ('predictions_size', models.BigIntegerField()),
                        ('units_path', models.CharField(blank=True, max_length=500)),
                        ('units_sha256', models.CharField(blank=True, max_length=64)),
                        ('metrics_sha256', models.CharField(max_length=64)),
                        ('complete', models.BooleanField(default=False)),
                        ('missing', models.JSONField(default=list)),
                        ('created_at', models.DateTimeField()),
                        ('result', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='provenance', to='submissions.result')),
                        ('split', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='benchmarks.split')),
                    ],
                    options={
                        'db_table': 'audit_provenance',
                    },
                ),
                migrations.CreateModel(
                    name='ResultReview',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('unverified', 'Unverified'), ('verified', 'Verified'), ('flagged', 'Flagged'), ('removed', 'Removed')], default='unverified', max_length=12)),
                        ('reason', models.TextField(blank=True)),
                        ('changed_by', models.CharField(blank=True, max_length=150)),
                        ('changed_at', models.DateTimeField(blank=True, null=True)),
                        ('result', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='review', to='submissions.result')),
                    ],
                    options={
                        'db_table': 'audit_resultreview',
                    },
                ),
            ],
        ),
        # ...then rename them to this app's names: every row stays.
        migrations.AlterModelTable(name='provenance', table=None),
        migrations.AlterModelTable(name='resultreview', table=None),
        _relabel_content_types('submissions', ("provenance", "resultreview",)),
    ]
