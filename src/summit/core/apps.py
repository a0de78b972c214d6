from django.apps import AppConfig
from django.core.signals import request_started


def _start_thread_backend(**kwargs) -> None:
    """With the embedded thread backend, the serving process starts its job threads and sweeper with its
    first request (not on import: management commands such as ``migrate`` must not start them)."""
    from django.conf import settings

    if settings.JOBS_BACKEND == "thread":
        from summit.core import jobs

        jobs.backend().start()


class CoreConfig(AppConfig):
    name = "summit.core"
    label = "core"

    def ready(self):
        request_started.connect(_start_thread_backend, dispatch_uid="summit.core.jobs.start")
        from summit.core import audit, labels

        audit.register_labels(labels.AUDIT_LABELS)
