"""`manage.py agent_credential_create NAME --queues cpu[,gpu]`: print a new agent credential
(shown once) that may claim jobs of those run queues only."""

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from runs.models import RUN_QUEUES, AgentCredential
from runs.services import (
    AgentCredentialError,
    agent_credential_create,
    agent_credential_register,
    agent_credential_rotate,
)


class Command(BaseCommand):
    help = "Create an agent credential (scoped to run jobs) and print its token once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--queues",
            help=f"comma-separated run queues whose jobs it may claim ({','.join(RUN_QUEUES)}); "
            "required for a new credential or a registered token, optional with --rotate "
            "(kept as they were when omitted). One credential per host, with that host's queues.",
        )
        parser.add_argument(
            "--output", help="write the token to this file (mode 600) instead of stdout"
        )
        parser.add_argument(
            "--token-file",
            help="register the token in this file (made by deploy/scripts/make-secrets.sh) "
            "instead of making one; NAME gets it whether it exists or not",
        )
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="if NAME exists, give it a new token (the old one stops working)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._handle(options)
        except AgentCredentialError as exc:
            raise CommandError(str(exc)) from exc

    def _handle(self, options: dict[str, Any]) -> None:
        name = options["name"]
        queues = options["queues"].split(",") if options.get("queues") is not None else None
        exists = AgentCredential.objects.filter(name=name).exists()
        if queues is None and (options.get("token_file") or not exists):
            raise CommandError(
                f"name the run queues the credential serves: --queues {','.join(RUN_QUEUES)}"
            )
        if options.get("token_file"):
            token = Path(options["token_file"]).read_text(encoding="utf-8").strip()
            if len(token) < 32:
                raise CommandError("the token file holds fewer than 32 characters")
            agent_credential_register(name=name, token=token, queues=queues or [])
            self.stdout.write(f"agent credential {name!r} registered from {options['token_file']}")
            return
        if exists:
            if not options["rotate"]:
                raise CommandError(
                    f"an agent credential named {name!r} exists; --rotate gives it a new token"
                )
            token = agent_credential_rotate(name=name, queues=queues)
        else:
            _, token = agent_credential_create(name=name, queues=queues or [])
        if options.get("output"):
            descriptor = os.open(options["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(token + "\n")
            self.stdout.write(f"agent credential {name!r} written to {options['output']}")
        else:
            self.stdout.write(token)
