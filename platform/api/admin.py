from django.contrib import admin

from .models import ApiToken, UploadSession


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "prefix", "key_hash", "created_at", "last_used_at"]


@admin.register(UploadSession)
class UploadSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "team", "track", "state", "received", "size", "created_at"]
    list_filter = ["state"]
    readonly_fields = [field.name for field in UploadSession._meta.fields]
