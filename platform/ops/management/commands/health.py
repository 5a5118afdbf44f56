import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.health import UnknownCheck, health_run


class Command(BaseCommand):
    help = "Run health checks and exit non-zero if one fails (a probe for worker containers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", default="", help="comma-separated checks (default: all configured)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        names = [n for n in options["check"].split(",") if n] or None
        try:
            checks = health_run(names=names)
        except UnknownCheck as exc:
            raise CommandError(str(exc)) from None
        for check in checks:
            self.stdout.write(
                json.dumps({"check": check.name, "ok": check.ok, "detail": check.detail})
            )
        failed = [check.name for check in checks if not check.ok]
        if failed:
            raise CommandError(f"unhealthy: {', '.join(failed)}")
