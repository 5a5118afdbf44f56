"""Signed one-click unsubscribe tokens: who, and which kind of mail ("all" for every kind).

The token is signed with the site's secret key (django.core.signing) and never expires: an
unsubscribe link must keep working in an old mail. It grants nothing but switching mail off.
"""

from django.core import signing

SALT = "forgerybench.notifications.unsubscribe"
ALL_KINDS = "all"


class BadUnsubscribeToken(ValueError):
    """The link was altered, cut short or made with another key."""


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    return signing.dumps({"u": user_id, "k": kind}, salt=SALT)


def unsubscribe_token_read(token: str) -> tuple[int, str]:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise BadUnsubscribeToken("this unsubscribe link is not valid") from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise BadUnsubscribeToken("this unsubscribe link is not valid")
    return data["u"], str(data.get("k", ALL_KINDS))
