"""Who is signed in comes from the shared cache (sessions: cached_db; the user's row:
accounts.backends), and still every logout, password change or deactivation ends a session at
the next request."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


def _signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _header(client: Client) -> str:
    return client.get("/").content.decode().split("</header>")[0]


def _who(client: Client) -> str:
    header = _header(client)
    if "Log in" in header:
        return ""
    return header.split("Log out ")[1].split("<")[0]


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/status/").status_code == 200
    return sum(
        1
        for query in captured.captured_queries
        if "django_session" in query["sql"] or '"auth_user"' in query["sql"]
    )


def test_a_signed_in_request_reads_no_session_or_user_row(people) -> None:
    client = _signed_in(people.owner)
    assert _who(client) == "owner"
    assert _queries(client) == 0


def test_logout_ends_the_session_for_every_copy_of_its_cookie(people) -> None:
    client = _signed_in(people.owner)
    assert _who(client) == "owner"
    stolen = Client()
    stolen.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME]
    assert _who(stolen) == "owner"
    client.post("/logout/")
    assert _who(stolen) == ""
    assert _who(client) == ""


def test_a_password_change_ends_other_sessions_at_once(people) -> None:
    other = _signed_in(people.owner)
    assert _who(other) == "owner" and _queries(other) == 0  # the user's row is cached
    people.owner.set_password("a-new-password-456")
    people.owner.save()
    assert _who(other) == ""


def test_deactivating_a_user_ends_their_sessions_at_once(people) -> None:
    client = _signed_in(people.teammate)
    assert _who(client) == "teammate"
    people.teammate.is_active = False
    people.teammate.save(update_fields=["is_active"])
    assert _who(client) == ""


def test_a_new_name_or_staff_flag_shows_at_the_next_request(people) -> None:
    client = _signed_in(people.outsider)
    assert _who(client) == "outsider" and "Organize" not in _header(client)
    people.outsider.username = "renamed"
    people.outsider.is_staff = True
    people.outsider.save()
    assert _who(client) == "renamed" and "Organize" in _header(client)


def test_a_cache_of_each_process_is_refused(tmp_path) -> None:
    """A per-process cache would keep a logged-out session alive in the other processes."""
    result = subprocess.run(
        [sys.executable, "-c", "import forgerybench_site.settings"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": f"{ROOT}:{ROOT / 'platform'}",
            "SECRET_KEY": "x",
            "FORGERYBENCH_DATA_DIR": str(tmp_path),
            "CACHE_BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "CACHE_BACKEND=django.core.cache.backends.locmem.LocMemCache is not shared" in (
        result.stderr
    )
