"""``python manage.py db_app_role``: grant the application's database role, as the owner.

Run right after ``migrate``, by the same (owner) role: ``migrate && db_app_role``. The role
name comes from ``--role`` or FORGERYBENCH_DB_APP_ROLE; ``--password-file`` (or
FORGERYBENCH_DB_APP_PASSWORD_FILE) creates the role or sets its password where the owner may.
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.dbroles import DbRoleError, db_app_role_grant


class Command(BaseCommand):
    help = "Grant the application role row rights, none over the audit log's protection."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", default=settings.FORGERYBENCH_DB_APP_ROLE)
        parser.add_argument("--password-file", default=settings.FORGERYBENCH_DB_APP_PASSWORD_FILE)

    def handle(self, *args: Any, **options: Any) -> None:
        password = None
        if options["password_file"]:
            try:
                password = Path(options["password_file"]).read_text().strip()
            except OSError as exc:
                raise CommandError(f"cannot read the password file: {exc}") from None
            if not password:
                raise CommandError(f"{options['password_file']} is empty")
        try:
            report = db_app_role_grant(role=options["role"], password=password)
        except DbRoleError as exc:
            raise CommandError(str(exc)) from None
        for note in report.notes:
            self.stdout.write(note)
        if report.tables:
            made = " (created)" if report.created else ""
            self.stdout.write(
                f"role {report.role}{made}: row rights on {report.tables} tables; "
                "the audit log is read and append only"
            )
