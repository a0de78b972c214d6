"""The audit log: one call records who did what to which object, and why."""

from __future__ import annotations

from django.db import models

from summit.core.models import AuditEntry


def record(*, actor, action: str, obj: models.Model, reason: str = "", data: dict | None = None, event=None):
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry.objects.create(
        event=event if event is not None else getattr(obj, "event", None),
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        reason=reason or "",
        data=data or {},
    )


def entries_for(obj: models.Model):
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).select_related(
        "actor"
    )
