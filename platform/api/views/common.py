from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework.request import Request

from ..errors import ApiError
from ..serializers import ErrorSerializer

ERROR = OpenApiResponse(ErrorSerializer, description='{"code": ..., "message": ...}')


def errors(*codes: int) -> dict[int, Any]:
    return dict.fromkeys(codes, ERROR)


def export_format(request: Request) -> str:
    chosen = request.query_params.get("format", "json")
    if chosen not in ("csv", "json"):
        raise ApiError("bad_format", f"format must be csv or json, not {chosen!r}")
    return chosen
