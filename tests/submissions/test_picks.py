"""Final picks: who may pick what and when, the automatic default, and the organizer's reveal."""

import functools
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.services import team_create
from audit.models import AuditAction, AuditEntry
from benchmarks.models import Phase
from runs.models import RunJob
from submissions.models import FinalPick, SplitRun, Submission
from submissions.picks import (
    PickForbidden,
    PickRefused,
    final_pick_add,
    final_pick_remove,
    phase_reveal,
)
from tests.submissions.test_picks_support import queued, scored, tiny_benchmark

pytestmark = pytest.mark.django_db


def _refused(code: str, match: str):  # type: ignore[no-untyped-def]
    class Check:
        def __enter__(self):  # type: ignore[no-untyped-def]
            self.raises = pytest.raises(PickRefused, match=match)
            self.info = self.raises.__enter__()
            return self

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            handled = self.raises.__exit__(*exc)
            assert self.info.value.code == code
            return handled

    return Check()


def test_a_team_picks_up_to_the_phase_limit_with_a_named_refusal_for_each_rule(people) -> None:
    board = tiny_benchmark(picks=2)
    one, two, three = (scored(board, people.team, f"m{i}", 0.6 + i / 10) for i in (1, 2, 3))
    phase = board.phase
    final_pick_add(phase=phase, submission=one, user=people.owner)
    final_pick_add(phase=phase, submission=two, user=people.teammate)
    with _refused("too_many_picks", r"too many picks: Team Owl has picked 2 of 2.*unpick one"):
        final_pick_add(phase=phase, submission=three, user=people.owner)
    with _refused("already_picked", "already a final pick"):
        final_pick_add(phase=phase, submission=one, user=people.owner)
    with pytest.raises(PickForbidden, match="not your team"):
        final_pick_remove(phase=phase, submission=one, user=people.outsider)
    final_pick_remove(phase=phase, submission=one, user=people.teammate)
    final_pick_add(phase=phase, submission=three, user=people.owner)
    assert set(FinalPick.objects.values_list("submission_id", flat=True)) == {two.pk, three.pk}
    picked = AuditEntry.objects.filter(action=AuditAction.FINAL_PICKED)
    assert picked.count() == 3 and {e.actor for e in picked} == {"owner", "teammate"}
    assert AuditEntry.objects.filter(action=AuditAction.FINAL_UNPICKED).count() == 1


def test_unfinished_disqualified_and_foreign_submissions_cannot_be_picked(people) -> None:
    board = tiny_benchmark()
    with _refused("not_finished", r"is queued: only finished ones can be picked"):
        final_pick_add(
            phase=board.phase, submission=queued(board, people.team, "q"), user=people.owner
        )
    bad = scored(board, people.team, "bad", 0.9)
    Submission.objects.filter(pk=bad.pk).update(disqualified_at=timezone.now())
    bad.refresh_from_db()
    with _refused("disqualified", "is disqualified"):
        final_pick_add(phase=board.phase, submission=bad, user=people.owner)
    other = scored(board, team_create(name="Cats", owner=people.outsider), "cat", 0.7)
    with pytest.raises(PickForbidden, match="not your team: only members of Cats"):
        final_pick_add(phase=board.phase, submission=other, user=people.owner)
    assert FinalPick.objects.count() == 0


def test_picks_close_with_the_phase_and_at_the_reveal(people) -> None:
    board = tiny_benchmark()
    mine = scored(board, people.team, "m", 0.8)
    ended = timezone.now() - timedelta(minutes=1)
    Phase.objects.filter(pk=board.phase.pk).update(ends_at=ended)
    board.phase.refresh_from_db()
    with _refused("phase_closed", r"phase 'open' is closed: it ended at \d{4}-\d\d-\d\d"):
        final_pick_add(phase=board.phase, submission=mine, user=people.owner)
    Phase.objects.filter(pk=board.phase.pk).update(ends_at=None, revealed_at=timezone.now())
    board.phase.refresh_from_db()
    with _refused("phase_closed", "out-of-distribution results were revealed"):
        final_pick_add(phase=board.phase, submission=mine, user=people.owner)


