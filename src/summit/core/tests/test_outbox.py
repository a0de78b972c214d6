"""Mail through the outbox (core/mail.py): a mail server that is down delays mail, never loses it, and a
mail is sent once, and only if the change that caused it commits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail as django_mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from summit.core import jobs, mail
from summit.core.models import OutboxMail

pytestmark = pytest.mark.django_db

BROKEN = {"down": False, "sends": 0}


class FlakyBackend(LocmemBackend):
    """Django's test mail backend behind a mail server that can be down."""

    def open(self):
        if BROKEN["down"]:
            raise ConnectionRefusedError(111, "Connection refused")
        return super().open()

    def send_messages(self, messages):
        if BROKEN["down"]:
            raise ConnectionRefusedError(111, "Connection refused")
        BROKEN["sends"] += len(messages)
        return super().send_messages(messages)


@pytest.fixture(autouse=True)
def _plain_mail(settings, monkeypatch):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    BROKEN.update(down=False, sends=0)
    monkeypatch.setattr(
        mail, "render_mail", lambda template, context, language: (f"Hello {context['name']}", "Body")
    )


def send(name="Wei"):
    return mail.send(
        to=f"{name.lower()}@example.org", template="test/hello", context={"name": name}, language="en"
    )


def now_due(row):
    OutboxMail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_mail_is_stored_then_sent_once(settings):
    row = send()
    row.refresh_from_db()
    assert (row.state, row.attempts, row.subject) == ("sent", 1, "Hello Wei")
    assert [m.to for m in django_mail.outbox] == [["wei@example.org"]]
    assert django_mail.outbox[0].from_email == settings.DEFAULT_FROM_EMAIL
    mail.deliver([row.pk])
    jobs.sweep()
    assert len(django_mail.outbox) == 1


def test_a_mail_server_that_is_down_delays_the_mail_and_a_later_sweep_sends_it_exactly_once(settings, caplog):
    settings.MAIL_RETRY_SECONDS = 60
    BROKEN["down"] = True
    row = send()
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("pending", 1)
    assert "Connection refused" in row.last_error
    assert timedelta(seconds=55) < row.next_attempt_at - timezone.now() <= timedelta(seconds=60)
    assert django_mail.outbox == []
    assert "attempt 1 failed, next in 60 s" in caplog.text

    assert jobs.sweep()["mails"] == 0  # not due yet
    now_due(row)
    jobs.sweep()  # still down: the next wait is twice as long
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("pending", 2)
    assert timedelta(seconds=115) < row.next_attempt_at - timezone.now() <= timedelta(seconds=120)

    BROKEN["down"] = False
    now_due(row)
    assert jobs.sweep()["mails"] == 1
    jobs.sweep()
    now_due(row)
    jobs.sweep()
    mail.deliver([row.pk])
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("sent", 3, "")
    assert [m.subject for m in django_mail.outbox] == ["Hello Wei"]


def test_a_mail_that_keeps_failing_is_marked_failed_and_logged(settings, caplog):
    settings.MAIL_MAX_ATTEMPTS = 2
    BROKEN["down"] = True
    row = send()
    now_due(row)
    jobs.sweep()
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("failed", 2)
    errors = [r for r in caplog.records if r.name == "summit.core.mail" and r.levelname == "ERROR"]
    assert len(errors) == 1 and "failed for good after 2 attempts" in errors[0].getMessage()
    now_due(row)
    jobs.sweep()
    assert OutboxMail.objects.get(pk=row.pk).attempts == 2 and django_mail.outbox == []


def test_two_deliveries_at_once_send_a_mail_once(monkeypatch):
    # While the first delivery talks to the mail server, a second worker tries the same mail.
    BROKEN["down"] = True
    row = send()
    BROKEN["down"] = False
    now_due(row)
    real_send = FlakyBackend.send_messages
    second = []

    def send_messages(self, messages):
        if not second:
            second.append(mail.deliver([row.pk]))
        return real_send(self, messages)

    monkeypatch.setattr(FlakyBackend, "send_messages", send_messages)
    mail.deliver([row.pk])
    assert second == [{"sent": 0, "retry": 0, "failed": 0}]
    assert BROKEN["sends"] == 1 and len(django_mail.outbox) == 1


def test_no_mail_when_the_transaction_rolls_back(real_commits, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            send("Rolled")
            raise RuntimeError("the change failed")
    assert not OutboxMail.objects.exists() and django_mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            send("Committed")
            assert django_mail.outbox == []  # not before the commit
    assert [m.subject for m in django_mail.outbox] == ["Hello Committed"]


def test_the_admin_lists_the_outbox_and_retries_a_failed_mail(client, settings):
    settings.MAIL_MAX_ATTEMPTS = 1
    BROKEN["down"] = True
    row = send()
    assert OutboxMail.objects.get(pk=row.pk).state == "failed"
    BROKEN["down"] = False
    client.force_login(get_user_model().objects.create_superuser("root@example.org", "pw-123456"))
    listing = client.get(reverse("admin:core_outboxmail_changelist"))
    assert listing.status_code == 200 and "wei@example.org" in listing.content.decode()
    client.post(
        reverse("admin:core_outboxmail_changelist"),
        {"action": "retry_now", "_selected_action": [row.pk]},
    )
    row.refresh_from_db()
    assert row.state == "sent" and [m.to for m in django_mail.outbox] == [["wei@example.org"]]


def test_a_slow_delivery_whose_claim_was_taken_over_does_not_send_the_rest_twice(real_commits, monkeypatch):
    """A batch outlived its claim (a slow mail server): another worker took over the mails not sent yet. The
    first worker sends only what is still its own, and the other worker's claim is left alone."""
    with transaction.atomic():
        first, second = send("Ana"), send("Bo")
    taken_over = []

    class SlowServer(FlakyBackend):
        def send_messages(self, messages):
            if not taken_over:  # while the first mail goes out, another worker claims the second one
                OutboxMail.objects.filter(pk=second.pk).update(claimed_by="another-worker")
                taken_over.append(second.pk)
            return super().send_messages(messages)

    monkeypatch.setattr(f"{__name__}.FlakyBackend", SlowServer)
    OutboxMail.objects.filter(pk__in=[first.pk, second.pk]).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )

    counts = mail.deliver([first.pk, second.pk])

    assert counts == {"sent": 1, "retry": 0, "failed": 0}
    assert [m.to for m in django_mail.outbox] == [["ana@example.org"]]
    second.refresh_from_db()
    assert second.state == OutboxMail.PENDING and second.claimed_by == "another-worker"
