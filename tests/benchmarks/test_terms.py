"""Terms before data: versioned terms from the definition file, accepted by a team before it
submits, recorded, audited, shown to organizers; a new version asks again."""

import dataclasses

import pytest
from django.test import Client

from audit.models import AuditAction, AuditEntry
from benchmarks.definitions_apply import check_conflicts
from benchmarks.models import TermsAcceptance
from benchmarks.spec import DefinitionError, TermsDef, load_definitions, parse_definition
from benchmarks.terms import TermsRefused, terms_accept, terms_current, terms_publish
from submissions.services import SubmissionRejected, submission_create_from_image, team_set_baseline

pytestmark = [pytest.mark.services, pytest.mark.django_db]

YAML = """
benchmarks:
  - slug: tiny
    name: Tiny
    terms: {version: "%s", text: "%s"}
    tracks:
      - slug: image
        name: Image
        task: detection
        primary_metric: auc
        source: {generator: smoke-detect}
        splits:
          - {name: val, visibility: public, count: 4, seed: 1}
          - {name: test, visibility: hidden, count: 4, seed: 2}
"""


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_definition_file_carries_versioned_terms() -> None:
    (bdef,) = parse_definition(YAML % ("2026-01", "Research use only."), "tiny.yaml")
    assert bdef.terms == TermsDef(version="2026-01", text="Research use only.")
    with pytest.raises(DefinitionError) as caught:
        parse_definition(YAML % ("", ""), "tiny.yaml")
    assert any("terms.version" in p for p in caught.value.problems)
    assert any("terms.text" in p for p in caught.value.problems)
    shipped = {b.slug: b.terms for b in load_definitions()}
    assert shipped["ffpp"] is not None and "non-commercial research" in shipped["ffpp"].text
    assert shipped["celebdf-v2"] is not None


def test_a_version_never_changes_its_text(smoke_track) -> None:
    benchmark = smoke_track.benchmark
    terms_publish(benchmark=benchmark, version="1", text="Old text.")
    with pytest.raises(TermsRefused, match="changed terms need a new version"):
        terms_publish(benchmark=benchmark, version="1", text="New text.")
    smoke = next(b for b in load_definitions() if b.slug == benchmark.slug)
    changed = dataclasses.replace(smoke, terms=TermsDef(version="1", text="New text."))
    problems = check_conflicts([changed], scale=0.1)
    assert any("terms version '1'" in p for p in problems), problems
    assert (
        check_conflicts([dataclasses.replace(changed, terms=TermsDef("2", "New."))], scale=0.1)
        == []
    )


def test_a_team_accepts_the_terms_before_it_submits_and_again_for_a_new_version(
    people, smoke_track, baseline_image
) -> None:
    benchmark = smoke_track.benchmark
    first = terms_publish(benchmark=benchmark, version="1", text="Use the data for research.")
    baseline_image("sanity")

    def submit():  # type: ignore[no-untyped-def]
        return submission_create_from_image(
            team=people.team,
            track=smoke_track,
            user=people.owner,
            image_reference="forgerybench/baseline-sanity:latest",
            method_name="m",
            training_data="other: x",
        )

    with pytest.raises(SubmissionRejected, match=r"has not accepted the terms .*version 1"):
        submit()
    page = _client(people.teammate).get(f"/b/{benchmark.slug}/terms/").content.decode()
    assert "Use the data for research." in page and "Accept for Team Owl" in page
    assert (
        f"/b/{benchmark.slug}/terms/"
        in _client(people.owner).get(f"/b/{benchmark.slug}/").content.decode()
    )

    # An outsider cannot accept for the team; a member can, once, and it is audited.
    with pytest.raises(TermsRefused, match="not a member"):
        terms_accept(terms=first, team=people.team, user=people.outsider)
    response = _client(people.teammate).post(
        f"/b/{benchmark.slug}/terms/", {"team": people.team.pk}
    )
    assert response.status_code == 302
    acceptance = TermsAcceptance.objects.get()
    assert (acceptance.team, acceptance.accepted_by, acceptance.terms) == (
        people.team,
        people.teammate,
        first,
    )
    entry = AuditEntry.objects.get(action=AuditAction.TERMS_ACCEPTED)
    assert entry.actor == "teammate" and entry.payload["version"] == "1"
    assert submit().status == "queued"

    # Organizers see who accepted which version.
    console = _client(people.organizer).get(f"/organize/benchmarks/{benchmark.slug}/terms/")
    assert "Team Owl" in console.content.decode() and "(current)" in console.content.decode()

    # A new version asks again; the old acceptance stays recorded.
    second = terms_publish(benchmark=benchmark, version="2", text="Now also no redistribution.")
    assert terms_current(benchmark=benchmark) == second
    with pytest.raises(SubmissionRejected, match="version 2"):
        submit()
    with pytest.raises(TermsRefused, match="replaced by a newer version"):
        terms_accept(terms=first, team=people.team, user=people.owner)
    terms_accept(terms=second, team=people.team, user=people.owner)
    assert submit().status == "queued"
    assert TermsAcceptance.objects.count() == 2

    # The platform's own baseline teams accept nothing.
    terms_publish(benchmark=benchmark, version="3", text="Third.")
    team_set_baseline(team=people.team, is_baseline=True)
    people.team.refresh_from_db()
    assert submit().status == "queued"
