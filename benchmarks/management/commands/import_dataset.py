from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchmarks.dataset_import import dataset_import
from benchmarks.definitions_apply import DefinitionConflict
from benchmarks.importers import IMPORTERS
from benchmarks.keys import EmptyIdKey
from benchmarks.spec import DefinitionError, load_definitions


class Command(BaseCommand):
    help = (
        "Import an organizer's copy of a dataset (in its real layout) into every split the "
        "benchmark definitions fill from it; see docs/benchmarks-data.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(IMPORTERS), help="the dataset's importer")
        parser.add_argument("--root", type=Path, required=True, help="the dataset's top folder")
        parser.add_argument("--benchmark", help="only this benchmark's tracks")
        parser.add_argument("--track", help="only this track (with --benchmark)")
        parser.add_argument(
            "--definitions", type=Path, nargs="*", default=None, help="definition files"
        )
        parser.add_argument(
            "--id-key",
            default=None,
            help="secret mixed into the sample ids, so they cannot be recomputed from public "
            "file names (default: this installation's own key, kept with the labels); "
            "never empty",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bars")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            definitions = load_definitions(o["definitions"])
            report = dataset_import(
                o["kind"],
                root=o["root"],
                definitions=definitions,
                benchmark=o["benchmark"],
                track=o["track"],
                id_key=o["id_key"],
                quiet=o["quiet"] or not self.stdout.isatty(),
            )
        except (DefinitionError, DefinitionConflict, EmptyIdKey) as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines:
            self.stdout.write(line)
        if report.problems:
            raise CommandError(f"{len(report.problems)} problem(s):\n" + "\n".join(report.problems))
