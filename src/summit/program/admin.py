from django.contrib import admin

from summit.program.models import AgendaFeed, Booking, Forum, Session, Speaker, Talk


@admin.register(Forum)
class ForumAdmin(admin.ModelAdmin):
    list_display = ["title_en", "event", "slug", "topic", "room", "order"]
    list_filter = ["event", "topic"]
    search_fields = ["title_en", "title_zh", "slug"]
    raw_id_fields = ["host_organization", "moderators"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["title_en", "event", "forum", "start", "end", "room", "capacity", "online", "status"]
    list_filter = ["event", "status", "forum"]
    search_fields = ["title_en", "title_zh"]
    date_hierarchy = "start"
    readonly_fields = ["guid", "waitlist_seq", "created_at", "updated_at"]


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    list_display = ["name", "name_latin", "event", "affiliation", "affiliation_zh", "participant", "remote"]
    list_filter = ["event", "remote"]
    search_fields = ["name", "name_latin", "affiliation", "affiliation_zh"]
    raw_id_fields = ["participant"]


@admin.register(Talk)
class TalkAdmin(admin.ModelAdmin):
    list_display = ["title_en", "session", "order", "minutes"]
    list_filter = ["session__event"]
    search_fields = ["title_en", "title_zh"]
    raw_id_fields = ["session", "speakers"]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["session", "participant", "mode", "status", "waitlist_position", "created_at"]
    list_filter = ["status", "mode", "session__event"]
    raw_id_fields = ["session", "participant"]
    # Seats and the waitlist change through the services only (they promote and send mail).
    readonly_fields = ["mode", "status", "waitlist_position", "created_at", "promoted_at", "cancelled_at"]

    def has_add_permission(self, request):
        return False


@admin.register(AgendaFeed)
class AgendaFeedAdmin(admin.ModelAdmin):
    list_display = ["participant", "created_at", "revoked_at"]
    raw_id_fields = ["participant"]
    readonly_fields = ["token", "created_at"]
