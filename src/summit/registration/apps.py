from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "summit.registration"
    label = "registration"
