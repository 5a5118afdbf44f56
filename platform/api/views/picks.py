"""Final picks: list your teams' picks, pick a finished submission, unpick one."""

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from benchmarks.models import Phase
from submissions.models import FinalPick, Submission
from submissions.picks import PickForbidden, PickRefused, final_pick_add, final_pick_remove
from submissions.selectors import phase_open_for_benchmark

from ..errors import ApiError
from .common import errors


class FinalPickSerializer(serializers.ModelSerializer):
    phase = serializers.SerializerMethodField(help_text="<benchmark>/<phase>")
    team = serializers.CharField(source="team.slug")
    picked_by = serializers.SerializerMethodField()

    class Meta:
        model = FinalPick
        fields = ["id", "phase", "team", "submission", "picked_by", "automatic", "created_at"]

    def get_phase(self, pick: FinalPick) -> str:
        return f"{pick.phase.benchmark.slug}/{pick.phase.slug}"

    def get_picked_by(self, pick: FinalPick) -> str:
        return pick.picked_by.get_username() if pick.picked_by else "system"


class FinalPickCreateSerializer(serializers.Serializer):
    submission = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    phase = serializers.RegexField(
        r"^[-a-zA-Z0-9_]+/[-a-zA-Z0-9_]+$",
        required=False,
        max_length=121,
        help_text="<benchmark>/<phase>; default: the phase open now on the submission's benchmark",
    )


def _picks_for(user: User) -> QuerySet[FinalPick]:
    return FinalPick.objects.filter(team__memberships__user=user).select_related(
        "phase__benchmark", "team", "picked_by"
    )


def _phase_for(submission: Submission, phase_id: str | None) -> Phase:
    if phase_id:
        benchmark, _, slug = phase_id.partition("/")
        phase = (
            Phase.objects.select_related("benchmark")
            .filter(benchmark__slug=benchmark, slug=slug)
            .first()
        )
        if phase is None:
            raise ApiError("phase_not_found", f"no phase {phase_id}", status_code=404)
        return phase
    phase = phase_open_for_benchmark(benchmark_id=submission.track.benchmark_id, now=timezone.now())
    if phase is None:
        raise ApiError(
            "phase_closed",
            f"no phase of {submission.track.benchmark.slug} is open; name one with 'phase'",
            status_code=409,
        )
    return phase


def _refusal(exc: PickRefused | PickForbidden) -> ApiError:
    if isinstance(exc, PickForbidden):
        return ApiError("not_your_team", str(exc), status_code=403)
    return ApiError(exc.code, str(exc), status_code=409)


class FinalPickListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("phase", str, description="<benchmark>/<phase>")],
        responses={200: FinalPickSerializer(many=True), **errors(401)},
        summary="Your teams' final picks",
    )
    def get(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        picks = _picks_for(user)
        phase = request.query_params.get("phase")
        if phase:
            benchmark, _, slug = phase.partition("/")
            picks = picks.filter(phase__benchmark__slug=benchmark, phase__slug=slug)
        return Response(FinalPickSerializer(picks.order_by("pk")[:500], many=True).data)

    @extend_schema(
        request=FinalPickCreateSerializer,
        responses={201: FinalPickSerializer, **errors(400, 401, 403, 404, 409)},
        summary="Pick a finished submission as one of your team's finals",
        description="Up to the phase's limit, while the phase is open and not revealed. "
        "Refusals are 409 with a code: too_many_picks, not_finished, disqualified, "
        "already_picked, phase_closed, phase_not_open, wrong_benchmark.",
    )
    def post(self, request: Request) -> Response:
        body = FinalPickCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        submission = (
            Submission.objects.select_related("team", "track", "track__benchmark")
            .filter(pk=body.validated_data["submission"], team__memberships__user=user)
            .first()
        )
        if submission is None:
            raise ApiError("not_found", "no such submission of your teams", status_code=404)
        phase = _phase_for(submission, body.validated_data.get("phase"))
        try:
            pick = final_pick_add(phase=phase, submission=submission, user=user)
        except (PickRefused, PickForbidden) as exc:
            raise _refusal(exc) from None
        return Response(FinalPickSerializer(pick).data, status=201)


class FinalPickDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={204: None, **errors(401, 403, 404, 409)},
        summary="Unpick (while the phase is open and not revealed)",
    )
    def delete(self, request: Request, pick_id: int) -> Response:
        user = request.user
        assert isinstance(user, User)
        pick = _picks_for(user).select_related("submission__team").filter(pk=pick_id).first()
        if pick is None:
            raise ApiError("not_found", "no such pick of your teams", status_code=404)
        try:
            final_pick_remove(phase=pick.phase, submission=pick.submission, user=user)
        except (PickRefused, PickForbidden) as exc:
            raise _refusal(exc) from None
        return Response(status=204)
