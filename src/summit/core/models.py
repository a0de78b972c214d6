from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An account, identified by e-mail. Participants sign in by magic link; staff may also set a password."""

    email = models.EmailField(_("e-mail"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.name or self.email


class AuditEntry(models.Model):
    """Who did what, when and why. Written by services, shown on the object's page."""

    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    @property
    def action_label(self) -> str:
        from summit.core.audit import action_label

        return action_label(self.action)

    @property
    def details(self) -> list[str]:
        from summit.core.audit import details

        return details(self)


class IdempotencyKey(models.Model):
    """The first result of a request sent with an idempotency key, so a repeat returns it (design.md §3).

    ``owner`` scopes keys (for example ``participant:42``): two people may pick the same key. The
    ``fingerprint`` is the operation and its arguments; the same key with a different request is refused.
    """

    owner = models.CharField(max_length=64)
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=200)
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_unique_per_owner")
        ]

    def __str__(self) -> str:
        return f"{self.owner}:{self.key}"


class Job(models.Model):
    """A background job (core/jobs.py): its state, progress, checkpoint and result live here.

    The row is the source of truth: the queue (threads or Celery) only carries the job's id, and a job is
    run by whoever *claims* the row first (one conditional UPDATE), so a lost or repeated message neither
    loses a job nor runs it twice at once. ``heartbeat_at`` is refreshed while the job runs; for a queued
    job it is when the job was (or will be) handed to the queue, so the sweep can tell a lost message.
    """

    QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
    STATES = [
        (QUEUED, _("Waiting to start")),
        (RUNNING, _("Running")),
        (SUCCEEDED, _("Finished")),
        (FAILED, _("Failed")),
    ]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=100)
    label = models.CharField(max_length=200, blank=True)
    args = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=10, blank=True)
    state = models.CharField(max_length=10, choices=STATES, default=QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    checkpoint = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    result_file = models.CharField(max_length=200, blank=True)
    result_filename = models.CharField(max_length=200, blank=True)
    result_content_type = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    scope = models.CharField(max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="core_job_state_heartbeat")]

    def __str__(self) -> str:
        return f"{self.label or self.kind} ({self.state})"

    @property
    def is_done(self) -> bool:
        return self.state in (self.SUCCEEDED, self.FAILED)

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return 100 if self.state == self.SUCCEEDED else None
        return min(100, int(self.progress_done * 100 / self.progress_total))


class OutboxMail(models.Model):
    """A rendered e-mail waiting to be delivered (core/mail.py): stored in the transaction that caused it,
    delivered after commit, retried with back-off while the mail server is down."""

    PENDING, SENT, FAILED = "pending", "sent", "failed"
    STATES = [(PENDING, _("Pending")), (SENT, _("Sent")), (FAILED, _("Failed"))]

    to = models.CharField(max_length=254)
    from_email = models.CharField(max_length=254)
    subject = models.TextField()
    body = models.TextField()
    template = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=STATES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    # Set by the delivery that claimed the row (core/mail.py: deliver); the claim ends at next_attempt_at.
    claimed_by = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="core_outbox_state_next")]
        verbose_name = "outbox mail"

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
