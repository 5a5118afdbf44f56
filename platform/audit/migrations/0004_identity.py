"""Provenance records the declared model card (SHA-256) and license; a submission's identity
columns refuse UPDATE in the database, as the audit log refuses UPDATE and DELETE.

Saving a row with unchanged identity values is allowed (``IS DISTINCT FROM``), so the
pipeline's status writes and ``Model.save()`` keep working.
"""

from django.db import migrations, models

IDENTITY_COLUMNS = (
    "team_id",
    "track_id",
    "method_name",
    "training_data",
    "model_card",
    "license",
    "image_id",
    "image_reference",
    "tarball_sha256",
    "tarball_size",
    "rerun_of_id",
)
_CHANGED_PG = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in IDENTITY_COLUMNS)
_CHANGED_SQLITE = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in IDENTITY_COLUMNS)

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION submission_identity_refuse_change() RETURNS trigger AS $$
BEGIN
    IF {_CHANGED_PG} THEN
        RAISE EXCEPTION 'submission %: its identity is pinned, UPDATE refused', OLD.id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER submission_identity_pinned BEFORE UPDATE ON submissions_submission
    FOR EACH ROW EXECUTE FUNCTION submission_identity_refuse_change();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS submission_identity_pinned ON submissions_submission;
DROP FUNCTION IF EXISTS submission_identity_refuse_change();
"""
SQLITE_UP = f"""CREATE TRIGGER submission_identity_pinned BEFORE UPDATE ON submissions_submission
    WHEN {_CHANGED_SQLITE}
    BEGIN SELECT RAISE(ABORT, 'a submission''s identity is pinned'); END;"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS submission_identity_pinned;"


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_final_picks_reveal_actions"),
        ("submissions", "0003_identity_rerun_disqualify_final_picks"),
    ]

    operations = [
        migrations.AddField(
            model_name="provenance",
            name="license",
            field=models.CharField(blank=True, max_length=120),
        ),
        migrations.AddField(
            model_name="provenance",
            name="model_card_sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(up, down),
    ]
