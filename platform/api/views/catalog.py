"""Benchmarks, tracks, leaderboards (JSON, CSV) and the public val sample archive."""

from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.selectors import audit_anchor_current
from leaderboards.exports import frame_anchored, frame_csv, response_anchored

from ..archives import SplitNotPublic, split_archive_build, split_archive_etag, split_archive_name
from ..errors import ApiError
from ..selectors import (
    benchmark_list_public,
    leaderboard_data,
    leaderboard_frame,
    split_get,
    track_get_by_key,
)
from ..serializers import BenchmarkSerializer, LeaderboardSerializer, MeSerializer, TrackSerializer
from .common import errors, export_format

SPLIT_PARAM = OpenApiParameter("split", str, description="only this split (e.g. val)")
FORMAT_PARAM = OpenApiParameter("format", str, enum=["csv", "json"], description="default json")


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeSerializer, **errors(401)}, summary="Who the token is")
    def get(self, request: Request) -> Response:
        user = request.user
        teams = sorted(user.teams.values_list("slug", flat=True))
        return Response(
            {"username": user.get_username(), "is_staff": user.is_staff, "teams": teams}
        )


class BenchmarkListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: BenchmarkSerializer(many=True)}, summary="Benchmarks and tracks")
    def get(self, request: Request) -> Response:
        return Response(BenchmarkSerializer(benchmark_list_public(), many=True).data)


class BenchmarkDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: BenchmarkSerializer, **errors(404)}, summary="One benchmark")
    def get(self, request: Request, benchmark: str) -> Response:
        found = benchmark_list_public().filter(slug=benchmark).first()
        if found is None:
            raise ApiError("benchmark_not_found", f"no benchmark {benchmark}", status_code=404)
        return Response(BenchmarkSerializer(found).data)


class TrackDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: TrackSerializer, **errors(404)}, summary="One track")
    def get(self, request: Request, benchmark: str, track: str) -> Response:
        return Response(TrackSerializer(track_get_by_key(benchmark=benchmark, track=track)).data)


class LeaderboardView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[SPLIT_PARAM],
        responses={200: LeaderboardSerializer, **errors(404)},
        summary="A track's leaderboard, one board per split",
    )
    def get(self, request: Request, benchmark: str, track: str) -> Response:
        found = track_get_by_key(benchmark=benchmark, track=track)
        data = leaderboard_data(track=found, split_name=request.query_params.get("split"))
        data["audit_chain"] = audit_anchor_current().columns()
        return Response(data)


class LeaderboardExportView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[SPLIT_PARAM, FORMAT_PARAM],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/json"): OpenApiTypes.ANY,
            **errors(400, 404),
        },
        summary="The leaderboard as a table: one line per split and entry",
    )
    def get(self, request: Request, benchmark: str, track: str) -> HttpResponse:
        chosen = export_format(request)
        found = track_get_by_key(benchmark=benchmark, track=track)
        anchor = audit_anchor_current()
        frame = frame_anchored(
            leaderboard_frame(
                leaderboard_data(track=found, split_name=request.query_params.get("split"))
            ),
            anchor,
        )
        name = f"{benchmark}-{track}-leaderboard.{chosen}"
        if chosen == "csv":
            response = HttpResponse(frame_csv(frame), content_type="text/csv")
        else:
            body = frame.to_json(orient="records", date_format="iso")
            response = HttpResponse(body, content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response_anchored(response, anchor)


class SplitArchiveView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            (200, "application/gzip"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="tar.gz: sample.json, inputs/ (what /input holds), labels/",
            ),
            **errors(403, 404),
        },
        summary="A public split's inputs and truth, for local validation",
    )
    def get(self, request: Request, benchmark: str, track: str, split: str) -> FileResponse:
        found = split_get(track=track_get_by_key(benchmark=benchmark, track=track), name=split)
        try:
            path = split_archive_build(split=found)
        except SplitNotPublic as exc:
            raise ApiError("split_not_public", str(exc), status_code=403) from None
        response = FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=split_archive_name(found),
            content_type="application/gzip",
        )
        response["ETag"] = f'"{split_archive_etag(found)}"'
        return response
