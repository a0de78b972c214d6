from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "summit.api"
    label = "api"