def test_the_reveal_fills_defaults_queues_ood_runs_for_picks_only_and_is_audited(
    people, django_capture_on_commit_callbacks
) -> None:
    board = tiny_benchmark(picks=3)
    chosen = scored(board, people.team, "chosen", 0.55)
    ignored = scored(board, people.team, "ignored", 0.95)  # better on test, but not picked
    final_pick_add(phase=board.phase, submission=chosen, user=people.owner)
    cats = team_create(name="Cats", owner=people.outsider)
    # (test, val): the automatic picks follow val, never the hidden test numbers.
    cat_scores = {"c-worst": (0.51, 0.6), "c-best": (0.93, 0.9), "c-second": (0.88, 0.7)}
    cat_scores["c-test-only"] = (0.99, 0.55)  # best on test, worst on val: not picked
    cat = {name: scored(board, cats, name, *values) for name, values in cat_scores.items()}
    with pytest.raises(PickForbidden, match="only organizers"):
        phase_reveal(phase=board.phase, user=people.owner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = phase_reveal(phase=board.phase, user=people.organizer, reason="phase over")
    # Cats chose nothing: its best two on val (chosen without the hidden labels), automatic.
    automatic = FinalPick.objects.filter(team=cats)
    assert {p.submission_id for p in automatic} == {cat["c-best"].pk, cat["c-second"].pk}
    assert all(p.automatic and p.picked_by is None for p in automatic)
    assert report.automatic == 2 and report.picks == 3 and report.runs_queued == 3
    ood = board.splits["ood"]
    queued_runs = SplitRun.objects.filter(split=ood)
    assert {r.submission_id for r in queued_runs} == {
        chosen.pk,
        cat["c-best"].pk,
        cat["c-second"].pk,
    }
    assert {r.outcome for r in queued_runs} == {"queued"}
    assert not SplitRun.objects.filter(submission=ignored).exists()
    # Each pick's OOD run job (for the agents), and the audit tests on its val and test
    # results, planned by a Django worker on the score queue.
    jobs = RunJob.objects.filter(kind="ood", split=ood)
    assert {(j.submission_id, j.state, j.queue) for j in jobs} == {
        (chosen.pk, "queued", "cpu"),
        (cat["c-best"].pk, "queued", "cpu"),
        (cat["c-second"].pk, "queued", "cpu"),
    }
    sent = [
        (cb.func.__self__.name, cb.args[0], cb.keywords)  # type: ignore[attr-defined]
        for cb in callbacks
        if isinstance(cb, functools.partial)
    ]
    audit = [(args, kw) for name, args, kw in sent if name == "audit.run_tests"]
    assert len(audit) == 6 and {args[1] for args, _ in audit} == {"system"}
    assert {kw["queue"] for _, kw in audit} == {"score"}
    board.phase.refresh_from_db()
    assert board.phase.revealed_at is not None and board.phase.revealed_by == people.organizer
    ood.refresh_from_db()
    assert ood.published_through is not None
    entry = AuditEntry.objects.get(action=AuditAction.OOD_REVEALED)
    assert entry.actor == "organizer" and entry.reason == "phase over"
    assert entry.payload["runs_queued"] == 3 and entry.payload["automatic"] == 2
    assert AuditEntry.objects.filter(
        action=AuditAction.RESULTS_PUBLISHED, target_type="split", target_id=str(ood.pk)
    ).exists()
    # A second reveal changes nothing but re-sends what is still queued.
    again = phase_reveal(phase=board.phase, user=people.organizer, reason="again")
    assert not again.first_reveal and again.runs_resent == 3
    assert AuditEntry.objects.filter(action=AuditAction.OOD_REVEALED).count() == 1


def test_a_disqualified_pick_is_not_run_and_non_detection_tracks_skip_audit_tests(
    people,
) -> None:
    board = tiny_benchmark(task="retrieval", metric="r@1")
    keep = scored(board, people.team, "keep", 0.7)
    dropped = scored(board, people.team, "dropped", 0.8)
    for submission in (keep, dropped):
        final_pick_add(phase=board.phase, submission=submission, user=people.owner)
    Submission.objects.filter(pk=dropped.pk).update(disqualified_at=timezone.now())
    report = phase_reveal(phase=board.phase, user=people.organizer, reason="end")
    assert report.runs_queued == 1 and report.audit_tests_queued == 0
    (skipped,) = report.skipped
    assert skipped.startswith(f"#{keep.pk}: audit tests support detection")
    assert skipped.endswith("tracks, not retrieval")
    assert list(SplitRun.objects.values_list("submission_id", flat=True)) == [keep.pk]


def test_the_picks_page_and_buttons_per_role(people) -> None:
    board = tiny_benchmark()
    mine = scored(board, people.team, "mine", 0.8)
    owner, outsider = Client(), Client()
    owner.force_login(people.owner)
    outsider.force_login(people.outsider)
    page = owner.get(f"/submissions/picks/{people.team.slug}/").content.decode()
    assert "Pick as final" in page and "No picks yet" in page
    assert outsider.get(f"/submissions/picks/{people.team.slug}/").status_code == 404
    url = f"/submissions/picks/phase/{board.phase.pk}/{mine.pk}/"
    assert outsider.post(url, {"action": "pick"}).status_code == 404
    detail = owner.get(f"/submissions/{mine.pk}/").content.decode()
    assert 'id="final-picks"' in detail and "Pick as final</button> for phase Open" in detail
    assert 'id="final-picks"' not in outsider.get(f"/submissions/{mine.pk}/").content.decode()
    response = owner.post(url, {"action": "pick", "next": f"/submissions/{mine.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/submissions/{mine.pk}/"
    assert FinalPick.objects.filter(submission=mine, picked_by=people.owner).exists()
    detail = owner.get(f"/submissions/{mine.pk}/").content.decode()
    assert "Unpick</button> for phase Open" in detail
    page = owner.get(f"/submissions/picks/{people.team.slug}/").content.decode()
    assert "Picked (1 of 2)" in page and "Unpick" in page
    # A refusal is shown, not swallowed.
    Phase.objects.filter(pk=board.phase.pk).update(revealed_at=timezone.now())
    page = owner.post(url, {"action": "unpick"}, follow=True).content.decode()
    assert "Not changed: phase &#x27;open&#x27; is closed" in page
    assert FinalPick.objects.filter(submission=mine).exists()
    team_page = owner.get(f"/teams/{people.team.slug}/").content.decode()
    assert 'id="final-picks-link"' in team_page
