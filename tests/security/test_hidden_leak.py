"""Hidden means hidden: what a team can learn of a hidden run is bounded.

A real container reads a secret from the hidden split's inputs and tries every channel a team
sees: logs, failure reasons (unknown ids and bad values the validator could quote), the outcome
and exit code, wall time, peak memory and bytes written. The test collects everything the team
and an outsider are shown (page, API, logs, results) and checks: the secret appears nowhere;
two secrets that steer every measurement differently (the organizer's exact view proves the
container did) give the team the same view; each field the team sees comes from the fixed,
banded vocabulary, whose size is the leak bound stated in docs/security.md.
"""

import json
import math
from pathlib import Path

import pytest
from django.test import Client

from submissions.models import Status, Submission
from submissions.run_disclosure import (
    COUNT_BANDS,
    EXIT_BANDS,
    hidden_view_bits,
    hidden_view_count,
    leak_bound_bits,
    outcome_vocabulary,
    timing_bits,
)

pytestmark = [pytest.mark.docker, pytest.mark.django_db]

# docs/security.md: what a hidden run shows carries at most this many bits, plus the timing
# channel's log2(timeout + 1); on a 300 s track the whole is at most 21.6 bits.
SHOWN_BITS_BOUND = 13.3
SMOKE_TOTAL_BOUND = 21.6


def _team_sees(submission: Submission, user) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    parts = [client.get(f"/submissions/{submission.pk}/").content.decode()]
    for path in ("", "results/", "logs/"):
        response = client.get(f"/api/v1/submissions/{submission.pk}/{path}")
        parts.append(response.content.decode())
    return "\n".join(parts)


def _hidden_view(submission: Submission, user) -> dict:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    runs = client.get(f"/api/v1/submissions/{submission.pk}/logs/").json()["runs"]
    (run,) = [r for r in runs if r["split"] == "test"]
    return run


def _attack(arena, submit, test_image, *, secret: str, mode: str) -> Submission:  # type: ignore[no-untyped-def]
    inputs = Path(arena.detect.splits.get(name="test").inputs_dir)
    (inputs / "images" / "d0.png").write_text(secret)
    (inputs / "mode").write_text(mode)
    return submit(test_image("attack-exfil"))


def test_a_hidden_run_shows_only_banded_measurements(
    arena, submit, test_image, record_attack, no_leftovers
) -> None:
    record = record_attack(
        20,
        "carry hidden input bytes out: print them, write them as unknown ids and bad "
        "scores, exit with them, and scale sleep, memory and output size by them",
        "the team sees banded measurements only; two secrets give the same view",
    )
    people = arena.people
    secrets = ("a-hidden-5f3e9c", "b-hidden-9a71d2")  # first bytes 97 and 98
    exits = [_attack(arena, submit, test_image, secret=s, mode="exit") for s in secrets]
    reason = _attack(arena, submit, test_image, secret=secrets[0], mode="reason")

    for submission in (*exits, reason):
        assert submission.status == Status.FAILED
        for viewer in (people.teammate, people.outsider, None):
            seen = _team_sees(submission, viewer)
            for secret in secrets:
                assert secret not in seen, f"the secret reached {viewer}"
            assert "SECRET" not in seen, "the container's output reached the team"
        outsider = _team_sees(submission, people.outsider)
        assert submission.failure_reason not in outsider, "reasons are the team's only"

    # The organizer sees the exact measurements: the container did steer each of them.
    exact = [_hidden_view(s, people.organizer) for s in exits]
    assert [r["exit_code"] for r in exact] == [97, 98]
    assert exact[0]["output_bytes"] != exact[1]["output_bytes"]
    if Path("/sys/fs/cgroup/memory/docker").is_dir() or Path("/sys/fs/cgroup/docker").is_dir():
        # Where the engine's cgroups are readable, the peak is measured (it held 97+ MiB).
        assert all(r["peak_memory_bytes"] >= 97 * 2**20 for r in exact), exact
    # The team sees the same banded view for both secrets, in the platform's words only.
    views = [_hidden_view(s, people.teammate) for s in exits]
    assert views[0]["measured"] == views[1]["measured"], views
    assert [s.failure_reason for s in exits] == ["test: the container exited with code 2-127"] * 2
    for view in views:
        assert view["log_tail"] == "" and view["exit_code"] is None
        assert view["measured"]["exit"] in EXIT_BANDS
    assert views[0]["measured"]["outcome"] in outcome_vocabulary()

    # Invalid predictions on a hidden split: the rule and its count's band, no offender.
    assert reason.failure_code == "unknown_id"
    assert reason.failure_reason.startswith(
        f"test: invalid predictions: unknown_id ({COUNT_BANDS[1]})"
    )
    assert "line" not in reason.failure_reason

    # The bound: the distinct views a team can tell apart, plus timing from outside.
    bits = hidden_view_bits()
    assert bits == pytest.approx(math.log2(hidden_view_count(with_time=False)))
    assert bits <= SHOWN_BITS_BOUND
    assert leak_bound_bits(timeout_seconds=300) <= SMOKE_TOTAL_BOUND
    record.observed = (
        f"team view identical for both secrets: {json.dumps(views[0]['measured'])}; reason "
        f"'{reason.failure_reason[:60]}…'; bound {bits:.1f} bits shown + "
        f"{timing_bits(timeout_seconds=arena.detect.timeout_seconds):.1f} bits timing "
        f"({arena.detect.timeout_seconds} s limit)"
    )
    record.held = True
