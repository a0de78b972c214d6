from django.urls import path

from summit.live import views

app_name = "live"

urlpatterns = [
    path("sessions/<int:session_id>/live/", views.room, name="room"),
    path("sessions/<int:session_id>/live/display/", views.display, name="display"),
    path("sessions/<int:session_id>/live/state/", views.state, name="state"),
    path("sessions/<int:session_id>/live/<str:what>/", views.act, name="act"),
    path("sessions/<int:session_id>/live/<str:what>/<int:pk>/", views.act, name="act_on"),
]
