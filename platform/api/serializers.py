"""Request and response shapes. They translate only; rules live in services."""

from dataclasses import asdict
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.chain import text_sha256
from benchmarks.models import Benchmark, Split, Track
from submissions.models import Result, Submission
from submissions.queue_status import submission_queue_place
from submissions.services import LICENSE_MAX_CHARS, MODEL_CARD_MAX_BYTES

from .models import UploadSession


def track_key(track: Track) -> str:
    """The id teams type: ``<benchmark>/<track>``."""
    return f"{track.benchmark.slug}/{track.slug}"


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="stable, machine-readable")
    message = serializers.CharField(help_text="for people")


class SplitSerializer(serializers.ModelSerializer):
    results_visible = serializers.BooleanField(read_only=True)

    class Meta:
        model = Split
        fields = ["name", "visibility", "sample_count", "results_visible", "inputs_sha256"]


class TrackSerializer(serializers.ModelSerializer):
    id = serializers.SerializerMethodField()
    benchmark = serializers.CharField(source="benchmark.slug")
    gpu = serializers.SerializerMethodField()
    cpus = serializers.FloatField()
    splits = SplitSerializer(many=True, read_only=True)

    class Meta:
        model = Track
        fields = [
            "id",
            "benchmark",
            "slug",
            "name",
            "task",
            "primary_metric",
            "entry_rule",
            "gpu",
            "timeout_seconds",
            "memory_mb",
            "cpus",
            "splits",
        ]

    def get_id(self, track: Track) -> str:
        return track_key(track)

    def get_gpu(self, track: Track) -> bool:
        return track.resource_class == Track.ResourceClass.GPU


class BenchmarkSerializer(serializers.ModelSerializer):
    tracks = TrackSerializer(many=True, read_only=True)

    class Meta:
        model = Benchmark
        fields = ["slug", "name", "description", "synthetic", "tracks"]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    is_staff = serializers.BooleanField()
    teams = serializers.ListField(child=serializers.CharField(), help_text="team slugs")


class UploadCreateSerializer(serializers.Serializer):
    track = serializers.RegexField(
        r"^[-a-zA-Z0-9_]+/[-a-zA-Z0-9_]+$", help_text="<benchmark>/<track>", max_length=161
    )
    team = serializers.SlugField(
        required=False, help_text="team slug; optional when you belong to exactly one team"
    )
    method_name = serializers.CharField(max_length=120)
    training_data = serializers.CharField(
        max_length=200, help_text="a benchmark slug, or 'other: <description>'"
    )
    license = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=LICENSE_MAX_CHARS,
        help_text="SPDX identifier (MIT, Apache-2.0…) or a short text; pinned, never editable",
    )
    model_card = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"markdown or plain text, at most {MODEL_CARD_MAX_BYTES} bytes (UTF-8); "
        "pinned with the image, never editable",
    )
    size = serializers.IntegerField(min_value=1, help_text="total bytes of the tarball")
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", help_text="hex SHA-256 of the tarball")


class UploadSerializer(serializers.ModelSerializer):
    offset = serializers.IntegerField(source="received", help_text="bytes received so far")
    track = serializers.SerializerMethodField()
    team = serializers.CharField(source="team.slug")
    submission = serializers.IntegerField(source="submission_id", allow_null=True)
    model_card_sha256 = serializers.SerializerMethodField(
        help_text="SHA-256 of the declared model card (UTF-8)"
    )

    class Meta:
        model = UploadSession
        fields = [
            "id",
            "state",
            "size",
            "offset",
            "sha256",
            "track",
            "team",
            "method_name",
            "training_data",
            "license",
            "model_card_sha256",
            "failure_code",
            "failure_message",
            "submission",
            "created_at",
            "updated_at",
        ]

    def get_track(self, session: UploadSession) -> str:
        return track_key(session.track)

    def get_model_card_sha256(self, session: UploadSession) -> str:
        return text_sha256(session.model_card)


class SubmissionCreateSerializer(serializers.Serializer):
    upload = serializers.UUIDField(help_text="a complete upload session")


class QueuePlaceSerializer(serializers.Serializer):
    queue = serializers.CharField()
    position = serializers.IntegerField(help_text="1: served next")
    ahead = serializers.IntegerField()
    level = serializers.IntegerField(help_text="fair-share level (0 first)")
    workers = serializers.IntegerField(help_text="workers serving the queue now")
    worker_states = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="every worker or run agent seen on the queue, counted by state "
        "(idle, busy, stale, down, online, running)",
    )
    median_run_seconds = serializers.FloatField(allow_null=True)
    eta_start = serializers.DateTimeField(allow_null=True)
    eta_finish = serializers.DateTimeField(allow_null=True)


