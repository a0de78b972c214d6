"""E-mail in the recipient's language, through an outbox: stored with the change, delivered after commit.

``send()`` renders the mail and stores it as an :class:`~summit.core.models.OutboxMail` row inside the
caller's transaction; once that commits, the job backend delivers it (a small ``deliver_mail`` task, not a
Job). A mail server that is down or refuses delays the mail, never loses it: the row stays pending with
``next_attempt_at`` moved further out each time (``MAIL_RETRY_SECONDS``, doubling, at most
``MAIL_RETRY_MAX_SECONDS``), and the sweep (core/jobs.py) hands it over again when that time comes. After
``MAIL_MAX_ATTEMPTS`` failed attempts it is marked failed and logged; the admin can retry it.

Delivery first *claims* the rows (one UPDATE, which also moves ``next_attempt_at`` out by
``JOB_STALE_SECONDS``), so two workers never send the same mail at the same time. Delivery is at least once
at the SMTP boundary: a worker that dies after the mail server accepted a mail but before the row was
marked sent leaves it pending, and it is sent again once the claim has run out.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.template import Context, engines
from django.utils import timezone, translation

from summit.core import jobs
from summit.core.models import OutboxMail

logger = logging.getLogger(__name__)

#: Mails per delivery task handed over by the sweep (one mail server connection each).
BATCH = 50


def render_text(name: str, context: dict) -> str:
    """Render a plain-text template without HTML escaping: a mail says "O'Brien & Co", not "O&#x27;Brien"."""
    template = engines["django"].get_template(name).template
    return template.render(Context(context, autoescape=False))


def render_mail(template: str, context: dict, language: str) -> tuple[str, str]:
    """Render ``<template>_subject.txt`` and ``<template>.txt`` in ``language``, as plain text."""
    with translation.override(language):
        subject = " ".join(render_text(f"{template}_subject.txt", context).split())
        body = render_text(f"{template}.txt", context)
    return subject, body


def send(*, to: str, template: str, context: dict, language: str) -> OutboxMail:
    """Store the mail in the outbox (in the current transaction); deliver it once that commits."""
    subject, body = render_mail(template, context, language)
    mail = OutboxMail.objects.create(
        to=to, from_email=settings.DEFAULT_FROM_EMAIL, subject=subject, body=body, template=template
    )
    mail_id = mail.pk
    after_commit(lambda: jobs.submit("deliver_mail", [mail_id]))
    return mail


def after_commit(fn) -> None:
    """Run ``fn`` once the current transaction commits (at once outside a transaction).

    Tests that run inside one wrapping transaction replace this with an immediate call.
    """
    jobs.after_commit(fn)


def deliver(ids) -> dict:
    """Send the pending mails among ``ids`` that are due, through Django's ``EMAIL_BACKEND``."""
    token = uuid.uuid4().hex
    now = timezone.now()
    claimed = OutboxMail.objects.filter(
        pk__in=list(ids), state=OutboxMail.PENDING, next_attempt_at__lte=now
    ).update(
        claimed_by=token,
        attempts=F("attempts") + 1,
        next_attempt_at=now + timedelta(seconds=settings.JOB_STALE_SECONDS),
    )
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if not claimed:
        return counts
    connection = None
    for mail in OutboxMail.objects.filter(claimed_by=token, state=OutboxMail.PENDING).order_by("pk"):
        if mail.attempts > settings.MAIL_MAX_ATTEMPTS:
            # The previous worker died during the last attempt.
            counts[_failed(mail, "delivery was interrupted", token)] += 1
            continue
        # Renew the claim for this one mail right before sending it: a batch that took longer than the claim
        # (a slow mail server) may have been handed to another worker meanwhile, which then sends the rest.
        renewed = OutboxMail.objects.filter(pk=mail.pk, state=OutboxMail.PENDING, claimed_by=token).update(
            next_attempt_at=timezone.now() + timedelta(seconds=settings.JOB_STALE_SECONDS)
        )
        if not renewed:
            continue
        try:
            if connection is None:
                connection = get_connection()
                connection.open()
            EmailMultiAlternatives(
                mail.subject, mail.body, mail.from_email, [mail.to], connection=connection
            ).send()
        except Exception as exc:
            counts[_failed(mail, f"{type(exc).__name__}: {exc}", token)] += 1
            if connection is not None:
                _close(connection)
                connection = None
            continue
        OutboxMail.objects.filter(pk=mail.pk, state=OutboxMail.PENDING, claimed_by=token).update(
            state=OutboxMail.SENT, sent_at=timezone.now(), last_error="", claimed_by=""
        )
        counts["sent"] += 1
    if connection is not None:
        _close(connection)
    return counts


def _close(connection) -> None:
    try:
        connection.close()
    except Exception:
        logger.debug("closing the mail connection failed", exc_info=True)


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failed attempt."""
    return min(settings.MAIL_RETRY_SECONDS * 2 ** max(0, attempts - 1), settings.MAIL_RETRY_MAX_SECONDS)


def _failed(mail: OutboxMail, error: str, token: str) -> str:
    """Record a failed attempt of the delivery holding the claim ``token``: retry later, or give up."""
    error = error[:1000]
    mine = OutboxMail.objects.filter(pk=mail.pk, state=OutboxMail.PENDING, claimed_by=token)
    if mail.attempts >= settings.MAIL_MAX_ATTEMPTS:
        mine.update(state=OutboxMail.FAILED, last_error=error, claimed_by="")
        logger.error(
            "mail %s (%s) to %s failed for good after %s attempts: %s",
            mail.pk,
            mail.template,
            mail.to,
            mail.attempts,
            error,
        )
        return "failed"
    delay = retry_delay(mail.attempts)
    mine.update(next_attempt_at=timezone.now() + timedelta(seconds=delay), last_error=error, claimed_by="")
    logger.warning(
        "mail %s (%s) to %s: attempt %s failed, next in %s s: %s",
        mail.pk,
        mail.template,
        mail.to,
        mail.attempts,
        delay,
        error,
    )
    return "retry"


def due(*, now=None, limit: int = 500) -> list[int]:
    """Pending mails the sweep should hand over: due for another attempt, or never picked up (their
    message was lost) although created more than ``JOB_STALE_SECONDS`` ago."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    return list(
        OutboxMail.objects.filter(state=OutboxMail.PENDING, next_attempt_at__lte=now)
        .filter(Q(attempts__gt=0) | Q(created_at__lt=stale))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def retry(*, ids) -> int:
    """Deliver these pending or failed mails again now (the admin's "retry now")."""
    ids = list(ids)
    now = timezone.now()
    OutboxMail.objects.filter(pk__in=ids, state=OutboxMail.FAILED).update(
        state=OutboxMail.PENDING, attempts=0, next_attempt_at=now, claimed_by=""
    )
    # Not those being delivered right now (claimed, and the claim has not run out).
    OutboxMail.objects.filter(pk__in=ids, state=OutboxMail.PENDING).exclude(
        next_attempt_at__gt=now, claimed_by__gt=""
    ).update(next_attempt_at=now)
    pending = list(
        OutboxMail.objects.filter(pk__in=ids, state=OutboxMail.PENDING).values_list("pk", flat=True)
    )
    for first in range(0, len(pending), BATCH):
        batch = pending[first : first + BATCH]
        after_commit(lambda batch=batch: jobs.submit("deliver_mail", batch))
    return len(pending)
