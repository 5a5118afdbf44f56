"""Rules a person must pass to join a team, handed down by the apps that own them.

Accounts sits below the apps that know what a team takes part in, so it cannot ask them
itself. An app registers its rule once, from its ``AppConfig.ready`` (submissions registers
the one-person-one-team-per-phase rule, ``submissions.team_rule.team_join_refusal``); every
path that adds a member asks ``join_refusal`` first, under the joining person's row lock.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from django.contrib.auth.models import User

from .models import Team


class JoinRule(Protocol):
    def __call__(self, *, team: Team, user: User, now: datetime) -> str | None:
        """Why `user` may not join `team` at `now`, or None."""


_RULES: list[Callable[..., str | None]] = []


def join_rule_register(rule: JoinRule) -> None:
    """Add a rule (once: registering the same rule again changes nothing)."""
    if rule not in _RULES:
        _RULES.append(rule)


def join_refusal(*, team: Team, user: User, now: datetime) -> str | None:
    """The first registered rule's refusal, or None when every rule lets `user` join."""
    for rule in _RULES:
        refusal = rule(team=team, user=user, now=now)
        if refusal:
            return refusal
    return None
