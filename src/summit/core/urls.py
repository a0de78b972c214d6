from django.contrib.auth import views as auth_views
from django.urls import path

from summit.core import signin_views, views

app_name = "core"
urlpatterns = [
    path("accounts/login/", signin_views.login_view, name="login"),
    path("accounts/login/code/", signin_views.login_code, name="login_code"),
    path("accounts/two-factor/", signin_views.two_factor_page, name="two_factor"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("livez", views.livez, name="livez"),
    path("jobs/<uuid:job_id>/", views.job_page, name="job"),
    path("jobs/<uuid:job_id>/progress", views.job_progress, name="job_progress"),
    path("jobs/<uuid:job_id>/file", views.job_file, name="job_file"),
]
