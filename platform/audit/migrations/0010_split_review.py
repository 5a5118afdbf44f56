"""The audit app keeps only the log. Its other records move, rows and all, to the apps that
write them: Provenance and ResultReview to submissions (0007), the review records to review
(0001). Here they leave the audit app's state only; the receiving migrations rename the tables.
The log (audit_auditentry, its append-only trigger, audit_auditchainhead) is not touched.
"""

from django.db import migrations

MOVED = (
    "AuditTestReport",
    "Comment",
    "Objection",
    "Provenance",
    "RescoreReport",
    "ResultReview",
    "TrackAuditPolicy",
)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0009_definition_applied_action"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name=name) for name in MOVED],
        ),
    ]
