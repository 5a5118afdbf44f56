import logging
from datetime import timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy, slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .join_rules import join_refusal
from .models import Invitation, Membership, Team
from .selectors import invitation_refusal, team_role
from .signals import invitation_created, team_changed

logger = logging.getLogger(__name__)


@transaction.atomic
def team_create(*, name: str, owner: User | None = None, is_baseline: bool = False) -> Team:
    team = Team.objects.create(name=name, slug=slugify(name), is_baseline=is_baseline)
    if owner is not None:
        Membership.objects.create(team=team, user=owner, role=Membership.Role.OWNER)
    return team


def team_add_member(*, team: Team, user: User) -> Membership:
    """Add `user` to `team`, unless that binds them to a second team in a phase they take
    part in (``TeamRuleRefused`` names it)."""
    with transaction.atomic():
        # The user's row is the lock every one-team check takes for this person.
        User.objects.select_for_update().filter(pk=user.pk).first()
        existing = Membership.objects.filter(team=team, user=user).first()
        if existing is not None:
            return existing
        team_membership_check(team=team, user=user)
        return Membership.objects.create(team=team, user=user)


def user_create(*, username: str, password: str, is_staff: bool = False) -> User:
    user = User.objects.create_user(username=username, password=password)
    if is_staff:
        user.is_staff = True
        user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    return user


# Teams: invitations, leaving, removing a member, transferring ownership.

INVITATION_LIFETIME = timedelta(days=7)


class TeamActionRefused(ValueError):
    """A team action that cannot be done; the message says why and is shown as is."""


class TeamPermissionDenied(PermissionError):
    """Only a team's owner may do this."""


def _require_owner(*, team: Team, user: User) -> None:
    if team_role(team=team, user=user) != Membership.Role.OWNER:
        raise TeamPermissionDenied(
            gettext("only an owner of %(team)s can do this") % {"team": team}
        )


def _notify(*, users: list[User], subject: str | Promise, body: str | Promise, link: str) -> None:
    team_changed.send_robust(sender=Team, users=users, subject=subject, body=body, link=link)


class TeamRuleRefused(TeamActionRefused):
    """Joining would put a person on a second team in a phase (one person, one quota)."""


def team_membership_check(*, team: Team, user: User) -> None:
    """One person, one team per benchmark phase: refuse `user` joining `team` while another
    of their teams takes part in the phase in force that `team` takes part in too (the rule
    and its reads: submissions.team_rule, registered in accounts.join_rules)."""
    refusal = join_refusal(team=team, user=user, now=timezone.now())
    if refusal:
        raise TeamRuleRefused(refusal)


@transaction.atomic
def invitation_create(*, team: Team, user: User, email: str = "") -> Invitation:
    """An owner invites by a link to share (no address) or by mail to one address."""
    _require_owner(team=team, user=user)
    address = email.strip()
    if address:
        try:
            validate_email(address)
        except ValidationError:
            raise TeamActionRefused(
                gettext("%(address)r is not an e-mail address") % {"address": address}
            ) from None
        if Membership.objects.filter(team=team, user__email__iexact=address).exists():
            raise TeamActionRefused(
                gettext("%(address)s already belongs to a member of %(team)s")
                % {"address": address, "team": team}
            )
    invitation = Invitation.objects.create(
        team=team,
        created_by=user,
        email=address,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    if address:
        invitation_created.send_robust(sender=Team, invitation_id=invitation.pk)
        invited = list(User.objects.filter(email__iexact=address, is_active=True))
        if invited:
            _notify(
                users=invited,
                subject=format_lazy(
                    _("{name} invites you to join {team}"), name=user.get_username(), team=team
                ),
                body=format_lazy(
                    _(
                        "{name} invites you to join the team {team}. The invitation was mailed "
                        "to you; open its link to accept or decline."
                    ),
                    name=user.get_username(),
                    team=team,
                ),
                link=f"/teams/{team.slug}/",
            )
    return invitation


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Join the team: once for a mailed invitation, by anyone for a link until it expires."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update().select_related("team").get(pk=invitation.pk)
        )
        refusal = invitation_refusal(invitation=invitation, now=timezone.now())
        if refusal:
            raise TeamActionRefused(refusal)
        team = invitation.team
        if Membership.objects.filter(team=team, user=user).exists():
            raise TeamActionRefused(
                gettext("you are a member of %(team)s already") % {"team": team}
            )
        team_membership_check(team=team, user=user)
        membership = Membership.objects.create(team=team, user=user, role=Membership.Role.MEMBER)
        Invitation.objects.filter(pk=invitation.pk).update(
            uses=F("uses") + 1,
            accepted_at=timezone.now(),
            accepted_by=user if not invitation.is_link else None,
        )
        owners = list(User.objects.filter(memberships__team=team, memberships__role="owner"))
        _notify(
            users=owners,
            subject=format_lazy(_("{name} joined {team}"), name=user.get_username(), team=team),
            body=format_lazy(
                _("{name} accepted an invitation and joined {team}."),
                name=user.get_username(),
                team=team,
            ),
            link=f"/teams/{team.slug}/",
        )
    logger.info("%s joined %s by invitation %s", user, team, invitation.pk)
    return membership


