"""``python manage.py verify_audit_log``: walk the hash chain, name the first broken entry.

Also checks that every Result still holds the numbers its ``result_written`` entry pinned
(``--chain-only`` skips that). Exits 1 on any finding.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.models import AuditChainHead
from audit.selectors import results_logged_mismatch
from audit.services import audit_verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain and the Results it pins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain-only", action="store_true", help="skip the Result check")

    def handle(self, *args: Any, **options: Any) -> None:
        broken = audit_verify_chain()
        if broken is not None:
            raise CommandError(str(broken))
        head = AuditChainHead.objects.filter(pk=1).first()
        seq, last = (head.seq, head.last_hash) if head else (0, "")
        self.stdout.write(f"audit log intact: {seq} entries, head #{seq} {last}")
        if options["chain_only"]:
            return
        problems = results_logged_mismatch()
        for problem in problems:
            self.stdout.write(f"result {problem['result']}: {problem['problem']}")
        if problems:
            raise CommandError(f"{len(problems)} Results do not match the log")
        self.stdout.write(self.style.SUCCESS("every Result matches the numbers the log pinned"))
