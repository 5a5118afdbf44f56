from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Benchmark, Phase, Split, Track
from .services import split_publish_results


class TrackInline(admin.TabularInline):
    model = Track
    extra = 0


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


class SplitInline(admin.TabularInline):
    model = Split
    extra = 0
    readonly_fields = ["inputs_sha256", "labels_sha256", "sample_count"]


@admin.register(Benchmark)
class BenchmarkAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "synthetic", "updated_at"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PhaseInline, TrackInline]


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["name", "benchmark", "task", "primary_metric", "resource_class"]
    list_filter = ["task", "resource_class"]
    inlines = [SplitInline]


@admin.action(description="Publish results of the selected splits")
def publish_results(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Split]
) -> None:
    for split in queryset:
        split_publish_results(split=split, published=True, actor=request.user.get_username())


@admin.action(description="Hide results of the selected splits")
def hide_results(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Split]
) -> None:
    for split in queryset:
        split_publish_results(split=split, published=False, actor=request.user.get_username())


@admin.register(Split)
class SplitAdmin(admin.ModelAdmin):
    list_display = ["name", "track", "visibility", "sample_count", "published_through"]
    readonly_fields = ["inputs_sha256", "labels_sha256", "sample_count", "published_through"]
    actions = [publish_results, hide_results]
