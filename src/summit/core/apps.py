from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "summit.core"
    label = "core"
