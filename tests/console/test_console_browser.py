"""The console's analytics page in a real Chromium: the charts are drawn and readable, and a
screenshot is kept under the test data folder (screenshots/)."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from tests.support import unavailable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(live_server, people, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    if not shutil.which("chromium"):
        unavailable("Debian's chromium is not installed")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        page.set_default_timeout(30_000)
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "organizer")
        page.fill("input[name=password]", "pw-organizer-123")
        page.click("main button[type=submit]")
        yield page
        browser.close()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_analytics_page_in_a_browser(history, page, live_server) -> None:
    page.goto(f"{live_server.url}/organize/")
    page.click("text=analytics")
    assert "Analytics of Smoke-Detect" in page.inner_text("h1")
    chart = page.get_by_role("img", name="Submissions per day and active teams")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    page.locator("section", has=page.locator("#chart-waits")).locator("summary").click()
    assert "Seconds" in page.inner_text("#plot-3 table")
    _shot(page, "console-analytics")


def test_definition_page_in_a_browser(page, live_server, settings, tmp_path) -> None:
    from tests.console.test_definitions import DEMO

    settings.FORGERYBENCH_DEFINITIONS_DIR = tmp_path / "definitions"
    page.goto(f"{live_server.url}/organize/")
    page.click("#definition-new-link")
    page.fill("textarea[name=definition]", DEMO.replace("task: detection", "task: cooking"))
    page.click("button[value=check]")
    problems = page.locator("#definition-problems li")
    assert problems.count() >= 1
    assert "tracks[0].task: 'cooking' is not one of" in page.inner_text("#definition-problems")
    _shot(page, "console-definition-problems")
    page.fill("textarea[name=definition]", DEMO)
    page.click("button[value=check]")
    assert "creates benchmark 'console-demo'" in page.inner_text("#definition-ok")
    _shot(page, "console-definition-checked")
    page.fill("textarea[name=reason]", "a small set to try the console")
    page.click("button[value=apply]")
    assert "Definition of Console Demo" in page.inner_text("h1")
    assert "is applied" in page.inner_text(".messages")
    _shot(page, "console-definition-applied")
