"""``python manage.py rescore [SUBMISSION ...|--all] [--candidate PATH]``

Recomputes every Result of the given submissions from the stored predictions and the sealed
labels and compares each number with the stored one exactly; lists differences per metric and
exits 1 when any Result differs or cannot be recomputed. With ``--candidate`` it instead runs
another checkout's evaluator and lists the leaderboard cells that evaluator would move.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchmarks.models import Split
from review.rescoring import result_rescore, split_moves
from review.selectors import results_for_moves, results_for_rescore


class Command(BaseCommand):
    help = "Recompute Results from stored predictions and compare them exactly."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("submissions", nargs="*", type=int, help="submission ids")
        parser.add_argument("--all", action="store_true", help="every Result")
        parser.add_argument(
            "--candidate",
            type=Path,
            help="a checkout of a candidate evaluator: show which leaderboard cells would move",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ids: list[int] = options["submissions"]
        if bool(ids) == bool(options["all"]):
            raise CommandError("name submission ids, or pass --all (not both)")
        if options["candidate"] is not None:
            self._moves(options["candidate"], None if options["all"] else ids)
            return
        results = results_for_rescore(submission_ids=None if options["all"] else ids)
        bad = 0
        count = 0
        for result in results:
            count += 1
            report = result_rescore(result=result, actor="rescore command")
            label = f"result {result.pk} (submission {result.submission_id}, {result.split})"
            if report.matches:
                self.stdout.write(f"{label}: identical")
                continue
            bad += 1
            if report.error:
                self.stdout.write(f"{label}: NOT RECOMPUTED: {report.error}")
            for diff in report.differences:
                self.stdout.write(
                    f"{label}: {diff['metric']}: stored {diff['stored']!r}, "
                    f"recomputed {diff['recomputed']!r}"
                )
        if count == 0:
            raise CommandError("no Results found for these submissions")
        if bad:
            raise CommandError(f"{bad} of {count} Results differ or could not be recomputed")
        self.stdout.write(self.style.SUCCESS(f"all {count} Results recomputed identically"))

    def _moves(self, candidate: Path, ids: list[int] | None) -> None:
        if not (candidate / "evaluator" / "__init__.py").is_file():
            raise CommandError(f"{candidate} holds no evaluator package")
        # The debug split is no leaderboard: its cells are not listed.
        splits = (
            Split.objects.select_related("track")
            .exclude(name=Split.DEBUG, visibility=Split.Visibility.PUBLIC)
            .order_by("track_id", "name")
        )
        if ids is not None:
            splits = splits.filter(results__submission_id__in=ids).distinct()
        moved_total = 0
        for split in splits:
            results = results_for_moves(split_id=split.pk)
            if ids is not None:
                results = [r for r in results if r.submission_id in ids]
            if not results:
                continue
            primary = split.track.primary_metric
            moves = split_moves(
                results=results, primary=primary, task=split.track.task, evaluator_root=candidate
            )
            for move in moves:
                if move.moved:
                    moved_total += 1
                    detail = move.error or (
                        f"{primary} {move.stored!r} -> {move.candidate!r}, "
                        f"rank {move.stored_rank} -> {move.candidate_rank}"
                    )
                    self.stdout.write(f"{split}: {move.team} / {move.method}: {detail}")
        self.stdout.write(f"{moved_total} leaderboard cells would move")
