from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "summit.registration"
    label = "registration"

    def ready(self):
        from summit.core import audit
        from summit.registration import labels

        audit.register_labels(labels.AUDIT_LABELS)
        audit.register_details(labels.AUDIT_DETAILS)
