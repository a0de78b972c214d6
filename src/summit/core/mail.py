"""E-mail in the recipient's language, sent only once the transaction that caused it has committed."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


def render_mail(template: str, context: dict, language: str) -> tuple[str, str]:
    """Render ``<template>_subject.txt`` and ``<template>.txt`` in ``language``."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}.txt", context)
    return subject, body


def send(*, to: str, template: str, context: dict, language: str) -> None:
    subject, body = render_mail(template, context, language)

    def _send():
        # The change is committed already: a mail server that is down must not turn it into an error
        # page, nor stop the other mails of the same change. The failure is logged for the operators.
        try:
            EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [to]).send()
        except Exception:
            logger.exception("could not send %s to %s", template, to)

    after_commit(_send)


def after_commit(fn) -> None:
    """Run ``fn`` once the current transaction commits (at once outside a transaction).

    Tests that run inside one wrapping transaction replace this with an immediate call.
    """
    transaction.on_commit(fn)
