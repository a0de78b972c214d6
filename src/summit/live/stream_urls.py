"""Addresses of watching a session (``live/stream_views.py``), mounted under ``/events/<slug>/``."""

from django.urls import path

from summit.live import stream_views as views

app_name = "live_stream"
urlpatterns = [
    path("sessions/<int:pk>/live/media/<str:token>/<path:path>", views.media, name="media"),
    path("manage/program/sessions/<int:pk>/live/", views.stage_settings, name="settings"),
    path("manage/program/sessions/<int:pk>/live/video/remove/", views.remove_video, name="remove_video"),
]
