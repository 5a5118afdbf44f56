from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchmarks.definitions_apply import DefinitionConflict
from benchmarks.smoke_install import smoke_install


class Command(BaseCommand):
    help = "Generate and register the four smoke benchmarks (synthetic, deterministic)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="fraction of the split sizes")

    def handle(self, *args: Any, scale: float, **options: Any) -> None:
        try:
            report = smoke_install(scale=scale)
        except DefinitionConflict as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines:
            self.stdout.write(line)
