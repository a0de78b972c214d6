from django.contrib import admin

from summit.accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["event", "user", "name", "prefix", "created_at", "revoked_at"]
    readonly_fields = ["token_hash", "prefix"]
