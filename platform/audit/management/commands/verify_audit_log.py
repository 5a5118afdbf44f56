"""``python manage.py verify_audit_log``: walk the hash chain, name the first broken entry.

Then asks the apps above (``audit.signals.log_verifying``) to check the rows the log pinned:
every Result still holds the numbers its ``result_written`` entry pinned (``--chain-only``
skips that). ``--against FILE`` (repeatable) checks the log still holds the
chain head published in an old leaderboard export or anchor document: the proof that history
was not rewritten, even by the database owner. With FORGERYBENCH_AUDIT_HMAC_KEY set, the
stored head's HMAC is checked too. Exits 1 on any finding.
"""

from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.anchor import AnchorError, anchor_read
from audit.selectors import audit_anchor_current
from audit.services import (
    audit_seal_head,
    audit_verify_against,
    audit_verify_chain,
    audit_verify_head_mac,
)
from audit.signals import log_verifying


class Command(BaseCommand):
    help = "Verify the audit log's hash chain, its published heads and the Results it pins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain-only", action="store_true", help="skip the Result check")
        parser.add_argument(
            "--against",
            action="append",
            default=[],
            metavar="EXPORT",
            help="an earlier leaderboard export (CSV/JSON) or /audit/head.json; repeatable",
        )
        parser.add_argument(
            "--seal",
            action="store_true",
            help="after the checks pass, record the head's HMAC under the configured key",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchors = []
        for name in options["against"]:
            try:
                anchors.append((name, anchor_read(Path(name).read_bytes(), name=name)))
            except OSError as exc:
                raise CommandError(f"cannot read {name}: {exc.strerror or exc}") from None
            except AnchorError as exc:
                raise CommandError(str(exc)) from None
        broken = audit_verify_chain()
        if broken is not None:
            raise CommandError(str(broken))
        head = audit_anchor_current()
        self.stdout.write(f"audit log intact: {head.seq} entries, head #{head.seq} {head.head}")
        for name, anchor in anchors:
            problem = audit_verify_against(anchor)
            if problem is not None:
                raise CommandError(f"{name}: {problem}")
            self.stdout.write(f"{name}: history up to #{anchor.seq} is as published")
        if options["seal"]:
            sealed = audit_seal_head()
            self.stdout.write(f"head #{sealed.seq} sealed: hmac {sealed.hmac}")
        problem = audit_verify_head_mac()
        if problem is not None:
            raise CommandError(problem)
        if head.hmac and settings.FORGERYBENCH_AUDIT_HMAC_KEY:
            self.stdout.write("the head's HMAC matches the configured key")
        elif head.hmac:
            self.stdout.write("the head carries an HMAC; set the key to check it")
        if options["chain_only"]:
            return
        problems = [
            finding
            for _, findings in log_verifying.send(sender=self.__class__)
            for finding in cast(list[str], findings)
        ]
        for finding in problems:
            self.stdout.write(finding)
        if problems:
            raise CommandError(f"{len(problems)} Results do not match the log")
        self.stdout.write(self.style.SUCCESS("every Result matches the numbers the log pinned"))
