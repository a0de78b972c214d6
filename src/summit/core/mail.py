"""E-mail in the recipient's language, sent only once the transaction that caused it has committed."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation


def render_mail(template: str, context: dict, language: str) -> tuple[str, str]:
    """Render ``<template>_subject.txt`` and ``<template>.txt`` in ``language``."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}.txt", context)
    return subject, body


def send(*, to: str, template: str, context: dict, language: str) -> None:
    subject, body = render_mail(template, context, language)

    def _send():
        EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [to]).send()

    after_commit(_send)


def after_commit(fn) -> None:
    """Run ``fn`` once the current transaction commits (at once outside a transaction).

    Tests that run inside one wrapping transaction replace this with an immediate call.
    """
    transaction.on_commit(fn)
