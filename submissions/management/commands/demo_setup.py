"""Set up the demo: users, the baseline team, scored baseline submissions, published results."""

import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Team
from accounts.services import team_add_member, team_create, user_create
from benchmarks.models import Split, Track
from benchmarks.services import split_publish_results
from benchmarks.smoke_install import smoke_definitions, smoke_install
from submissions.models import Result, Status, Submission
from submissions.selectors import result_filter_shown
from submissions.services import submission_create_from_image
from submissions.sweeper import submission_requeue_stale

# Which baseline images run on which smoke track comes from benchmarks/definitions/smoke.yaml.
TRAINING_DATA = {
    "highfreq": "other: training-free",
    # Fitted or tuned on smoke *train* splits (the generators' "train" split, own seeds):
    # deploy/images/baselines/<image>/ holds each script and the seeds (docs/baselines.md).
    "freqspec": "smoke-detect",
    "cnn": "smoke-detect",
    "noi": "smoke-localize",
    "ela": "other: 4 mask parameters tuned on smoke-localize and smoke-videoinpaint train splits",
    "gem-retrieval": "other: training-free",
}


class Command(BaseCommand):
    help = "Create demo users and the baseline team, score the baselines, publish results."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wait", type=int, default=900, help="seconds to wait for scoring")

    def _ensure_user(self, username: str, *, staff: bool, credentials: list[str]) -> Any:
        user_model = get_user_model()
        existing = user_model.objects.filter(username=username).first()
        if existing is not None:
            return existing
        password = secrets.token_urlsafe(12)
        credentials.append(f"{username} / {password}")
        return user_create(username=username, password=password, is_staff=staff)

    def handle(self, *args: Any, wait: int, **options: Any) -> None:
        smoke_install()
        credentials: list[str] = []
        self._ensure_user("organizer", staff=True, credentials=credentials)
        team_member = self._ensure_user("demo-team", staff=False, credentials=credentials)
        if credentials:
            path = Path(settings.DATA_DIR) / "demo-credentials.txt"
            path.write_text("\n".join(credentials) + "\n")
            path.chmod(0o600)
            self.stdout.write(f"demo logins written to {path}")
        demo_team = Team.objects.filter(slug="demo-team").first() or team_create(name="demo-team")
        team_add_member(team=demo_team, user=team_member)
        baselines = Team.objects.filter(slug="forgerybench-baselines").first() or team_create(
            name="ForgeryBench baselines", is_baseline=True
        )
        # A previous demo may have left runs queued (e.g. the worker was stopped): resend them.
        submission_requeue_stale(older_than=timedelta(0))
        pending = []
        tracks = []
        for bdef in smoke_definitions():
            for tdef in bdef.tracks:
                track = Track.objects.get(benchmark__slug=bdef.slug, slug=tdef.slug)
                tracks.append(track)
                for baseline in tdef.baselines:
                    pk = self._submit(baselines, track, baseline.image, baseline.method)
                    if pk is not None:
                        pending.append(pk)
        self._wait_for(pending, wait)
        # Publication is an event (protocol §5): it discloses the baselines' hidden results,
        # made up to their latest submission, and nothing a team submits later; the demo
        # team's own hidden scores stay withheld until an organizer publishes again.
        for track in tracks:
            latest = (
                Submission.objects.filter(team=baselines, track=track)
                .order_by("-created_at")
                .values_list("created_at", flat=True)
                .first()
            )
            for split in track.splits.filter(visibility=Split.Visibility.HIDDEN):
                if latest is None or (
                    split.published_through and split.published_through >= latest
                ):
                    continue
                split_publish_results(
                    split=split,
                    published=True,
                    through=latest,
                    reason="demo: the baselines' hidden results",
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"baselines scored on {len(tracks)} smoke tracks; their hidden results are "
                "published (later submissions stay hidden until an organizer publishes again)"
            )
        )

    def _submit(self, team: Team, track: Track, image: str, method: str) -> int | None:
        """Queue a baseline once per track; returns the id to wait for, if it is not done."""
        existing = (
            Submission.objects.filter(team=team, track=track, method_name=method)
            .exclude(status__in=[Status.FAILED, Status.CANCELLED])
            .order_by("-created_at")
            .first()
        )
        if existing is not None and not existing.is_done:
            return existing.pk
        if existing is not None:
            # Done once its results show on every split; a result from an older platform
            # version without provenance never shows, so such a baseline is scored again.
            shown = result_filter_shown(results=Result.objects.filter(submission=existing))
            if shown.count() == track.splits.count():
                return None
        return submission_create_from_image(
            team=team,
            track=track,
            user=None,
            image_reference=f"forgerybench/baseline-{image}:latest",
            method_name=method,
            training_data=TRAINING_DATA.get(image, "none"),
        ).pk

    def _wait_for(self, submission_ids: list[int], timeout: int) -> None:
        deadline = time.monotonic() + timeout
        while submission_ids:
            states = dict(
                Submission.objects.filter(pk__in=submission_ids).values_list("pk", "status")
            )
            for pk, status in states.items():
                if status == Status.FAILED:
                    failed = Submission.objects.get(pk=pk)
                    raise CommandError(
                        f"baseline submission {pk} failed: {failed.failure_code}: "
                        f"{failed.failure_reason}\n{failed.log_tail[-2000:]}"
                    )
                if status == Status.FINISHED:
                    self.stdout.write(f"submission {pk} finished")
                    submission_ids.remove(pk)
            if time.monotonic() > deadline:
                raise CommandError(
                    f"submissions {submission_ids} did not finish in {timeout} s: is the worker up?"
                )
            time.sleep(1)
