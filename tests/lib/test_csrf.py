"""lib.csrf: the leaderboard's CSRF token is one Django's middleware accepts, masked afresh on
every request, and a tampered one is refused."""

import re
from collections import Counter

import pytest
from django.conf import settings
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.test import Client, RequestFactory

from lib.csrf import csrf_token

BOARD = "/b/smoke-detect/image/"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="(\w+)"')


def _unmask_cipher_token(token: str) -> str:
    """The secret under a masked token (the first half is the mask), as Django unmasks it."""
    mask, cipher, chars = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:], CSRF_ALLOWED_CHARS
    return "".join(
        chars[(chars.index(c) - chars.index(m)) % len(chars)]
        for c, m in zip(cipher, mask, strict=True)
    )


def _request_with_secret(secret: str):  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret
    return request


def test_the_token_unmasks_to_the_cookies_secret() -> None:
    secret = ("a1B2" * 8)[:CSRF_SECRET_LENGTH]
    request = _request_with_secret(secret)
    tokens = {csrf_token(request) for _ in range(200)}
    assert len(tokens) == 200, "masked afresh every time"
    for token in tokens:
        assert len(token) == 2 * CSRF_SECRET_LENGTH and set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == secret
    assert "CSRF_COOKIE_NEEDS_UPDATE" not in request.META, "the cookie held is not sent again"


def test_the_mask_uses_every_character_evenly() -> None:
    request = _request_with_secret("x" * CSRF_SECRET_LENGTH)
    counts = Counter("".join(csrf_token(request)[:CSRF_SECRET_LENGTH] for _ in range(4000)))
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    expected = 4000 * CSRF_SECRET_LENGTH / len(CSRF_ALLOWED_CHARS)  # about 2065 each
    # A modulo bias (bytes 248-255 folded onto the first 8 characters) would put those near
    # 2330; uniform draws stay within a few standard deviations (about 45) of the mean.
    assert max(abs(count - expected) for count in counts.values()) < 250


def test_without_a_secret_django_makes_one_and_sets_its_cookie() -> None:
    request = RequestFactory().get("/")
    token = csrf_token(request)
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


@pytest.mark.django_db
def test_the_boards_logout_form_posts_with_its_token_and_not_with_a_tampered_one(
    people, smoke_track
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.owner)
    first = client.get(BOARD)  # the first page sets the CSRF cookie
    assert settings.CSRF_COOKIE_NAME in first.cookies
    again = client.get(BOARD)  # the frame from the cache; the cookie held is not sent again
    assert settings.CSRF_COOKIE_NAME not in again.cookies
    page = again.content.decode()
    token = TOKEN.search(page)
    assert token and "Log out owner" in page
    tampered = token.group(1)[:-1] + ("a" if token.group(1)[-1] != "a" else "b")
    assert client.post("/logout/", {"csrfmiddlewaretoken": tampered}).status_code == 403
    assert client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post("/logout/", {"csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302
    assert "Log in" in client.get(BOARD).content.decode()


@pytest.mark.parametrize("secret", ["é" * CSRF_SECRET_LENGTH, "-" * CSRF_SECRET_LENGTH])
def test_a_secret_outside_the_token_characters_is_left_to_django(secret: str) -> None:
    """ "é" is alphanumeric to Python but not a token character: no token is ciphered from it
    here; Django's own get_token decides (the middleware never lets such a secret through)."""
    with pytest.raises(ValueError):
        get_token(_request_with_secret(secret))
    with pytest.raises(ValueError):
        csrf_token(_request_with_secret(secret))


def test_a_forked_worker_never_hands_out_its_parents_masks() -> None:
    """Masks come from a per-process pool: a gunicorn worker forked from a process holding one
    must draw its own, or two workers would mask with the same characters."""
    import os

    from lib import csrf

    csrf._masks.take()  # the parent's pool holds masks not yet handed out
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os.write(write, csrf._masks.take().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert len(child) == CSRF_SECRET_LENGTH and child != csrf._masks.take()
