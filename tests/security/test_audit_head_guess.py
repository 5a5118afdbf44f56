"""The public chain head cannot confirm a guess of an audit entry about a hidden result.

A red team polled `/audit/head.json` around a rescore of its own hidden result, read the entry's
seq, time, action and actor off its result page and tried every payload it could guess (which
metrics differ, the report id, the timestamp's microseconds) against the published hash: it
recovered the differences in seconds. Every entry's payload now holds a random 128-bit nonce,
hashed with it and seen by reviewers only, so no guess can be checked. Here the attacker is
given more than the page shows (the exact time, the true payload among the guesses) and still
confirms nothing.
"""

from __future__ import annotations

import hashlib
import itertools
import re

import pytest
from django.test import Client

from audit.anchor import HEAD_COLUMN, SEQ_COLUMN
from audit.chain import canonical_json, entry_hash, timestamp
from audit.models import AuditAction, AuditEntry
from tests.support import finished_result

pytestmark = pytest.mark.django_db

METRICS = {"auc": 0.81234, "acc": 0.75, "ci": {"auc": [0.7, 0.9]}}
LEAVES = ["acc", "auc", "ci.auc[0]", "ci.auc[1]"]  # the team knows its metrics' names (val)
MICROSECONDS_AROUND = 200  # the red team swept all 10^6; the true value ± this is enough here


def _head() -> tuple[int, str]:
    """The chain head's seq and hash, as anyone reads them."""
    response = Client().get("/audit/head.json")  # anonymous, public
    assert response.status_code == 200
    head = response.json()
    return int(head[SEQ_COLUMN]), str(head[HEAD_COLUMN])


def _guesses(payload: dict[str, object]) -> list[dict[str, object]]:
    """The red team's payload space (report id 1..3 x every non-empty subset of the metrics),
    plus the true payload, so a miss cannot come from guessing the wrong fields."""
    guesses = [payload]
    for report in range(1, 4):
        for n in range(1, len(LEAVES) + 1):
            for subset in itertools.combinations(LEAVES, n):
                guesses.append(
                    {
                        **payload,
                        "report": report,
                        "matches": False,
                        "differences": n,
                        "metrics": sorted(subset),
                    }
                )
    return guesses


def test_a_rescore_entry_cannot_be_confirmed_against_the_public_head(
    smoke_track, people, reviewer
) -> None:
    from review.rescoring import result_rescore
    from submissions.models import Provenance, Result

    test_split = smoke_track.splits.get(name="test")
    finished_result(
        track=smoke_track,
        split=test_split,
        team=people.team,
        method="hawk",
        metrics=METRICS,
        primary_value=0.81234,
    )
    result = Result.objects.get(split=test_split, submission__team=people.team)
    assert not test_split.results_visible
    Provenance.objects.filter(result=result).update(
        metric_settings={"task": "detection", "n_resamples": 100, "primary": "auc"}
    )

    before_seq, before_head = _head()
    result_rescore(result=result, actor="reviewer")  # real: no stored predictions to score
    after_seq, after_head = _head()
    assert after_seq == before_seq + 1
    entry = AuditEntry.objects.get(seq=after_seq)
    assert entry.action == AuditAction.RESCORED and entry.target_id == str(result.pk)

    owner = Client()
    owner.force_login(people.owner)
    page = owner.get(f"/audit/results/{result.pk}/").content.decode()
    nonce = str(entry.payload.get("nonce", ""))
    assert "under review" in page and (not nonce or nonce not in page)
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td><td>rescored</td>", page)
    assert rows and rows[-1][0] == str(entry.seq)
    # Before disclosure the team's page gives the minute, not the second.
    assert rows[-1][1] == entry.at.strftime("%Y-%m-%d %H:%M")

    # The attacker's reconstruction, handed the exact time: SHA-256 of the canonical entry
    # with a placeholder for the microseconds, as the red team wrote it.
    true_micro = entry.at.microsecond
    start = max(0, true_micro - MICROSECONDS_AROUND)
    micros = range(start, min(1_000_000, true_micro + MICROSECONDS_AROUND + 1))
    seconds = timestamp(entry.at)[: -len("000000+00:00")]
    suffixes, prefix = [], b""
    known = {k: v for k, v in entry.payload.items() if k != "nonce"}  # all but the secret
    for payload in _guesses(known):
        text = canonical_json(
            {
                "seq": entry.seq,
                "at": "@@AT@@",
                "actor": entry.actor,
                "action": "rescored",
                "target": ["result", str(result.pk)],
                "reason": entry.reason,
                "payload": payload,
                "prev": before_head,
            }
        )
        head_text, tail_text = text.split("@@AT@@")
        prefix = head_text.encode() + seconds.encode()
        suffixes.append(tail_text.encode())
    base = hashlib.sha256(prefix)
    tried, found = 0, []
    for micro in micros:
        h1 = base.copy()
        h1.update(b"%06d+00:00" % micro)
        for tail in suffixes:
            h2 = h1.copy()
            h2.update(tail)
            tried += 1
            if h2.hexdigest() == after_head:
                found.append((micro, tail))
    assert tried > 10_000
    assert found == [], "a guess of the entry matched the public head"
    assert re.fullmatch(r"[0-9a-f]{32}", nonce)

    # The reconstruction is right but for the nonce: with it, the entry's hash comes out.
    assert (
        entry_hash(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            target_type="result",
            target_id=str(result.pk),
            reason=entry.reason,
            payload={**known, "nonce": nonce},
            prev_hash=before_head,
        )
        == after_head
    )
