from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "summit.events"
    label = "events"
