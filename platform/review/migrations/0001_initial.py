"""The review records move from the audit app: state only, then their tables are renamed."""

import django.db.models.deletion
from django.conf import settings
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

    initial = True

    dependencies = [
        ('audit', '0010_split_review'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('accounts', '0003_team_merged_into'),
        ('benchmarks', '0008_disclosure_policy'),
        ('submissions', '0006_result_disclosure_parts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables exist (created by the audit app): take them over in the state only...
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditTestReport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('determinism', 'Determinism'), ('no_cues', 'No Cues')], max_length=16)),
                        ('outcome', models.CharField(choices=[('passed', 'Passed'), ('failed', 'Failed'), ('error', 'Error')], max_length=8)),
                        ('seed', models.BigIntegerField()),
                        ('tolerance', models.FloatField()),
                        ('subset', models.JSONField(default=list, help_text='sample ids rerun')),
                        ('moved', models.JSONField(default=list, help_text='samples whose output changed')),
                        ('summary', models.TextField()),
                        ('run_outcome', models.CharField(blank=True, max_length=40)),
                        ('image_id', models.CharField(max_length=80)),
                        ('actor', models.CharField(max_length=150)),
                        ('started_at', models.DateTimeField()),
                        ('ended_at', models.DateTimeField()),
                        ('result', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='audit_tests', to='submissions.result')),
                    ],
                    options={
                        'db_table': 'audit_audittestreport',
                        'ordering': ['-started_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Comment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('body', models.TextField()),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('result', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='audit_comments', to='submissions.result')),
                    ],
                    options={
                        'db_table': 'audit_comment',
                        'ordering': ['created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Objection',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('raised_by', models.CharField(max_length=150)),
                        ('rule', models.CharField(help_text="the protocol rule, e.g. '§5 selection'", max_length=200)),
                        ('evidence', models.TextField()),
                        ('status', models.CharField(choices=[('open', 'Open'), ('upheld', 'Upheld'), ('rejected', 'Rejected')], default='open', max_length=8)),
                        ('resolution', models.TextField(blank=True)),
                        ('resolved_by', models.CharField(blank=True, max_length=150)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('result', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='objections', to='submissions.result')),
                        ('team', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='objections', to='accounts.team')),
                    ],
                    options={
                        'db_table': 'audit_objection',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='RescoreReport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField()),
                        ('actor', models.CharField(max_length=150)),
                        ('evaluator_version', models.CharField(max_length=40)),
                        ('protocol_version', models.PositiveSmallIntegerField()),
                        ('matches', models.BooleanField()),
                        ('differences', models.JSONField(default=list)),
                        ('error', models.TextField(blank=True)),
                        ('result', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='rescores', to='submissions.result')),
                    ],
                    options={
                        'db_table': 'audit_rescorereport',
                        'ordering': ['-at'],
                    },
                ),
                migrations.CreateModel(
                    name='TrackAuditPolicy',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('subset_size', models.PositiveIntegerField(default=16)),
                        ('tolerance', models.FloatField(default=1e-06, help_text='largest per-sample score difference a rerun may show')),
                        ('mask_tolerance', models.FloatField(default=0.0, help_text="largest fraction of a mask's pixels (binarized at v >= 128) a rerun may flip")),
                        ('track', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='audit_policy', to='benchmarks.track')),
                    ],
                    options={
                        'db_table': 'audit_trackauditpolicy',
                    },
                ),
            ],
        ),
        # ...then rename them to this app's names: every row stays.
        migrations.AlterModelTable(name='audittestreport', table=None),
        migrations.AlterModelTable(name='comment', table=None),
        migrations.AlterModelTable(name='objection', table=None),
        migrations.AlterModelTable(name='rescorereport', table=None),
        migrations.AlterModelTable(name='trackauditpolicy', table=None),
        _relabel_content_types('review', ("audittestreport", "comment", "objection", "rescorereport", "trackauditpolicy",)),
    ]
