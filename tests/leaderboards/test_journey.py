"""The whole journey in a real Chromium against a live server and a real worker.

A user signs up, creates a team, invites a teammate by link (who accepts), accepts the
benchmark's terms, uploads a baseline image, sees its place in the queue behind another team's
run, watches the status change, receives the mail and sees the row appear; an organizer
publishes the hidden split; the team picks its submission as final and the organizer reveals
the out-of-distribution tier; the user switches the site to 简体中文 and reads the board; an
outsider is refused the logs and the console. Screenshots are kept under the test data folder
as artifacts.
"""

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from accounts.services import team_create
from benchmarks.terms import terms_publish
from submissions.models import Status, Submission
from submissions.services import submission_cancel, submission_create_from_image
from tests.support import unavailable

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.docker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    if not shutil.which("chromium"):
        unavailable("Debian's chromium is not installed")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM calls between browser steps
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=shutil.which("chromium"),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield instance
        instance.close()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_sign_up_submit_watch_publish_and_refuse_an_outsider(
    browser,
    live_server,
    celery_worker,
    smtp_server,
    smoke_track,
    people,
    docker_client,
    test_image,
    tmp_path: Path,
) -> None:
    tarball = tmp_path / "sanity.tar"
    with tarball.open("wb") as handle:
        for chunk in docker_client.images.get("forgerybench/baseline-sanity:latest").save():
            handle.write(chunk)
    url = live_server.url
    page = browser.new_page()
    page.set_default_timeout(60_000)

    page.goto(f"{url}/signup/")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=email]", "ada@example.org")
    page.fill("input[name=password1]", "a-long-pass-123")
    page.fill("input[name=password2]", "a-long-pass-123")
    page.click("main button[type=submit]")
    page.fill("input[name=name]", "Lovelace Lab")
    page.click("main button[type=submit]")
    assert "Lovelace Lab" in page.inner_text("h1")

    # Invite a teammate by a link to share; they open it, log in and accept.
    page.click("#invite-form button[type=submit]")
    link = page.locator(".invitation-link").first.input_value()
    _shot(page, "01a-team-invitation-link")
    teammate = browser.new_page()
    teammate.goto(f"{url}/login/?next={link.removeprefix(url)}")
    teammate.fill("input[name=username]", "teammate")
    teammate.fill("input[name=password]", "pw-teammate-123")
    teammate.click("main button[type=submit]")
    assert "invites you to join the team" in teammate.inner_text("main")
    _shot(teammate, "01b-invitation")
    teammate.click("#invitation-accept")
    assert "Welcome to Lovelace Lab" in teammate.inner_text(".messages")
    members = teammate.inner_text("#members")
    assert "ada" in members and "Owner" in members and "teammate" in members
    _shot(teammate, "01c-team-members")

    # Another team's long run holds the one run slot, so this team's upload waits in the queue.
    sleepers = team_create(name="Sleepers", owner=people.outsider)
    blocker = submission_create_from_image(
        team=sleepers,
        track=smoke_track,
        user=people.outsider,
        image_reference=test_image("sleeper"),
        method_name="sleeper",
        training_data="other: none",
    )
    for _ in range(120):
        blocker.refresh_from_db(fields=["status"])
        if blocker.status == Status.RUNNING:
            break
        page.wait_for_timeout(500)
    assert blocker.status == Status.RUNNING

    # The benchmark's terms come first: the team accepts them, then submits.
    terms_publish(benchmark=smoke_track.benchmark, version="1", text="Research use only.")
    page.goto(f"{url}/b/smoke-detect/")
    page.click("#benchmark-terms a")
    page.click("button:has-text('Accept for Lovelace Lab')")
    assert "accepted the terms of Smoke-Detect (version 1)" in page.inner_text(".messages")
    _shot(page, "01d-terms-accepted")

    page.goto(f"{url}/submissions/new/")
    page.select_option("select[name=team]", label="Lovelace Lab")
    page.select_option("select[name=track]", label="Smoke-Detect / Image detection")
    page.fill("input[name=method_name]", "hash chance")
    page.fill("input[name=training_data]", "other: nothing")
    page.set_input_files("input[name=image]", str(tarball))
    _shot(page, "01-upload-form")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    _shot(page, "02-after-upload")
    assert re.search(r"/submissions/\d+/$", page.url), page.inner_text("main")
    submission = Submission.objects.get(method_name="hash chance")
    # Its place in the queue: first in line, behind the run in progress, with the workers.
    assert page.inner_text("#queue-position") == "1"
    place = page.inner_text("#queue-place")
    assert "0 runs ahead" in place and "fair-share level" in page.inner_text("#queue-place")
    _shot(page, "02a-queue-position")
    page.goto(f"{url}/status/")
    assert page.inner_text("#queue-cpu td:nth-child(3)") == "1"  # the blocker is running
    _shot(page, "02b-platform-status")
    assert submission_cancel(submission=blocker, user=people.outsider)
    page.goto(f"{url}/submissions/{submission.pk}/")
    # The page refreshes itself until the submission is done.
    page.wait_for_selector(".status-finished", timeout=240_000)
    _shot(page, "03-submission-finished")
    assert "ROC curve" in page.content()

    # The worker mails the team: ada has an address; the site lists it for both members.
    finished = f"Submission #{submission.pk} finished"
    (mail,) = smtp_server.wait_for("ada@example.org", subject=finished, timeout=60)
    assert "val (public):" in mail.get_content()
    assert smtp_server.wait_for("ada@example.org", subject="teammate joined Lovelace Lab")
    page.goto(f"{url}/notifications/")
    assert finished in page.inner_text("#notification-list")
    _shot(page, "03a-notifications")

    page.goto(f"{url}/b/smoke-detect/{smoke_track.slug}/")
    assert "hash chance" in page.inner_text("#split-val")
    assert "appear when the organizers publish them" in page.inner_text("#split-test")
    _shot(page, "04-leaderboard-before-publication")

    organizer = browser.new_page()
    organizer.goto(f"{url}/login/")
    organizer.fill("input[name=username]", "organizer")
    organizer.fill("input[name=password]", "pw-organizer-123")
    organizer.click("main button[type=submit]")
    organizer.goto(f"{url}/organize/")
    row = organizer.locator("tr", has_text="test").filter(has_text="hidden")
    row.locator("input[name=reason]").fill("phase 1 closed")
    row.locator("button", has_text="Publish results").click()
    assert "are published" in organizer.inner_text(".messages")
    _shot(organizer, "05-console-published")

    page.goto(f"{url}/b/smoke-detect/{smoke_track.slug}/")
    assert "hash chance" in page.inner_text("#split-test")
    _shot(page, "06-leaderboard-published")

    # The team picks its submission as final; the organizer reveals the OOD tier at phase end.
    assert "Revealed by the organizers" in page.inner_text("#split-ood")
    page.goto(f"{url}/submissions/{submission.pk}/")
    page.click("#final-picks button:has-text('Pick as final')")
    assert "is a final pick" in page.inner_text(".messages")
    _shot(page, "07-final-pick")
    organizer.goto(f"{url}/organize/reveal/")
    row = organizer.locator("tr", has_text="Smoke-Detect / Open")
    row.locator("input[name=reason]").fill("phase over")
    row.locator("button", has_text="Reveal out-of-distribution results").click()
    assert "1 final picks (0 automatic), 1 out-of-distribution runs" in organizer.inner_text(
        ".messages"
    )
    _shot(organizer, "08-console-revealed")
    for _ in range(240):
        page.goto(f"{url}/b/smoke-detect/{smoke_track.slug}/")
        if "hash chance" in page.inner_text("#split-ood"):
            break
        page.wait_for_timeout(1000)
    assert "One row per final pick" in page.inner_text("#split-ood")
    assert "hash chance" in page.inner_text("#split-ood"), "the pick's OOD row never appeared"
    _shot(page, "09-ood-revealed")

    # The same board in Simplified Chinese, through the switch in the page's header.
    page.click("#language-switch button[value=zh-hans]")
    page.wait_for_load_state()
    assert page.url.endswith(f"/b/smoke-detect/{smoke_track.slug}/")
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert "披露政策" in page.inner_text("#disclosure")
    assert "hash chance" in page.inner_text("#split-val")
    assert "排名" in page.inner_text("#split-val thead")
    _shot(page, "10-leaderboard-zh-hans")
    page.goto(f"{url}/submissions/{submission.pk}/")
    assert "已完成" in page.inner_text("h1") and "ROC 曲线" in page.content()
    _shot(page, "11-submission-zh-hans")

    outsider = browser.new_page()
    outsider.goto(f"{url}/login/")
    outsider.fill("input[name=username]", "outsider")
    outsider.fill("input[name=password]", "pw-outsider-123")
    outsider.click("main button[type=submit]")
    outsider.goto(f"{url}/submissions/{submission.pk}/")
    assert "hash chance" in outsider.content()
    assert outsider.locator("#log-tail").count() == 0
    response = outsider.goto(f"{url}/organize/")
    assert response is not None and "/admin/login/" in outsider.url
