"""Accounts behind a proxy: django-axes locks logins per client address (as the trusted proxy
reports it) and per account; signups and API token creation are throttled too."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from api.models import ApiToken

pytestmark = pytest.mark.django_db

PROXY = "172.18.0.3"  # nginx, as Django sees the connection
LIMIT = 3


@pytest.fixture(autouse=True)
def fresh_counts() -> Iterator[None]:
    cache.clear()  # nothing of the throttles is in the cache (the database), nor of axes
    with override_settings(AXES_FAILURE_LIMIT=LIMIT, FORGERYBENCH_TRUSTED_PROXY_COUNT=1):
        yield
    cache.clear()


def _via_proxy(client_address: str, spoofed: str = "") -> dict[str, Any]:
    """What nginx forwards: it appends the address it got the connection from."""
    chain = f"{spoofed}, {client_address}" if spoofed else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": chain}


def _login(username: str, password: str, **meta: Any):  # type: ignore[no-untyped-def]
    client = Client()
    return client, client.post("/login/", {"username": username, "password": password}, **meta)


def _locked(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 429 and b"Too many failed logins" in response.content


def test_one_client_address_is_locked_across_accounts(people) -> None:
    for name in ("nobody-1", "nobody-2", "nobody-3"):
        _login(name, "wrong", **_via_proxy("203.0.113.7"))
    # Its next try is refused even with the right password for a real account...
    client, response = _login("owner", "pw-owner-123", **_via_proxy("203.0.113.7"))
    assert _locked(response) and "_auth_user_id" not in client.session
    # ...while another client behind the same proxy logs in.
    client, response = _login("owner", "pw-owner-123", **_via_proxy("198.51.100.9"))
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_what_a_client_writes_into_x_forwarded_for_is_not_its_address(people) -> None:
    for n in range(LIMIT):
        _login(f"nobody-{n}", "wrong", **_via_proxy("203.0.113.7", spoofed=f"192.0.2.{n}"))
    _, response = _login("teammate", "pw-teammate-123", **_via_proxy("203.0.113.7", "192.0.2.99"))
    assert _locked(response)


def test_one_account_is_locked_across_client_addresses(people) -> None:
    for n in range(LIMIT):
        _login("owner", "wrong", **_via_proxy(f"203.0.113.{n + 10}"))
    client, response = _login("owner", "pw-owner-123", **_via_proxy("198.51.100.9"))
    assert _locked(response) and "_auth_user_id" not in client.session
    # Other accounts from those addresses are fine (each address failed once only).
    _, response = _login("teammate", "pw-teammate-123", **_via_proxy("203.0.113.10"))
    assert response.status_code == 302


@override_settings(FORGERYBENCH_TRUSTED_PROXY_COUNT=0)
def test_without_a_trusted_proxy_the_header_is_ignored(people) -> None:
    for n in range(LIMIT):
        _login(
            f"nobody-{n}", "wrong", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.9.0.{n}"
        )
    _, response = _login("owner", "pw-owner-123", REMOTE_ADDR="203.0.113.7")
    assert _locked(response)


def test_a_good_login_clears_earlier_failures(people) -> None:
    for _ in range(LIMIT - 1):
        _, response = _login("owner", "wrong")
        assert b"did not match" in response.content
    client, response = _login("owner", "pw-owner-123")
    assert client.session["_auth_user_id"] == str(people.owner.pk)
    for _ in range(LIMIT - 1):
        _login("owner", "wrong")
    _, response = _login("owner", "pw-owner-123")
    assert response.status_code == 302


@override_settings(FORGERYBENCH_SIGNUP_RATE="2/hour")
def test_signups_are_throttled_per_client_address(db) -> None:
    def signup(name: str, address: str):  # type: ignore[no-untyped-def]
        password = "a-long-pass-123"
        return Client().post(
            "/signup/",
            {"username": name, "password1": password, "password2": password},
            **_via_proxy(address),
        )

    assert signup("first", "203.0.113.7").status_code == 302
    assert signup("second", "203.0.113.7").status_code == 302
    refused = signup("third", "203.0.113.7")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert b"Too many signups" in refused.content
    assert signup("third", "203.0.113.8").status_code == 302  # another client
    # An eviction of the shared cache (anyone can fill it with sessions and pages) forgets
    # nothing: the counts are in the database.
    cache.clear()
    assert signup("fourth", "203.0.113.7").status_code == 429


def test_expired_histories_count_as_none_and_are_deleted(db) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import ThrottleHistory
    from accounts.throttles import DatabaseHistory

    store = DatabaseHistory()
    store.set("old", [1.0], 60)
    ThrottleHistory.objects.filter(key="old").update(expires_at=timezone.now() - timedelta(1))
    assert store.get("old", []) == []
    store.set("x" * 500, [2.0, 1.0], 60)  # a long key is kept under its digest
    assert store.get("x" * 500) == [2.0, 1.0]
    assert not ThrottleHistory.objects.filter(key="old").exists()


@override_settings(FORGERYBENCH_TOKEN_CREATE_RATE="2/hour")
def test_token_creation_is_throttled_per_account(people) -> None:
    def create(user) -> int:  # type: ignore[no-untyped-def]
        client = Client()
        client.force_login(user)
        response = client.post("/account/tokens/", {"action": "create", "name": "ci"})
        return response.status_code

    assert [create(people.owner) for _ in range(3)] == [201, 201, 429]
    assert ApiToken.objects.filter(user=people.owner).count() == 2
    assert create(people.teammate) == 201
