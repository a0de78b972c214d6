from django.contrib import admin

from summit.registration.models import Category, InvitationCode, Organization, Participant


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "event",
        "code",
        "name_en",
        "onsite_quota",
        "needs_approval",
        "needs_invitation",
        "allows_onsite",
    ]
    list_filter = ["event"]


@admin.register(InvitationCode)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["event", "code", "category", "uses", "max_uses", "expires_at"]
    list_filter = ["event", "category"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["event", "name", "name_latin", "type", "country"]
    search_fields = ["name", "name_latin"]
    list_filter = ["event", "type"]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["email", "family_name", "given_name", "category", "status", "attendance_mode", "country"]
    list_filter = ["event", "status", "attendance_mode", "category"]
    search_fields = ["email", "search_text"]
    raw_id_fields = ["user", "organization", "invitation"]
    readonly_fields = ["status", "waitlist_position"]
