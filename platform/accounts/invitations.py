"""Invitation tokens: the invitation's id signed with the site's secret key.

Nothing secret is stored with the invitation; a token names one row and cannot be forged. Its
validity (not expired, revoked, used or declined) is the row's, checked on every use.
"""

from django.core import signing

SALT = "forgerybench.accounts.invitation"


class BadInvitationToken(ValueError):
    """The link was altered, cut short, or made with another key."""


def invitation_token(*, invitation_id: int) -> str:
    return signing.dumps(invitation_id, salt=SALT)


def invitation_token_read(token: str) -> int:
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise BadInvitationToken("this invitation link is not valid") from None
    if not isinstance(value, int):
        raise BadInvitationToken("this invitation link is not valid")
    return value
