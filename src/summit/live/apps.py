from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "summit.live"
    label = "live"
    verbose_name = _("Live")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from summit.core import audit
        from summit.live import labels

        audit.register_labels(labels.AUDIT_LABELS)
