from django.urls import path

from summit.program import views

app_name = "program"
urlpatterns = [
    path("program/", views.index, name="index"),
    path("program/seats/", views.seats, name="seats"),
    path("program/sessions/<int:pk>/", views.session_detail, name="session"),
    path("program/sessions/<int:pk>/book/", views.book, name="book"),
    path("program/sessions/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("agenda/", views.agenda, name="agenda"),
    path("agenda/feed/renew/", views.renew_feed, name="renew_feed"),
    path("speaker/", views.speaker_profile, name="speaker_profile"),
    path("speakers/<int:pk>/photo", views.speaker_photo, name="speaker_photo"),
]
