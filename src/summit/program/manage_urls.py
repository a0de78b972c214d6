from django.urls import path  # noqa: F401

app_name = "program_manage"
urlpatterns: list = []
