"""Submissions: create from a complete upload (idempotent), status, logs, results, export."""

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leaderboards.exports import frame_csv
from submissions.selectors import (
    submission_can_see_logs,
    submission_list_for_user,
    submission_run_views,
)

from ..errors import ApiError
from ..selectors import submission_frame, submission_get, submission_visible_results
from ..serializers import (
    LogsSerializer,
    ResultSerializer,
    SubmissionCreateSerializer,
    SubmissionSerializer,
)
from ..services import submission_create_from_upload
from .common import errors, export_format

IDEMPOTENCY_PARAM = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="any unique string (e.g. a UUID); a retried request with the same key "
    "returns the first answer instead of making a second submission",
)
MAX_KEY_LENGTH = 200


class SubmissionListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("track", str, description="<benchmark>/<track>")],
        responses={200: SubmissionSerializer(many=True), **errors(401)},
        summary="Your teams' submissions, newest first",
    )
    def get(self, request: Request) -> Response:
        queryset = submission_list_for_user(user=request.user)
        track = request.query_params.get("track")
        if track:
            benchmark, _, slug = track.partition("/")
            queryset = queryset.filter(track__benchmark__slug=benchmark, track__slug=slug)
        return Response(SubmissionSerializer(queryset[:200], many=True).data)

    @extend_schema(
        request=SubmissionCreateSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={
            201: SubmissionSerializer,
            200: SubmissionSerializer,
            **errors(400, 401, 404, 409, 422),
        },
        summary="Submit a complete upload",
        description="Loads the uploaded image and queues it. 201 when this call made the "
        "submission; 200 (header Idempotent-Replayed: true) when an earlier call did.",
    )
    def post(self, request: Request) -> Response:
        body = SubmissionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        key = request.META.get("HTTP_IDEMPOTENCY_KEY", "").strip()
        if len(key) > MAX_KEY_LENGTH:
            raise ApiError("bad_header", f"Idempotency-Key is longer than {MAX_KEY_LENGTH}")
        user = request.user
        assert isinstance(user, User)
        submission, created = submission_create_from_upload(
            user=user, session_id=body.validated_data["upload"], idempotency_key=key
        )
        response = Response(SubmissionSerializer(submission).data, status=201 if created else 200)
        response["Location"] = f"/api/v1/submissions/{submission.pk}/"
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response


class SubmissionExportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=["csv", "json"], description="default json")
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/json"): OpenApiTypes.ANY,
            **errors(400, 401),
        },
        summary="Your teams' submissions as a table",
    )
    def get(self, request: Request) -> HttpResponse:
        chosen = export_format(request)
        frame = submission_frame(list(submission_list_for_user(user=request.user)[:10_000]))
        if chosen == "csv":
            response = HttpResponse(frame_csv(frame), content_type="text/csv")
        else:
            response = HttpResponse(
                frame.to_json(orient="records"), content_type="application/json"
            )
        response["Content-Disposition"] = f'attachment; filename="submissions.{chosen}"'
        return response


class SubmissionDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: SubmissionSerializer, **errors(404)},
        summary="A submission's status and timeline",
    )
    def get(self, request: Request, submission_id: int) -> Response:
        submission = submission_get(submission_id=submission_id)
        data = SubmissionSerializer(submission).data
        if not submission_can_see_logs(submission=submission, user=request.user):
            # Anyone else sees the state only: reasons and the queue place (fair-share level,
            # backlog ahead) are the team's.
            data["failure_code"] = data["failure_reason"] = ""
            data["queue"] = None
        return Response(data)


class SubmissionResultsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: ResultSerializer(many=True), **errors(404)},
        summary="Scored results (hidden splits once published)",
    )
    def get(self, request: Request, submission_id: int) -> Response:
        submission = submission_get(submission_id=submission_id)
        results = submission_visible_results(submission=submission, user=request.user)
        return Response(ResultSerializer(results, many=True).data)


class SubmissionLogsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: LogsSerializer, **errors(401, 403, 404)},
        summary="The log tail of each run (your own team's submissions only)",
    )
    def get(self, request: Request, submission_id: int) -> Response:
        submission = submission_get(submission_id=submission_id)
        if not submission_can_see_logs(submission=submission, user=request.user):
            raise ApiError(
                "not_your_team", "logs are shown to the submitting team only", status_code=403
            )
        views = submission_run_views(
            submission=submission,
            user=request.user,
            settings_cap_mb=settings.FORGERYBENCH_OUTPUT_CAP_MB,
        )
        runs = [
            {
                "split": view.split,
                "visibility": view.visibility,
                "outcome": view.hidden.outcome if view.hidden else view.outcome,
                "exit_code": view.exit_code,
                "wall_seconds": view.wall_seconds,
                "peak_memory_bytes": view.peak_memory_bytes,
                "output_bytes": view.output_bytes,
                "measured": view.hidden.as_dict() if view.hidden else None,
                "log_tail": view.log_tail,
            }
            for view in views
        ]
        return Response(
            {
                "submission": submission.pk,
                "status": submission.status,
                "log_tail": submission.log_tail,
                "runs": runs,
            }
        )
