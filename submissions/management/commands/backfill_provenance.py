from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from submissions.backfill import result_backfill_provenance, results_lacking_provenance


class Command(BaseCommand):
    help = (
        "Write provenance for results scored before provenance existed, from what is still "
        "known (submission, split hashes, run record, stored predictions). Every such record "
        "is incomplete and lists what cannot be recovered, so those results stay off the "
        "leaderboards until rerun. Each record is an audit log entry."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("submissions", nargs="*", type=int, help="only these submission ids")
        parser.add_argument("--dry-run", action="store_true", help="list, write nothing")

    def handle(self, *args: Any, submissions: list[int], dry_run: bool, **options: Any) -> None:
        results = list(results_lacking_provenance(submission_ids=submissions or None))
        if not results:
            self.stdout.write("every result has a provenance record")
            return
        for result in results:
            where = f"result {result.pk} (submission {result.submission_id}, {result.split.name})"
            if dry_run:
                self.stdout.write(f"{where}: would backfill")
                continue
            provenance = result_backfill_provenance(result=result)
            self.stdout.write(
                f"{where}: backfilled, incomplete; missing: {'; '.join(provenance.missing)}"
            )
        verb = "would backfill" if dry_run else "backfilled"
        self.stdout.write(self.style.SUCCESS(f"{verb} {len(results)} result(s)"))
