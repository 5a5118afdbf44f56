"""Throttles of account creation and API token creation (Django REST framework's sliding
window), keyed on the client address the trusted proxy reports (lib.clientip) or on the
account, with each key's history in the database (ThrottleHistory), never in the shared cache
that evicts. Login throttling is django-axes (settings: AXES_*), also in the database."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from lib.clientip import client_ip

from .models import ThrottleHistory

_KEY_LENGTH = ThrottleHistory._meta.get_field("key").max_length or 200


class DatabaseHistory:
    """What DRF's throttle asks of its cache (get and set of one key's history), on
    ThrottleHistory rows. Expired rows count as none and are deleted at the next write."""

    @staticmethod
    def _row_key(key: str) -> str:
        return key if len(key) <= _KEY_LENGTH else hashlib.sha256(key.encode()).hexdigest()

    def get(self, key: str, default: Any = None) -> Any:
        history = (
            ThrottleHistory.objects.filter(key=self._row_key(key), expires_at__gt=timezone.now())
            .values_list("history", flat=True)
            .first()
        )
        return list(history) if history is not None else default

    def set(self, key: str, value: list[float], timeout: int) -> None:
        now = timezone.now()
        ThrottleHistory.objects.update_or_create(
            key=self._row_key(key),
            defaults={"history": value, "expires_at": now + timedelta(seconds=timeout)},
        )
        ThrottleHistory.objects.filter(expires_at__lte=now).delete()


class _Throttle(SimpleRateThrottle):
    setting = ""
    cache = DatabaseHistory()

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
