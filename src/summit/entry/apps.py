from django.apps import AppConfig
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _


class EntryConfig(AppConfig):
    name = "summit.entry"
    label = "entry"
    verbose_name = _("Entry")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from summit.core import audit, jobs
        from summit.entry import labels, receivers  # noqa: F401 - receivers connect to registration's signals
        from summit.entry.services import privacy

        audit.register_labels(labels.AUDIT_LABELS)
        jobs.register_periodic("entry.purge_due", privacy.purge_due)
        post_delete.connect(_forget_key, sender="events.Event", dispatch_uid="entry.forget_key")


def _forget_key(sender, instance, **kwargs):
    from summit.entry.services import badges

    badges.forget_keys(instance.pk)
