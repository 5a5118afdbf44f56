"""Resumable uploads: create with size + SHA-256, PATCH chunks at offsets, GET the offset."""

from django.contrib.auth.models import User
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Team

from ..errors import ApiError
from ..selectors import track_get_by_id
from ..serializers import UploadCreateSerializer, UploadSerializer
from ..uploads import (
    upload_session_create,
    upload_session_delete,
    upload_session_get,
    upload_session_write,
)
from .common import errors

CHUNK_TYPES = ("application/octet-stream", "application/offset+octet-stream")


def _team_for(user: User, slug: str | None) -> Team:
    teams = Team.objects.filter(memberships__user=user)
    if slug:
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            raise ApiError("team_not_found", f"no team {slug}", status_code=404)
        return team
    mine = list(teams[:2])
    if len(mine) != 1:
        raise ApiError(
            "team_required",
            "you belong to several teams (or none): name one with 'team'",
            status_code=400,
        )
    return mine[0]


class UploadListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=UploadCreateSerializer,
        responses={201: UploadSerializer, **errors(400, 401, 403, 404, 409, 413)},
        summary="Start a resumable upload of an image tarball",
        description="Declare the total size and SHA-256 of a `docker save` tarball (plain or "
        "gzip-compressed), then PATCH its bytes. Track, team and method are checked now, "
        "before any byte is sent.",
    )
    def post(self, request: Request) -> Response:
        body = UploadCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = request.user
        assert isinstance(user, User)
        session = upload_session_create(
            user=user,
            team=_team_for(user, data.get("team")),
            track=track_get_by_id(track_id=data["track"]),
            method_name=data["method_name"],
            training_data=data["training_data"],
            size=data["size"],
            sha256=data["sha256"],
            model_card=data.get("model_card", ""),
            license=data.get("license", ""),
        )
        session = upload_session_get(session_id=session.pk, user=user)
        response = Response(UploadSerializer(session).data, status=201)
        response["Location"] = f"/api/v1/uploads/{session.pk}/"
        response["Upload-Offset"] = "0"
        return response


class UploadDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: UploadSerializer, **errors(401, 404)},
        summary="An upload's state and offset (where to resume)",
    )
    def get(self, request: Request, upload_id: str) -> Response:
        user = request.user
        assert isinstance(user, User)
        session = upload_session_get(session_id=upload_id, user=user)
        response = Response(UploadSerializer(session).data)
        response["Upload-Offset"] = str(session.received)
        return response

    @extend_schema(
        request={"application/octet-stream": OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter(
                "Upload-Offset",
                int,
                OpenApiParameter.HEADER,
                required=True,
                description="where these bytes start; must equal the upload's offset",
            )
        ],
        responses={200: UploadSerializer, **errors(400, 401, 404, 409, 410, 413, 415, 422)},
        summary="Send bytes at an offset",
        description="The body is raw bytes (Content-Length required). The bytes that arrive "
        "are kept even if the connection drops. The last chunk triggers the SHA-256 check.",
    )
    def patch(self, request: Request, upload_id: str) -> Response:
        user = request.user
        assert isinstance(user, User)
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type not in CHUNK_TYPES:
            raise ApiError(
                "unsupported_media_type",
                f"send chunks as {CHUNK_TYPES[0]} (got {content_type or 'nothing'})",
                status_code=415,
            )
        offset = _header_int(request, "Upload-Offset", "HTTP_UPLOAD_OFFSET")
        length = _header_int(request, "Content-Length", "CONTENT_LENGTH")
        session = upload_session_write(
            session_id=upload_id,
            user=user,
            offset=offset,
            length=length,
            # The raw WSGI stream: the body is never read into memory (nor parsed).
            stream=request._request,
        )
        response = Response(UploadSerializer(session).data)
        response["Upload-Offset"] = str(session.received)
        return response

    @extend_schema(responses={204: None, **errors(401, 404)}, summary="Abandon an upload")
    def delete(self, request: Request, upload_id: str) -> Response:
        user = request.user
        assert isinstance(user, User)
        upload_session_delete(session_id=upload_id, user=user)
        return Response(status=204)


def _header_int(request: Request, name: str, meta_key: str) -> int:
    raw = request.META.get(meta_key, "")
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ApiError("bad_header", f"the {name} header must be an integer", 400) from None
    if value < 0:
        raise ApiError("bad_header", f"the {name} header must not be negative", 400)
    return value
