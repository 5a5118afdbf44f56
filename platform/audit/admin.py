"""Read-only admin views of the audit records: nothing here can edit or delete them."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    AuditEntry,
    AuditTestReport,
    Objection,
    Provenance,
    RescoreReport,
    ResultReview,
    TrackAuditPolicy,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["seq", "at", "action", "actor", "target_type", "target_id", "reason"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor", "target_id", "reason"]


@admin.register(Provenance)
class ProvenanceAdmin(ReadOnlyAdmin):
    list_display = ["result", "split", "image_id", "evaluator_version", "complete"]
    list_filter = ["complete"]


@admin.register(RescoreReport)
class RescoreReportAdmin(ReadOnlyAdmin):
    list_display = ["result", "at", "actor", "matches", "evaluator_version"]


@admin.register(AuditTestReport)
class AuditTestReportAdmin(ReadOnlyAdmin):
    list_display = ["result", "kind", "outcome", "started_at", "actor"]


@admin.register(ResultReview)
class ResultReviewAdmin(ReadOnlyAdmin):
    list_display = ["result", "status", "changed_by", "changed_at"]
    list_filter = ["status"]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ["result", "team", "rule", "status", "created_at"]
    list_filter = ["status"]


@admin.register(TrackAuditPolicy)
class TrackAuditPolicyAdmin(admin.ModelAdmin):
    list_display = ["track", "subset_size", "tolerance"]
