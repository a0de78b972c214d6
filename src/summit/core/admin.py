from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from summit.core import mail
from summit.core.models import AuditEntry, Job, OutboxMail, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_superuser"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "name", "password"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]


@admin.register(OutboxMail)
class OutboxMailAdmin(admin.ModelAdmin):
    """The mail outbox: what is waiting, what was sent, what failed and why; "retry now" sends again."""

    list_display = ["created_at", "to", "subject", "state", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["state", "template"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboxMail._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry now", permissions=["retry"])
    def retry_now(self, request, queryset):
        count = mail.retry(ids=queryset.exclude(state=OutboxMail.SENT).values_list("pk", flat=True))
        self.message_user(request, f"{count} mail(s) handed over for delivery.", messages.SUCCESS)

    def has_retry_permission(self, request):
        return request.user.is_superuser or request.user.has_perm("core.change_outboxmail")


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "label",
        "kind",
        "state",
        "progress_done",
        "progress_total",
        "attempts",
        "owner",
    ]
    list_filter = ["state", "kind"]
    search_fields = ["label", "kind", "scope"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
