from django.contrib import admin

from summit.events.models import Event, EventRole, Room, Venue, Zone


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0


class ZoneInline(admin.TabularInline):
    model = Zone
    extra = 0


class RoleInline(admin.TabularInline):
    model = EventRole
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_en", "name_zh", "start", "end", "time_zone"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [RoomInline, ZoneInline, RoleInline]


admin.site.register(Venue)
