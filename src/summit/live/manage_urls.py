from django.urls import path, re_path

from summit.live import manage_views as views

app_name = "live_manage"
urlpatterns = [
    path("", views.overview, name="overview"),
    re_path(
        r"^sessions/(?P<pk>\d+)/(?P<kind>questions|polls)\.(?P<fmt>csv|xlsx)$", views.export, name="export"
    ),
]
