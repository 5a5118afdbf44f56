"""Two PostgreSQL roles: the owner runs migrations, the application runs with less.

The owner role owns every table (it runs ``migrate``). The application role — the one in the
``DATABASE_URL`` of web, workers and beat — gets row rights on the tables and nothing that
reaches the audit log's protection: it does not own ``audit_auditentry``, so it cannot disable,
alter or drop the append-only trigger, and it has no ``UPDATE``, ``DELETE`` or ``TRUNCATE`` on
that table. ``db_app_role_grant`` runs as the owner, right after ``migrate`` (deploy/compose.yaml's
``migrate`` service, the Kubernetes migrate Job, the test setup), and is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction
from psycopg2 import sql

# Tables the application may only read and append to (their rows are evidence).
APPEND_ONLY_TABLES = ("audit_auditentry",)
# Tables the application may only read.
READ_ONLY_TABLES = ("django_migrations",)


class DbRoleError(RuntimeError):
    """The application role cannot be set up as asked; the message says what to do."""


@dataclass
class GrantReport:
    role: str
    created: bool = False
    password_set: bool = False
    tables: int = 0
    notes: list[str] = field(default_factory=list)


def _sql(template: str, *names: str) -> sql.Composed:
    """A statement with quoted identifiers (role, schema and table names are never pasted)."""
    return sql.SQL(template).format(*(sql.Identifier(name) for name in names))


def _fetch_one(query: str, params: list[str] | None = None) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()


def _refuse_powerful(role: str, owner: str) -> None:
    found = _fetch_one(
        "SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = %s", [role]
    )
    assert found is not None
    superuser, createrole, bypassrls = found
    if superuser or createrole or bypassrls:
        raise DbRoleError(
            f"role {role!r} is a superuser or may create roles or bypass row security: "
            "the application role must be an ordinary LOGIN role"
        )
    member = _fetch_one("SELECT pg_has_role(%s, %s, 'MEMBER')", [role, owner])
    if member and member[0]:
        raise DbRoleError(
            f"role {role!r} is a member of the owner {owner!r} (it could SET ROLE to it): "
            f"REVOKE {owner} FROM {role}"
        )
    owned = _fetch_one(
        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tableowner = %s",
        [role],
    )
    if owned and owned[0]:
        raise DbRoleError(
            f"role {role!r} owns {owned[0]} tables: run migrations as the owner role, and "
            f"REASSIGN OWNED BY {role} TO {owner}"
        )


def db_app_role_grant(*, role: str, password: str | None = None) -> GrantReport:
    """Create (where allowed) and grant the application role; run as the owner role."""
    if connection.vendor != "postgresql":
        report = GrantReport(role=role)
        report.notes.append(f"{connection.vendor}: one file, no roles; nothing to grant")
        return report
    if not role:
        raise DbRoleError("name the application role (--role or FORGERYBENCH_DB_APP_ROLE)")
    report = GrantReport(role=role)
    ident = sql.Identifier(role)
    with transaction.atomic():
        current = _fetch_one("SELECT current_user, current_schema(), current_database()")
        assert current is not None
        owner, schema, database = current
        if role == owner:
            raise DbRoleError(
                f"{role!r} is the role running this command (the owner): the application "
                "needs a role of its own"
            )
        exists = _fetch_one("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]) is not None
        rights = _fetch_one(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
        )
        may_manage_roles = bool(rights and rights[0])
        with connection.cursor() as cursor:
            if not exists:
                if password is None or not may_manage_roles:
                    raise DbRoleError(
                        f"role {role!r} does not exist: create it as a database superuser "
                        f"(CREATE ROLE {role} LOGIN PASSWORD '…'), or give this command "
                        "--password-file and an owner that may create roles"
                    )
                cursor.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD %s").format(ident), [password]
                )
                report.created = True
            elif password is not None:
                if not may_manage_roles:
                    raise DbRoleError(
                        f"the owner may not change {role!r}'s password: set it as a superuser"
                    )
                cursor.execute(sql.SQL("ALTER ROLE {} PASSWORD %s").format(ident), [password])
                report.password_set = True
            _refuse_powerful(role, owner)
            statements = [
                _sql("GRANT CONNECT ON DATABASE {} TO {}", database, role),
                _sql("GRANT USAGE ON SCHEMA {} TO {}", schema, role),
                _sql(
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}",
                    schema,
                    role,
                ),
                _sql(
                    "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {} TO {}", schema, role
                ),
            ]
            statements += [
                _sql("REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {} FROM {}", t, role)
                for t in APPEND_ONLY_TABLES
            ]
            statements += [
                _sql("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {} FROM {}", t, role)
                for t in READ_ONLY_TABLES
            ]
            for statement in statements:
                cursor.execute(statement)
            cursor.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tableowner = %s",
                [schema, owner],
            )
            counted = cursor.fetchone()
            report.tables = counted[0] if counted else 0
    return report
