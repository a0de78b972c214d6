from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "summit.accounts"
    label = "accounts"
    verbose_name = _("Accounts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from summit.accounts import labels, token_use  # noqa: F401 - registers audit labels, flushes token use
        from summit.core import audit

        audit.register_labels(labels.AUDIT_LABELS)
