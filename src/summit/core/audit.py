"""The audit log: one call records who did what to which object, and why."""

from __future__ import annotations

from django.db import models

from summit.core.models import AuditEntry


def entry(
    *,
    actor,
    action: str,
    obj: models.Model,
    reason: str = "",
    data: dict | None = None,
    event=None,
    created_at=None,
):
    """An unsaved audit entry (for bulk_create); :func:`record` saves one at once."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    extra = {"created_at": created_at} if created_at is not None else {}
    return AuditEntry(
        event=event if event is not None else getattr(obj, "event", None),
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        reason=reason or "",
        data=data or {},
        **extra,
    )


def record(*, actor, action: str, obj: models.Model, reason: str = "", data: dict | None = None, event=None):
    item = entry(actor=actor, action=action, obj=obj, reason=reason, data=data, event=event)
    item.save()
    return item


def entries_for(obj: models.Model):
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).select_related(
        "actor"
    )


# Each app registers the labels of its own actions from its AppConfig.ready() (``register_labels``).
ACTION_LABELS: dict[str, str] = {}


def register_labels(labels: dict) -> None:
    """Add an app's ``{action: label}`` (lazy translations); an action may be labelled only once."""
    for action, label in labels.items():
        if ACTION_LABELS.get(action, label) is not label:
            raise ValueError(f"audit action {action!r} is labelled twice")
        ACTION_LABELS[action] = label


def action_label(action: str) -> str:
    """The audit action in the reader's language (unknown actions show their code)."""
    return str(ACTION_LABELS.get(action, action))


# How an entry's ``data`` reads: each app registers ``{action: describe(entry) -> list[str]}``, sentences in
# the reader's language; an action without one shows its data as "key: value".
DETAIL_WRITERS: dict = {}


def register_details(writers: dict) -> None:
    for action, writer in writers.items():
        if DETAIL_WRITERS.get(action, writer) is not writer:
            raise ValueError(f"audit action {action!r} is described twice")
        DETAIL_WRITERS[action] = writer


def details(item) -> list[str]:
    """The entry's data as sentences in the reader's language."""
    data = item.data or {}
    writer = DETAIL_WRITERS.get(item.action)
    if writer is not None:
        try:
            return [str(line) for line in writer(item) if line]
        except (AttributeError, KeyError, TypeError, ValueError):
            pass  # an entry written in an older shape: show its raw data rather than nothing
    return [f"{key}: {value}" for key, value in data.items()]
