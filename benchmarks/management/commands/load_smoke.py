from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from benchmarks.smoke_install import smoke_detect_install


class Command(BaseCommand):
    help = "Generate and register the Smoke-Detect benchmark (synthetic, deterministic)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="fraction of the split sizes")

    def handle(self, *args: Any, scale: float, **options: Any) -> None:
        benchmark = smoke_detect_install(scale=scale)
        for track in benchmark.tracks.all():
            for split in track.splits.all():
                self.stdout.write(
                    f"{benchmark.slug}/{track.slug}/{split.name}: {split.sample_count} samples, "
                    f"{split.visibility}, manifest sha256 {split.inputs_sha256[:12]}"
                )
