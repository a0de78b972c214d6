from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "summit.events"
    label = "events"

    def ready(self):
        from summit.core import audit
        from summit.events import labels

        audit.register_labels(labels.AUDIT_LABELS)
