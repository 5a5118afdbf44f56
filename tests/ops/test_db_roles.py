"""Two database roles: the owner migrates, the application role cannot touch the audit log's
protection. Raw SQL through psycopg2, connected as the application role, against the real
PostgreSQL test database."""

from collections.abc import Iterator

import psycopg2
import psycopg2.errors
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.models import AuditAction, AuditEntry
from audit.services import audit_append, audit_verify_chain
from tests.support import APP_ROLE

pytestmark = pytest.mark.django_db(transaction=True)

# What the owner can do and the application role must not (each runs in its own transaction).
REFUSED = {
    "disable the trigger": ("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only"),
    "disable every trigger": "ALTER TABLE audit_auditentry DISABLE TRIGGER ALL",
    "drop the trigger": "DROP TRIGGER audit_entry_append_only ON audit_auditentry",
    "replace the trigger function": (
        "CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger AS "
        "$$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql"
    ),
    "session_replication_role": "SET session_replication_role = replica",
    "truncate": "TRUNCATE audit_auditentry",
    "update": "UPDATE audit_auditentry SET reason = 'rewritten'",
    "delete": "DELETE FROM audit_auditentry",
    "drop the table": "DROP TABLE audit_auditentry",
    "take the table over": f"ALTER TABLE audit_auditentry OWNER TO {APP_ROLE}",
    "become the owner": "SET ROLE {owner}",
    "rename the table": "ALTER TABLE audit_auditentry RENAME TO audit_old",
    "fake a migration": (
        "INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())"
    ),
}


@pytest.fixture
def as_app(app_database_url: str) -> Iterator[psycopg2.extensions.connection]:
    conn = psycopg2.connect(app_database_url)
    yield conn
    conn.close()


def _entries(n: int) -> None:
    for i in range(n):
        audit_append(action=AuditAction.COMMENT, target_type="t", target_id=i, actor="alice")


@pytest.mark.parametrize("what", sorted(REFUSED))
def test_the_app_role_cannot_reach_the_audit_logs_protection(as_app, what: str) -> None:
    _entries(2)
    with as_app.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == APP_ROLE
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cursor.execute(REFUSED[what].format(owner=connection.settings_dict["USER"]))
    as_app.rollback()
    assert AuditEntry.objects.count() == 2
    assert audit_verify_chain() is None
    with connection.cursor() as cursor:  # the trigger is still there and on
        cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_entry_append_only'")
        assert cursor.fetchone() == ("O",)


def test_the_app_role_reads_appends_and_does_its_work(as_app) -> None:
    _entries(1)
    with as_app.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditentry")
        assert cursor.fetchone()[0] == 1
        cursor.execute("SELECT name FROM django_migrations WHERE app = 'audit' LIMIT 1")
        assert cursor.fetchone() is not None
        cursor.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, "
            "email, is_staff, is_active, date_joined) "
            "VALUES ('!', false, 'bob', '', '', '', false, true, now()) RETURNING id"
        )
        user_id = cursor.fetchone()[0]
        cursor.execute("UPDATE auth_user SET email = 'b@example.org' WHERE id = %s", [user_id])
        cursor.execute("DELETE FROM auth_user WHERE id = %s", [user_id])
        cursor.execute("SELECT seq FROM audit_auditchainhead WHERE id = 1 FOR UPDATE")
    as_app.commit()


def test_the_command_refuses_the_owner_and_unknown_roles() -> None:
    owner = connection.settings_dict["USER"]
    with pytest.raises(CommandError, match="needs a role of its own"):
        call_command("db_app_role", role=owner)
    with pytest.raises(CommandError, match="does not exist"):
        call_command("db_app_role", role="forgerybench_nobody")
    with pytest.raises(CommandError, match="name the application role"):
        call_command("db_app_role", role="")
