from django.urls import path

from summit.registration import import_views, manage_views

app_name = "manage"
urlpatterns = [
    path("participants/", manage_views.participant_list, name="participants"),
    path("participants/import/", import_views.import_participants, name="import"),
]
