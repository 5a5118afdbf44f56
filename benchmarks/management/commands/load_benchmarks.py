from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchmarks.definitions_apply import (
    DefinitionConflict,
    check_conflicts,
    console_definition_files,
    definitions_apply,
)
from benchmarks.spec import DEFINITIONS_DIR, DefinitionError, load_definitions


class Command(BaseCommand):
    help = (
        "Create or update benchmarks, tracks, splits and phases from the definition files "
        f"(default: every *.yaml in {DEFINITIONS_DIR.name}/, then the definitions applied from "
        "the organizer console, which replace a benchmark of the same slug). Idempotent; "
        "refuses changes that would invalidate existing results."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", type=Path, help="definition files (YAML)")
        parser.add_argument(
            "--only",
            action="append",
            default=None,
            metavar="BENCHMARK[/TRACK]",
            help="load only these benchmarks or tracks (repeatable)",
        )
        parser.add_argument("--scale", type=float, default=1.0, help="fraction of generated sizes")
        parser.add_argument(
            "--check",
            action="store_true",
            help="only check: every problem of the files, then every change that would "
            "invalidate results already scored",
        )

    def handle(
        self,
        *args: Any,
        files: list[Path],
        only: list[str] | None,
        scale: float,
        check: bool,
        **options: Any,
    ) -> None:
        try:
            definitions = load_definitions(
                files or None, overrides=None if files else console_definition_files()
            )
        except DefinitionError as exc:
            raise CommandError(str(exc)) from exc
        if check:
            problems = check_conflicts(definitions, scale=scale)
            if problems:
                raise CommandError(str(DefinitionConflict(problems)))
            tracks = sum(len(b.tracks) for b in definitions)
            self.stdout.write(f"{len(definitions)} benchmarks, {tracks} tracks: definitions OK")
            return
        try:
            report = definitions_apply(definitions, scale=scale, tracks=set(only) if only else None)
        except DefinitionConflict as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines:
            self.stdout.write(line)
        if report.awaiting_import:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(report.awaiting_import)} split(s) await their data: "
                    "see docs/benchmarks-data.md"
                )
            )
