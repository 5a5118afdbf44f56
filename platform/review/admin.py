"""Read-only admin views of the review records: nothing here can edit or delete them."""

from django.contrib import admin

from audit.admin import ReadOnlyAdmin

from .models import AuditTestReport, Objection, RescoreReport, TrackAuditPolicy


@admin.register(RescoreReport)
class RescoreReportAdmin(ReadOnlyAdmin):
    list_display = ["result", "at", "actor", "matches", "evaluator_version"]


@admin.register(AuditTestReport)
class AuditTestReportAdmin(ReadOnlyAdmin):
    list_display = ["result", "kind", "outcome", "started_at", "actor"]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ["result", "team", "rule", "status", "created_at"]
    list_filter = ["status"]


@admin.register(TrackAuditPolicy)
class TrackAuditPolicyAdmin(admin.ModelAdmin):
    list_display = ["track", "subset_size", "tolerance"]