class SubmissionSerializer(serializers.ModelSerializer):
    track = serializers.SerializerMethodField()
    team = serializers.CharField(source="team.slug")
    model_card_sha256 = serializers.SerializerMethodField(
        help_text="SHA-256 of the pinned model card (UTF-8)"
    )
    rerun_of = serializers.IntegerField(source="rerun_of_id", allow_null=True)
    disqualified = serializers.SerializerMethodField()
    queue = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
            "id",
            "team",
            "track",
            "method_name",
            "training_data",
            "license",
            "model_card",
            "model_card_sha256",
            "rerun_of",
            "disqualified",
            "status",
            "image_id",
            "tarball_sha256",
            "tarball_size",
            "created_at",
            "queued_at",
            "running_at",
            "scoring_at",
            "finished_at",
            "failed_at",
            "failure_code",
            "failure_reason",
            "queue",
        ]

    def get_track(self, submission: Submission) -> str:
        return track_key(submission.track)

    def get_model_card_sha256(self, submission: Submission) -> str:
        return text_sha256(submission.model_card)

    def get_disqualified(self, submission: Submission) -> bool:
        return submission.disqualified_at is not None

    @extend_schema_field(QueuePlaceSerializer(allow_null=True))
    def get_queue(self, submission: Submission) -> dict[str, Any] | None:
        """Where a queued submission stands (position with fair share, ETA, workers)."""
        place = submission_queue_place(submission=submission, now=timezone.now())
        return None if place is None else QueuePlaceSerializer(place).data


class ResultSerializer(serializers.ModelSerializer):
    split = serializers.CharField(source="split.name")
    visibility = serializers.CharField(source="split.visibility")
    metrics = serializers.DictField(child=serializers.JSONField())

    class Meta:
        model = Result
        fields = [
            "split",
            "visibility",
            "primary_value",
            "metrics",
            "protocol_version",
            "evaluator_version",
            "created_at",
        ]


class HiddenRunSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    exit = serializers.CharField(help_text="the exit code's band")
    wall_time = serializers.CharField(help_text="the wall time's band")
    peak_memory = serializers.CharField(help_text="the peak memory's band")
    output = serializers.CharField(help_text="the band of the bytes written to /output")


class RunLogSerializer(serializers.Serializer):
    split = serializers.CharField()
    visibility = serializers.CharField()
    outcome = serializers.CharField()
    exit_code = serializers.IntegerField(allow_null=True, help_text="null on a hidden split")
    wall_seconds = serializers.FloatField(allow_null=True)
    peak_memory_bytes = serializers.IntegerField(allow_null=True)
    output_bytes = serializers.IntegerField(allow_null=True)
    measured = HiddenRunSerializer(
        allow_null=True,
        help_text="a hidden split's run: only the platform's measurements, in bands "
        "(the exact fields above are null and log_tail empty)",
    )
    log_tail = serializers.CharField(help_text="the container's output; public splits only")


class LogsSerializer(serializers.Serializer):
    submission = serializers.IntegerField()
    status = serializers.CharField()
    log_tail = serializers.CharField()
    runs = RunLogSerializer(many=True)


class LeaderboardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    team = serializers.CharField()
    is_baseline = serializers.BooleanField()
    method = serializers.CharField()
    submission_id = serializers.IntegerField()
    primary = serializers.FloatField(allow_null=True)
    interval = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    metrics = serializers.DictField(child=serializers.JSONField())
    scored_at = serializers.DateTimeField()
    chosen_by = serializers.CharField(help_text="the rule that chose this row (protocol §5)")


class LeaderboardSplitSerializer(serializers.Serializer):
    split = serializers.CharField()
    visibility = serializers.CharField()
    results_visible = serializers.BooleanField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = LeaderboardRowSerializer(many=True)
    public_part = LeaderboardRowSerializer(
        many=True, help_text="hidden splits with a public fraction: the public part's rows"
    )


class AuditChainSerializer(serializers.Serializer):
    """The audit log's chain head when this answer was made (docs/audit.md): keep it, and
    `verify_audit_log --against` it later."""

    audit_chain_seq = serializers.IntegerField()
    audit_chain_head = serializers.CharField()
    audit_chain_hmac = serializers.CharField(allow_blank=True)


class LeaderboardSerializer(serializers.Serializer):
    track = serializers.CharField()
    task = serializers.CharField()
    primary_metric = serializers.CharField()
    protocol = serializers.IntegerField()
    splits = LeaderboardSplitSerializer(many=True)
    audit_chain = AuditChainSerializer()


def row_dict(row: Any) -> dict[str, Any]:
    """A leaderboard row as plain JSON-ready data (every field the row carries)."""
    data = asdict(row)
    data["scored_at"] = row.scored_at.isoformat()
    if data.get("interval") is not None:
        data["interval"] = list(data["interval"])
    return data
