from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from summit.api.api import api
from summit.core.signin_views import admin_login
from summit.events.views import index
from summit.live.stream_views import clock as live_clock
from summit.program.manage_views import home as backoffice_home
from summit.registration.views import magic

urlpatterns = [
    path("", index, name="home"),
    path("", include("summit.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # The admin signs in through the site's form, so a second factor is never skipped.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("signin/<str:token>/", magic, name="magic"),
    path("clock/", live_clock, name="live_clock"),
    path("events/<slug:slug>/manage/", backoffice_home, name="backoffice"),
    path("events/<slug:slug>/manage/program/", include("summit.program.manage_urls")),
    path("events/<slug:slug>/manage/live/", include("summit.live.manage_urls")),
    path("events/<slug:slug>/manage/entry/", include("summit.entry.manage_urls")),
    path("events/<slug:slug>/entry/", include("summit.entry.urls")),
    path("events/<slug:slug>/manage/live/", include("summit.live.attendance_urls")),
    path("events/<slug:slug>/", include("summit.live.stream_urls")),
    path("events/<slug:slug>/manage/", include("summit.registration.manage_urls")),
    path("events/<slug:slug>/gate/", include("summit.entry.gate_urls")),
    path("events/<slug:slug>/", include("summit.program.export_urls")),
    path("events/<slug:slug>/", include("summit.live.urls")),
    path("events/<slug:slug>/", include("summit.program.urls")),
    path("events/<slug:slug>/", include("summit.registration.urls")),
    path("events/<slug:slug>/", include("summit.events.urls")),
]

handler400 = "summit.core.views.bad_request"
handler403 = "summit.core.views.permission_denied"
handler404 = "summit.core.views.page_not_found"
handler500 = "summit.core.views.server_error"
