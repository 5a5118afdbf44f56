"""Throttles of account creation and API token creation (Django REST framework's sliding
window in the cache), keyed on the client address the trusted proxy reports (lib.clientip)
or on the account. Login throttling is django-axes (settings: AXES_*)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle

from lib.clientip import client_ip


class _Throttle(SimpleRateThrottle):
    setting = ""

    def get_rate(self) -> str:
        return str(getattr(settings, self.setting))

    def ident_of(self, request: HttpRequest) -> str:
        raise NotImplementedError

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.ident_of(request)}

    def allow(self, request: HttpRequest) -> bool:
        """Count this attempt; False once the rate is used up (``wait()`` says how long)."""
        return bool(self.allow_request(request, None))


class SignupThrottle(_Throttle):
    """Signups per client address."""

    scope = "signup"
    setting = "FORGERYBENCH_SIGNUP_RATE"

    def ident_of(self, request: HttpRequest) -> str:
        return client_ip(request)


class TokenCreateThrottle(_Throttle):
    """API tokens created per account."""

    scope = "token-create"
    setting = "FORGERYBENCH_TOKEN_CREATE_RATE"

    def ident_of(self, request: HttpRequest) -> str:
        return f"user-{request.user.pk}"


def retry_after(throttle: _Throttle) -> str:
    wait = throttle.wait()
    return str(max(1, int(wait or 1)))