def invitation_decline(*, invitation: Invitation, user: User | None) -> None:
    """Say no: a mailed invitation is closed; a shared link stays open for others."""
    if invitation.is_link:
        return
    with transaction.atomic():
        moved = Invitation.objects.filter(
            pk=invitation.pk,
            accepted_at__isnull=True,
            declined_at__isnull=True,
            revoked_at__isnull=True,
        ).update(declined_at=timezone.now())
        if moved:
            owners = list(
                User.objects.filter(memberships__team=invitation.team_id, memberships__role="owner")
            )
            _notify(
                users=owners,
                subject=format_lazy(_("Invitation to {team} declined"), team=invitation.team),
                body=format_lazy(
                    _("The invitation mailed to {address} was declined."),
                    address=invitation.email,
                ),
                link=f"/teams/{invitation.team.slug}/",
            )


def invitation_revoke(*, invitation: Invitation, user: User) -> None:
    _require_owner(team=invitation.team, user=user)
    Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def team_leave(*, team: Team, user: User) -> None:
    """A member leaves; an owner hands the team over first (a team always keeps an owner)."""
    with transaction.atomic():
        Team.objects.select_for_update().filter(pk=team.pk).first()
        role = team_role(team=team, user=user)
        if role is None:
            raise TeamActionRefused(gettext("you are not a member of %(team)s") % {"team": team})
        if role == Membership.Role.OWNER:
            raise TeamActionRefused(
                gettext("you own %(team)s: transfer the ownership to another member before leaving")
                % {"team": team}
            )
        Membership.objects.filter(team=team, user=user).delete()
        owners = list(User.objects.filter(memberships__team=team, memberships__role="owner"))
        _notify(
            users=owners,
            subject=format_lazy(_("{name} left {team}"), name=user.get_username(), team=team),
            body=format_lazy(
                _("{name} left the team {team}."), name=user.get_username(), team=team
            ),
            link=f"/teams/{team.slug}/",
        )


def team_remove_member(*, team: Team, user: User, member: User) -> None:
    """An owner removes another member."""
    with transaction.atomic():
        Team.objects.select_for_update().filter(pk=team.pk).first()
        _require_owner(team=team, user=user)
        if member.pk == user.pk:
            raise TeamActionRefused(
                gettext("you cannot remove yourself; transfer the ownership first")
            )
        if not Membership.objects.filter(team=team, user=member).delete()[0]:
            raise TeamActionRefused(
                gettext("%(name)s is not a member of %(team)s")
                % {"name": member.get_username(), "team": team}
            )
        _notify(
            users=[member],
            subject=format_lazy(_("You were removed from {team}"), team=team),
            body=format_lazy(
                _("{name}, an owner of {team}, removed you from the team."),
                name=user.get_username(),
                team=team,
            ),
            link=f"/teams/{team.slug}/",
        )


def team_transfer_ownership(*, team: Team, user: User, new_owner: User) -> None:
    """The owner makes another member the owner and becomes a member."""
    with transaction.atomic():
        Team.objects.select_for_update().filter(pk=team.pk).first()
        _require_owner(team=team, user=user)
        if new_owner.pk == user.pk:
            raise TeamActionRefused(gettext("you own the team already"))
        if not Membership.objects.filter(team=team, user=new_owner).update(
            role=Membership.Role.OWNER
        ):
            raise TeamActionRefused(
                gettext("%(name)s is not a member of %(team)s")
                % {"name": new_owner.get_username(), "team": team}
            )
        Membership.objects.filter(team=team, user=user).update(role=Membership.Role.MEMBER)
        _notify(
            users=[new_owner],
            subject=format_lazy(_("You now own {team}"), team=team),
            body=format_lazy(
                _("{name} made you the owner of {team}."), name=user.get_username(), team=team
            ),
            link=f"/teams/{team.slug}/",
        )
