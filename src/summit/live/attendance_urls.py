from django.urls import path

from summit.live import manage_views as views

app_name = "live_attendance"
urlpatterns = [
    path("attendance.csv", views.attendance_csv, name="csv"),
    path("attendance.xlsx", views.attendance_xlsx, name="xlsx"),
]
