from django.urls import path

from summit.program import manage_views as views

app_name = "program_manage"
urlpatterns = [
    path("", views.session_list, name="sessions"),
    path("sessions/new/", views.session_create, name="session_create"),
    path("sessions/<int:pk>/", views.session_people, name="session"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/bookings/<int:booking_pk>/remove/", views.remove_booking, name="remove_booking"),
    path("sessions/<int:pk>/talks/new/", views.talk_create, name="talk_create"),
    path("sessions/<int:pk>/talks/<int:talk_pk>/", views.talk_edit, name="talk_edit"),
    path("sessions/<int:pk>/talks/<int:talk_pk>/delete/", views.talk_delete, name="talk_delete"),
    path("sessions/<int:pk>/talks/<int:talk_pk>/move/", views.talk_move, name="talk_move"),
    path("forums/", views.forum_list, name="forums"),
    path("forums/new/", views.forum_create, name="forum_create"),
    path("forums/<int:pk>/", views.forum_edit, name="forum_edit"),
    path("speakers/", views.speaker_list, name="speakers"),
    path("speakers/new/", views.speaker_create, name="speaker_create"),
    path("speakers/<int:pk>/", views.speaker_edit, name="speaker_edit"),
    path("participants/search/", views.participant_search, name="participant_search"),
]
