"""Benchmark definitions from the console: every problem listed at once, nothing applied until
valid, applying audited, invalidating changes refused, organizers only."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from audit.models import AuditAction, AuditEntry
from benchmarks.models import Benchmark, Split
from submissions.models import Result, Status, Submission

pytestmark = pytest.mark.django_db

DEMO = """\
benchmarks:
  - slug: console-demo
    name: Console Demo
    synthetic: true
    phases:
      - {slug: open, name: Open, starts: 2026-01-01}
    tracks:
      - slug: image
        name: Image detection
        task: detection
        primary_metric: auc
        limits: {timeout_seconds: 300, memory_mb: 1024, cpus: 1}
        source: {generator: smoke-detect}
        splits:
          - {name: val, visibility: public, count: 4, seed: 1}
          - {name: test, visibility: hidden, count: 4, seed: 2}
"""
NEW = "/organize/definitions/new/"
EDIT = "/organize/benchmarks/console-demo/definition/"


@pytest.fixture
def console_dir(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.FORGERYBENCH_DEFINITIONS_DIR = tmp_path / "definitions"
    return settings.FORGERYBENCH_DEFINITIONS_DIR


@pytest.fixture
def organizer(people) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(people.organizer)
    return client


def _problems(response) -> list[str]:  # type: ignore[no-untyped-def]
    html = response.content.decode()
    if 'id="definition-problems"' not in html:
        return []
    section = html[html.index('id="definition-problems"') : html.index("</section>")]
    return [part.split("</code>")[0] for part in section.split("<li><code>")[1:]]


def _applied() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditAction.DEFINITION_APPLIED).order_by("seq"))


def test_invalid_yaml_is_named_with_its_line(organizer, console_dir) -> None:
    broken = "benchmarks: [\n  - {slug: x\n"
    response = organizer.post(NEW, {"definition": broken, "action": "apply", "reason": "try"})
    assert response.status_code == 422
    (problem,) = _problems(response)
    assert problem.startswith("console/new.yaml: line ") and "not valid YAML" in problem
    assert not Benchmark.objects.filter(slug="x").exists() and not console_dir.exists()


def test_several_problems_are_listed_together(organizer, console_dir) -> None:
    broken = (
        DEMO.replace("task: detection", "task: cooking")
        .replace("timeout_seconds: 300", "timeout_seconds: 1")
        .replace("synthetic: true", "synthetic: true\n    colour: blue")
        .replace("starts: 2026-01-01}", "starts: 2026-01-01, ends: 2025-01-01}")
    )
    response = organizer.post(NEW, {"definition": broken, "action": "check"})
    assert response.status_code == 422
    problems = _problems(response)
    expected = (
        "benchmarks[0].colour: unknown key",
        "benchmarks[0].tracks[0].task: &#x27;cooking&#x27; is not one of",
        "benchmarks[0].tracks[0].limits.timeout_seconds: must be an integer &gt;= 10",
        "benchmarks[0].phases[0].ends: must be after starts",
    )
    for text in expected:
        assert any(text in p for p in problems), (text, problems)
    assert f"{len(problems)} problems: nothing was applied" in response.content.decode()
    assert not Benchmark.objects.filter(slug="console-demo").exists()


def test_a_new_definition_is_applied_audited_and_kept_for_reloads(
    organizer, people, console_dir
) -> None:
    checked = organizer.post(NEW, {"definition": DEMO, "action": "check"})
    assert checked.status_code == 200 and 'id="definition-ok"' in checked.content.decode()
    assert not Benchmark.objects.filter(slug="console-demo").exists()  # a check applies nothing
    no_reason = organizer.post(NEW, {"definition": DEMO, "action": "apply"})
    assert no_reason.status_code == 422
    assert any("needs a reason" in p for p in _problems(no_reason))
    assert not Benchmark.objects.filter(slug="console-demo").exists()

    response = organizer.post(NEW, {"definition": DEMO, "action": "apply", "reason": "new set"})
    assert response.status_code == 302 and response["Location"] == EDIT
    benchmark = Benchmark.objects.get(slug="console-demo")
    assert benchmark.definition_file == "console/console-demo.yaml"
    track = benchmark.tracks.get(slug="image")
    assert set(track.splits.values_list("name", flat=True)) == {"val", "test", "debug"}
    assert (console_dir / "console-demo.yaml").read_text() == DEMO
    (entry,) = _applied()
    assert entry.actor == "organizer" and entry.reason == "new set"
    assert entry.target_type == "benchmark" and entry.target_id == "console-demo"
    assert entry.payload["sha256"] == hashlib.sha256(DEMO.encode()).hexdigest()
    assert entry.payload["created"] is True and entry.payload["previous_sha256"] is None
    # The rows' own definition entries name the organizer and the reason too.
    rows = AuditEntry.objects.filter(action=AuditAction.DEFINITION_CHANGED, target_id=track.pk)
    assert rows.filter(target_type="track", actor="organizer", reason="new set").exists()

    # An edit from the benchmark's page (prefilled with the kept text) is applied and audited.
    assert DEMO in organizer.get(EDIT).content.decode().replace("&#x27;", "'")
    edited = DEMO.replace("name: Image detection", "name: Image detection v2").replace(
        "name: Open,", "name: Open round,"
    )
    response = organizer.post(EDIT, {"definition": edited, "action": "apply", "reason": "rename"})
    assert response.status_code == 302
    track.refresh_from_db()
    assert track.name == "Image detection v2"
    assert benchmark.phases.get(slug="open").name == "Open round"
    first, second = _applied()
    assert second.payload["previous_sha256"] == first.payload["sha256"]
    assert second.payload["sha256"] == hashlib.sha256(edited.encode()).hexdigest()

    # A reload reads the console's file after the shipped ones: the edit stays.
    call_command("load_benchmarks", "--only", "console-demo")
    track.refresh_from_db()
    assert track.name == "Image detection v2"


def test_an_invalidating_change_is_refused_with_every_reason(organizer, people, console_dir):  # type: ignore[no-untyped-def]
    organizer.post(NEW, {"definition": DEMO, "action": "apply", "reason": "new set"})
    track = Benchmark.objects.get(slug="console-demo").tracks.get(slug="image")
    test = track.splits.get(name="test")
    submission = Submission.objects.create(
        team=people.team, track=track, method_name="m", training_data="other: x",
        image_id="sha256:x", status=Status.FINISHED,
    )  # fmt: skip
    Result.objects.create(
        submission=submission, split=test, metrics={"auc": 0.7}, primary_value=0.7,
        protocol_version=1, evaluator_version="test",
    )  # fmt: skip
    invalidating = DEMO.replace("primary_metric: auc", "primary_metric: eer").replace(
        "{name: test, visibility: hidden, count: 4, seed: 2}",
        "{name: test, visibility: hidden, count: 4, seed: 3}",
    )
    response = organizer.post(EDIT, {"definition": invalidating, "action": "apply",
                                     "reason": "oops"})  # fmt: skip
    assert response.status_code == 422
    problems = _problems(response)
    assert any("primary_metric auc -&gt; eer on a scored track" in p for p in problems), problems
    assert any("console-demo/image/test: recipe" in p for p in problems), problems
    track.refresh_from_db()
    test.refresh_from_db()
    assert track.primary_metric == "auc" and test.metadata["recipe"]["seed"] == 2
    assert len(_applied()) == 1
    assert (console_dir / "console-demo.yaml").read_text() == DEMO


def test_an_upload_is_checked_like_the_text(organizer, console_dir, settings) -> None:
    uploads = Path(settings.FORGERYBENCH_UPLOAD_DIR)
    before = set(uploads.glob("*.upload"))
    upload = SimpleUploadedFile("demo.yaml", DEMO.encode(), content_type="application/yaml")
    response = organizer.post(NEW, {"upload": upload, "action": "check"})
    assert response.status_code == 200 and 'id="definition-ok"' in response.content.decode()
    assert "creates benchmark" in response.content.decode()
    assert set(uploads.glob("*.upload")) == before  # the streamed file is gone
    binary = SimpleUploadedFile("demo.yaml", b"\xff\xfe\x00", content_type="application/yaml")
    response = organizer.post(NEW, {"upload": binary, "action": "check"})
    assert response.status_code == 422 and "not UTF-8 text" in _problems(response)[0]


def test_the_edit_page_starts_from_the_shipped_entry(organizer, smoke_track) -> None:
    from console.definitions import definition_check

    page = organizer.get("/organize/benchmarks/smoke-detect/definition/")
    assert page.status_code == 200
    text = page.context["form"].initial["definition"]
    assert "slug: smoke-detect" in text and "slug: smoke-localize" not in text
    check = definition_check(text=text, slug="smoke-detect")
    assert check.problems == [] and check.exists
    assert check.benchmark is not None and len(check.benchmark.tracks) == 2


def test_a_page_edits_only_its_own_benchmark(organizer, smoke_track, console_dir) -> None:
    other = DEMO.replace("slug: console-demo", "slug: smoke-detect")
    response = organizer.post(NEW, {"definition": other, "action": "check"})
    assert any("exists already" in p for p in _problems(response))
    response = organizer.post(
        "/organize/benchmarks/smoke-detect/definition/", {"definition": DEMO, "action": "check"}
    )
    assert any("this page edits" in p for p in _problems(response))


def test_only_organizers_check_or_apply(people, console_dir) -> None:
    for user in (people.outsider, people.owner, people.teammate):
        client = Client()
        client.force_login(user)
        for page in (NEW, "/organize/benchmarks/smoke-detect/definition/"):
            assert client.get(page).status_code in (403, 404)
        response = client.post(NEW, {"definition": DEMO, "action": "apply", "reason": "me"})
        assert response.status_code == 403
    assert (
        Client().post(NEW, {"definition": DEMO, "action": "apply", "reason": "me"}).status_code
        == 302
    )
    assert not Benchmark.objects.filter(slug="console-demo").exists()
    assert _applied() == [] and not console_dir.exists()
    assert not Split.objects.filter(track__benchmark__slug="console-demo").exists()
