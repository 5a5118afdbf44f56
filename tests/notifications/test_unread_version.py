"""notifications: a person's unread version moves with every change of their unread count,
never with a change of nothing, and a lost one comes back past every value it had."""

import os

import pytest
from django.contrib.auth.models import User

from lib.versiontable import VersionTable, versions
from notifications.models import Kind
from notifications.selectors import notification_unread_version
from notifications.services import notification_create_many, notification_mark_read

pytestmark = pytest.mark.django_db


def _person() -> User:
    return User.objects.create_user(username="reader", password="pw-long-enough-1")


def test_a_new_notification_and_marking_it_read_each_move_the_version() -> None:
    person = _person()
    first = notification_unread_version(user=person)
    assert first > 0
    notification_create_many(users=[person], kind=Kind.BROADCAST, subject="s", body="b", link="/")
    second = notification_unread_version(user=person)
    assert second > first
    assert notification_mark_read(user=person) == 1
    assert notification_unread_version(user=person) > second


def test_marking_read_when_nothing_is_unread_moves_nothing() -> None:
    person = _person()
    before = notification_unread_version(user=person)
    for _ in range(3):
        assert notification_mark_read(user=person) == 0
    assert notification_unread_version(user=person) == before


def test_a_lost_version_comes_back_past_every_value_it_had() -> None:
    person = _person()
    notification_create_many(users=[person], kind=Kind.BROADCAST, subject="s", body="b", link="/")
    before = notification_unread_version(user=person)
    table = versions()
    assert isinstance(table, VersionTable)
    os.remove(table.path)
    assert notification_unread_version(user=person) > before
