from django.contrib import admin
from django.http import HttpRequest

from audit.admin import ReadOnlyAdmin

from .models import Provenance, Result, ResultReview, SplitRun, Submission


class SplitRunInline(admin.TabularInline):
    model = SplitRun
    extra = 0
    can_delete = False
    readonly_fields = ("split", "outcome", "exit_code", "started_at", "ended_at", "container_id")
    fields = readonly_fields


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["pk", "team", "track", "method_name", "status", "created_at"]
    list_filter = ["status", "track"]
    # Scores and states change only through the pipeline, never by hand.
    readonly_fields = [f.name for f in Submission._meta.fields]
    inlines = [SplitRunInline]


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ["submission", "split", "primary_value", "protocol_version", "created_at"]
    readonly_fields = [f.name for f in Result._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Provenance)
class ProvenanceAdmin(ReadOnlyAdmin):
    list_display = ["result", "split", "image_id", "evaluator_version", "complete"]
    list_filter = ["complete"]


@admin.register(ResultReview)
class ResultReviewAdmin(ReadOnlyAdmin):
    list_display = ["result", "status", "changed_by", "changed_at"]
    list_filter = ["status"]
