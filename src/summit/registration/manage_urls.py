from django.urls import path

from summit.registration import import_views, manage_views

app_name = "manage"
urlpatterns = [
    path("participants/", manage_views.participant_list, name="participants"),
    path("participants/import/", import_views.import_participants, name="import"),
    path("participants/import/template.csv", import_views.import_template, name="import_template"),
    path("participants/decide/", manage_views.decide, name="decide"),
    path("participants/export.csv", manage_views.export_csv, name="export_csv"),
    path("participants/export.xlsx", manage_views.export_xlsx, name="export_xlsx"),
    path("participants/<int:pk>/", manage_views.participant_detail, name="participant"),
    path("invitations/", manage_views.invitations, name="invitations"),
    path("invitations/<int:pk>/expire/", manage_views.expire_invitation, name="expire_invitation"),
    path("tokens/", manage_views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", manage_views.revoke_token, name="revoke_token"),
]
