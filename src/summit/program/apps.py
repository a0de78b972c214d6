from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramConfig(AppConfig):
    name = "summit.program"
    label = "program"
    verbose_name = _("Program")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from summit.core import audit
        from summit.program import labels, receivers  # noqa: F401 - receivers connect to registration's signals

        audit.register_labels(labels.AUDIT_LABELS)
