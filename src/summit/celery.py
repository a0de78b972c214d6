"""The Celery application: background jobs and mail delivery on workers (``SUMMIT_JOBS_BACKEND=celery``).

Configured from the ``CELERY_*`` Django settings (settings.py): the broker is ``SUMMIT_CELERY_BROKER_URL``,
else ``SUMMIT_REDIS_URL`` (``redis://…``; RabbitMQ's ``amqp://…`` works too). Run workers with
``celery -A summit.celery worker`` (``make worker``) and the periodic sweep with ``celery -A summit.celery
beat`` (``make beat``); see docs/operations.md.

The tasks only carry ids: the database rows (core/models.py: Job, OutboxMail) are the source of truth, and
the code that runs them is core/jobs.py and core/mail.py.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "summit.settings")


def make_app() -> Celery:
    """A Celery app configured from the Django settings as they are when it is first used."""
    celery_app = Celery("summit")
    celery_app.config_from_object("django.conf:settings", namespace="CELERY")
    return celery_app


app = make_app()


@app.task(name="summit.run_job")
def run_job(job_id: str) -> None:
    from summit.core import jobs

    jobs.run(job_id)


@app.task(name="summit.deliver_mail")
def deliver_mail(ids: list[int]) -> None:
    from summit.core import mail

    mail.deliver(ids)


@app.task(name="summit.sweep")
def sweep() -> None:
    from summit.core import jobs

    jobs.sweep()


@worker_ready.connect
def _sweep_on_start(sender=None, **kwargs) -> None:
    """A worker that starts looks at once for jobs and mail left behind (run as a task, in a pool process)."""
    sender.app.send_task("summit.sweep")
