"""The pages in a real Chromium: log in, find the benchmark, read the leaderboard."""

import shutil

import pytest

from accounts.services import team_create
from tests.support import finished_result, unavailable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from playwright.sync_api import Error, sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous and run between browser steps, never concurrently.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    if not shutil.which("chromium"):
        unavailable("Debian's chromium is not installed")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
        except Error as exc:
            unavailable(f"chromium did not start: {exc}")
            raise
        yield browser.new_page()
        browser.close()


def test_team_member_logs_in_and_reads_the_leaderboard(
    page, live_server, smoke_track, people
) -> None:
    baselines = team_create(name="ForgeryBench baselines", is_baseline=True)
    for team, method, auc in ((people.team, "owl-net", 0.8765), (baselines, "Chance", 0.5012)):
        finished_result(
            track=smoke_track,
            split=smoke_track.splits.get(name="val"),
            team=team,
            method=method,
            metrics={"auc": auc, "acc": 0.5},
            primary_value=auc,
        )
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", "pw-owner-123")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "Log out owner" in page.inner_text("header")
    page.click("text=Smoke-Detect")
    page.click("text=Image detection")
    rows = page.locator("#split-val table.board tbody tr")
    assert rows.count() == 2
    first, second = rows.nth(0).inner_text(), rows.nth(1).inner_text()
    assert "owl-net" in first and "0.8765" in first
    assert "baseline" in second and "0.5012" in second
    assert "appear when the organizers publish them" in page.inner_text("#split-test")
    assert page.locator(".tag.synthetic").count() == 1
