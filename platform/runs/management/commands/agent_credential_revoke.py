"""`manage.py agent_credential_revoke NAME`: the credential stops working at once."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from runs.services import agent_credential_revoke


class Command(BaseCommand):
    help = "Revoke an agent credential."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        if not agent_credential_revoke(name=options["name"]):
            raise CommandError(f"no active agent credential named {options['name']!r}")
        self.stdout.write(f"agent credential {options['name']!r} revoked")
