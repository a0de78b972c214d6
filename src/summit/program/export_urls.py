from django.urls import path

from summit.program import export_views as views

app_name = "schedule"
urlpatterns = [
    path("schedule.xml", views.schedule_xml, name="xml"),
    path("schedule.json", views.schedule_json, name="json"),
    path("schedule.ics", views.schedule_ics, name="ics"),
    path("agenda/<str:token>.ics", views.agenda_ics, name="agenda_feed"),
    path("exports/sessions.csv", views.sessions_csv, name="sessions_csv"),
    path("exports/sessions.xlsx", views.sessions_xlsx, name="sessions_xlsx"),
    path("exports/sessions/<int:pk>/bookings.csv", views.bookings_csv, name="bookings_csv"),
    path("exports/sessions/<int:pk>/bookings.xlsx", views.bookings_xlsx, name="bookings_xlsx"),
]
