"""``Authorization: Bearer <key>`` (or ``Token <key>``) against hashed API tokens."""

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .tokens import token_authenticate


class HashedTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "the Authorization header must be 'Bearer <token>'"
            )
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("the token is not ASCII") from None
        token = token_authenticate(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(
                "unknown or revoked token; create a new one on your account page"
            )
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
