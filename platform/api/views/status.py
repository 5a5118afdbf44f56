"""The platform's status, public: queue depths and the workers serving each queue, counted by
state (no names), as on the /status/ page."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from submissions.queue_status import median_wait_seconds, queue_states


class QueueStateSerializer(serializers.Serializer):
    queue = serializers.CharField()
    waiting = serializers.IntegerField()
    running = serializers.IntegerField()
    health = serializers.CharField(help_text="serving, no worker, or idle, no worker seen")
    workers = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="workers and run agents on the queue by state: idle, busy (agents heard "
        "from within the presence window), stale, down, online (answered a ping), running",
    )
    median_run_seconds = serializers.FloatField(allow_null=True)
    median_wait_seconds = serializers.FloatField(allow_null=True)


class PlatformStatusSerializer(serializers.Serializer):
    median_wait_seconds = serializers.FloatField(
        allow_null=True, help_text="queued to running, runs started in the last day"
    )
    queues = QueueStateSerializer(many=True)


class PlatformStatusView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: PlatformStatusSerializer},
        summary="Queue depths and the workers serving each queue (public)",
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()
        queues = [
            {
                "queue": state.queue,
                "waiting": state.waiting,
                "running": state.running,
                "health": state.health,
                "workers": state.state_counts,
                "median_run_seconds": state.median_run_seconds,
                "median_wait_seconds": state.median_wait_seconds,
            }
            for state in queue_states(now=now)
        ]
        body = {"median_wait_seconds": median_wait_seconds(now=now), "queues": queues}
        return Response(PlatformStatusSerializer(body).data)
