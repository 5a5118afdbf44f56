"""Terms before data: each benchmark's versioned terms, and the teams that accepted them.

A team accepts the current version (the newest loaded) before it may submit to the benchmark;
a new version asks again. Baseline teams are the platform's own and accept nothing.
"""

import hashlib

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from accounts.models import Team
from audit.models import AuditAction
from audit.services import audit_append

from .models import Benchmark, Terms, TermsAcceptance


class TermsRefused(ValueError):
    """A terms write that cannot be done; the message says why."""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def terms_current(*, benchmark: Benchmark) -> Terms | None:
    return Terms.objects.filter(benchmark=benchmark).order_by("-created_at", "-pk").first()


def terms_conflict(*, benchmark_slug: str, version: str, text: str) -> str | None:
    """Why loading these terms would rewrite an existing version's text, or None."""
    known = Terms.objects.filter(benchmark__slug=benchmark_slug, version=version).first()
    if known is not None and known.text_sha256 != _sha(text):
        return (
            f"terms version {version!r} of {benchmark_slug} exists with another text: "
            "changed terms need a new version (teams accept each version)"
        )
    return None


def terms_publish(*, benchmark: Benchmark, version: str, text: str) -> Terms:
    """Record a version of the terms (once; a version's text never changes)."""
    conflict = terms_conflict(benchmark_slug=benchmark.slug, version=version, text=text)
    if conflict:
        raise TermsRefused(conflict)
    terms, _ = Terms.objects.get_or_create(
        benchmark=benchmark, version=version, defaults={"text": text, "text_sha256": _sha(text)}
    )
    return terms


def terms_accepted(*, team: Team, terms: Terms) -> bool:
    return TermsAcceptance.objects.filter(team=team, terms=terms).exists()


def terms_refusal(*, team: Team, benchmark: Benchmark) -> str | None:
    """Why `team` may not submit to the benchmark for want of accepted terms, or None."""
    if team.is_baseline:
        return None
    terms = terms_current(benchmark=benchmark)
    if terms is None or terms_accepted(team=team, terms=terms):
        return None
    return gettext(
        "%(team)s has not accepted the terms of %(benchmark)s (version %(version)s): "
        "read and accept them at /b/%(slug)s/terms/"
    ) % {
        "team": team,
        "benchmark": benchmark.name,
        "version": terms.version,
        "slug": benchmark.slug,
    }


def terms_accept(*, terms: Terms, team: Team, user: User) -> TermsAcceptance:
    """A team member accepts the terms for the team; recorded once and audited."""

    if not team.memberships.filter(user=user).exists():
        raise TermsRefused(f"you are not a member of {team}")
    if terms_current(benchmark=terms.benchmark) != terms:
        raise TermsRefused("these terms were replaced by a newer version; read that one")
    try:
        with transaction.atomic():
            acceptance = TermsAcceptance.objects.create(terms=terms, team=team, accepted_by=user)
            audit_append(
                action=AuditAction.TERMS_ACCEPTED,
                target_type="benchmark",
                target_id=terms.benchmark_id,
                actor=user.get_username(),
                payload={
                    "team": team.slug,
                    "version": terms.version,
                    "text_sha256": terms.text_sha256,
                },
            )
    except IntegrityError:
        return TermsAcceptance.objects.get(terms=terms, team=team)
    return acceptance


def terms_acceptances(*, benchmark: Benchmark) -> list[TermsAcceptance]:
    """Every acceptance of every version (the organizers' view)."""
    return list(
        TermsAcceptance.objects.filter(terms__benchmark=benchmark)
        .select_related("terms", "team", "accepted_by")
        .order_by("-accepted_at")
    )
