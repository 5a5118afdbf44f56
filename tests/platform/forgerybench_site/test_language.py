"""English and Simplified Chinese: the browser's Accept-Language, the switch in every page's
header, the stored language of a signed-in person, and pages cached per language."""

import pytest
from django.conf import settings
from django.test import Client

from notifications.models import Preference
from tests.support import finished_result

pytestmark = [pytest.mark.django_db]

ZH = "zh-hans"


def _html(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return response.content.decode()


def test_english_without_a_preference_and_chinese_for_a_chinese_browser(smoke_track) -> None:
    english = Client()
    page = _html(english.get("/"))
    assert '<html lang="en">' in page and "<h1>Benchmarks</h1>" in page
    chinese = Client(headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"})
    response = chinese.get("/")
    page = _html(response)
    assert '<html lang="zh-Hans">' in page
    assert "<h1>评测基准</h1>" in page and "Benchmarks</h1>" not in page
    assert response["Content-Language"] == ZH
    assert "Accept-Language" in response["Vary"]


def test_the_switch_sets_the_language_without_a_session_or_token(smoke_track) -> None:
    """Anonymous pages are cached whole, so their switch carries no CSRF token; it still works."""
    visitor = Client(enforce_csrf_checks=True)
    page = _html(visitor.get("/b/smoke-detect/image/"))
    assert 'id="language-switch"' in page and "csrfmiddlewaretoken" not in page
    response = visitor.post("/i18n/setlang/", {"language": ZH, "next": "/b/smoke-detect/image/"})
    assert response.status_code == 302 and response["Location"] == "/b/smoke-detect/image/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ZH
    page = _html(visitor.get("/b/smoke-detect/image/"))
    assert "披露政策" in page and "Disclosure policy" not in page
    # Back to English, and an unknown code changes nothing.
    visitor.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Disclosure policy" in _html(visitor.get("/b/smoke-detect/image/"))
    visitor.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert "Disclosure policy" in _html(visitor.get("/b/smoke-detect/image/"))


def test_cached_boards_are_kept_per_language(smoke_track, people) -> None:
    """The anonymous page cache and the rendered-table cache are keyed on the language."""
    val = smoke_track.splits.get(name="val")
    finished_result(
        track=smoke_track,
        split=val,
        team=people.team,
        method="Owl net",
        metrics={"auc": 0.81},
        primary_value=0.81,
    )
    english, chinese = Client(), Client(headers={"accept-language": ZH})
    for _ in range(2):  # the second round is served from the caches
        en_page = _html(english.get("/b/smoke-detect/image/"))
        zh_page = _html(chinese.get("/b/smoke-detect/image/"))
        assert '<th scope="col">Team</th>' in en_page and "Owl net" in en_page
        assert '<th scope="col">团队</th>' in zh_page and "Owl net" in zh_page
        assert "公布时机" in zh_page and "publication moments" in en_page  # the phase's policy
        assert "团队" not in en_page and '<th scope="col">Team</th>' not in zh_page


def test_a_signed_in_switch_stores_the_language_of_their_mail(people) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.owner)
    page = _html(client.get("/notifications/settings/"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    assert 'name="language"' in page  # the settings form has the choice too
    client.post("/i18n/setlang/", {"language": ZH, "next": "/"}, HTTP_X_CSRFTOKEN=token)
    assert Preference.objects.get(user=people.owner).language == ZH
    assert "通知设置" in _html(client.get("/notifications/settings/"))


def test_a_forged_switch_sets_no_stored_language(people) -> None:
    """Without the CSRF token another site could post the switch: the cookie is set (as for
    anyone), the person's stored mail language is not."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.owner)
    response = client.post("/i18n/setlang/", {"language": ZH, "next": "/"})
    assert response.status_code == 302
    assert not Preference.objects.filter(user=people.owner, language=ZH).exists()


def test_form_errors_and_messages_are_translated(people) -> None:
    client = Client(headers={"accept-language": ZH})
    client.force_login(people.owner)
    page = _html(client.post("/teams/new/", {"name": "Team Owl"}))
    assert "已有同名团队。" in page
    response = client.post("/teams/new/", {"name": "Team Heron"}, follow=True)
    assert "团队 Team Heron 已创建。" in _html(response)


def test_the_settings_page_saves_the_mail_language(people) -> None:
    client = Client()
    client.force_login(people.owner)
    response = client.post(
        "/notifications/settings/",
        {"frequency": "immediate", "mailed_kinds": ["submission"], "language": ZH},
    )
    assert response.status_code == 302
    assert Preference.objects.get(user=people.owner).language == ZH
    bad = client.post("/notifications/settings/", {"frequency": "immediate", "language": "klingon"})
    assert bad.status_code == 200 and Preference.objects.get(user=people.owner).language == ZH
