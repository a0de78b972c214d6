from django.urls import path

from summit.events import views

app_name = "events"
urlpatterns = [
    path("", views.event_home, name="home"),
    path("manage/security/", views.security, name="security"),
]
