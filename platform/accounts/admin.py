from django.contrib import admin

from .models import Membership, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_baseline", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
