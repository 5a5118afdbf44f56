"""Every API error is a 4xx JSON object ``{"code": ..., "message": ...}``.

`code` is stable and machine-readable; `message` is for people. Validation errors add
`fields`, a map from field name to its messages.
"""

from typing import Any

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApiError(exceptions.APIException):
    """A named refusal: raise ``ApiError("code", "message", status=409)``."""

    def __init__(self, code: str, message: str, status_code: int = 400, **extra: Any):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.message = message
        self.extra = extra


# DRF's own exceptions, renamed to the codes the API documents.
_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "bad_token",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.ParseError: "bad_request",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.Throttled: "throttled",
}


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [f"{key}: {text}" for key, value in detail.items() for text in _flatten(value)]
    if isinstance(detail, list):
        return [text for item in detail for text in _flatten(item)]
    return [str(detail)]


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, **extra}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "not found")
    if isinstance(exc, ApiError):
        response = Response(error_body(exc.error_code, exc.message, **exc.extra), exc.status_code)
        return response
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response  # an unexpected error: a real 500, logged by Django
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body(
            "invalid", "; ".join(_flatten(exc.detail)) or "invalid input", fields=fields
        )
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response
    code = next((name for kind, name in _CODES.items() if isinstance(exc, kind)), "error")
    response.data = error_body(code, " ".join(_flatten(exc.detail)))
    return response
