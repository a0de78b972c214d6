"""The back office of entry: ``/events/<slug>/manage/entry/``."""

from django.urls import path

from summit.entry import views

app_name = "entry_manage"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("rules/<int:rule_id>/delete/", views.delete_rule, name="delete_rule"),
    path("access/<int:category_id>/", views.save_access, name="save_access"),
    path("occupancy/", views.occupancy, name="occupancy"),
    path("erasures/<int:request_id>/complete/", views.complete_erasure, name="complete_erasure"),
    path("badges/", views.badges_page, name="badges"),
    path("badges/<int:participant_id>/pdf/", views.badge_pdf, name="badge_pdf"),
    path("badges/<int:participant_id>/reprint/", views.reprint, name="reprint"),
    path("review/", views.review, name="review"),
    path("review/<int:proof_id>/decide/", views.decide, name="decide"),
    path("review/<int:proof_id>/document/", views.proof_document, name="document"),
]
