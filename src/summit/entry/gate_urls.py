"""The gate scanner, mounted at ``/events/<slug>/gate/`` (``summit/urls.py``)."""

from django.urls import path

from summit.entry import gate_views

app_name = "gate"
urlpatterns = [
    path("", gate_views.zones, name="zones"),
    path("<slug:zone_code>/", gate_views.scanner, name="scanner"),
    path("<slug:zone_code>/scan", gate_views.scan, name="scan"),
    path("<slug:zone_code>/package", gate_views.package, name="package"),
    path("<slug:zone_code>/upload", gate_views.upload, name="upload"),
]
