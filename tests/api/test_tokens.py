"""Tokens: stored hashed, shown once, revocable from the account page."""

import hashlib

import pytest
from django.test import Client

from api.models import ApiToken
from api.tokens import token_create

pytestmark = pytest.mark.django_db


def test_only_the_hash_of_a_token_is_stored(people) -> None:
    token, key = token_create(user=people.owner, name="laptop")
    assert key.startswith("fbk_") and len(key) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())


def test_a_token_authenticates_and_a_revoked_one_is_refused(people, client_for) -> None:
    token, key = token_create(user=people.owner, name="ci")
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json() == {"username": "owner", "is_staff": False, "teams": ["team-owl"]}
    ApiToken.objects.filter(pk=token.pk).update(revoked_at="2026-01-01T00:00:00Z")
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "bad_token"


def test_no_token_gets_a_json_401(db) -> None:
    response = Client().get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["message"]


def test_the_account_page_creates_shows_once_and_revokes(people) -> None:
    browser = Client()
    browser.force_login(people.owner)
    created = browser.post("/account/tokens/", {"action": "create", "name": "laptop"})
    assert created.status_code == 201
    key = created.context["new_key"]
    assert key in created.content.decode()
    assert key not in browser.get("/account/tokens/").content.decode()  # shown once
    token = ApiToken.objects.get(user=people.owner)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/me/").status_code == 200
    # Someone else cannot revoke it; its owner can.
    other = Client()
    other.force_login(people.outsider)
    other.post("/account/tokens/", {"action": "revoke", "token": token.pk})
    assert api.get("/api/v1/me/").status_code == 200
    browser.post("/account/tokens/", {"action": "revoke", "token": token.pk})
    assert api.get("/api/v1/me/").status_code == 401


def test_the_account_page_needs_a_login(db) -> None:
    assert Client().get("/account/tokens/").status_code == 302
