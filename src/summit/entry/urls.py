"""A participant's entry pages: ``/events/<slug>/entry/``."""

from django.urls import path

from summit.entry import views

app_name = "entry"

urlpatterns = [
    path("", views.me, name="me"),
    path("badge/", views.badge, name="badge"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("proofs/<int:proof_id>/document/", views.my_proof, name="proof"),
    path("proofs/<int:proof_id>/delete/", views.delete_my_proof, name="delete_proof"),
    path("my-data.json", views.my_data, name="my_data"),
    path("photo/", views.my_photo, name="my_photo"),
    path("photos/<int:participant_id>.jpg", views.photo, name="photo"),
    path("erasure/", views.ask_erasure, name="erasure"),
]
