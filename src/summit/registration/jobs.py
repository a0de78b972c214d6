"""Registration's background jobs (``core/jobs.py``): decisions on many participants and large exports.

Both are started by the back office (and the decision also by the API) when the work is large:
``BULK_JOB_THRESHOLD`` participants for a decision, ``EXPORT_JOB_THRESHOLD`` rows for an export. Smaller
ones stay in the request.

- ``registration.decide_many`` applies the decision in one transaction (all or nothing, exactly as
  ``services.decide_many``: the quota is checked for the whole batch), committing its checkpoint with it; the
  decision mails then go to the outbox in chunks, each committing with its checkpoint. A job run again after
  its worker died neither decides twice nor sends a mail twice.
- ``registration.export_participants`` writes the CSV or XLSX file with progress as the rows are read; run
  again, it simply writes the file again.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from summit.core import jobs, tables
from summit.events import roles
from summit.events.models import Event
from summit.registration import exports, services
from summit.registration.models import Participant

MAIL_CHUNK = 100


def start_decision(*, event: Event, ids: list, status: str, reason: str, notify: bool, actor, base_url):
    """Check the decision's input as the service does, then queue it; returns the Job."""
    ids, reason = services.check_decision(status, ids, reason)
    label = ngettext("%(status)s: %(count)d participant", "%(status)s: %(count)d participants", len(ids)) % {
        "status": dict(Participant.STATUS_CHOICES)[status],
        "count": len(ids),
    }
    with transaction.atomic():
        return jobs.enqueue(
            "registration.decide_many",
            args={
                "event": event.pk,
                "ids": ids,
                "status": status,
                "reason": reason,
                "notify": notify,
                "actor": actor.pk,
                "base_url": base_url,
            },
            owner=actor,
            scope=f"event:{event.pk}",
            label=label,
        )


def staff_of_the_event(job, user) -> bool:
    """Only someone who may still see the event's participants sees a job about them, or its file (having
    given their second factor when the event requires one)."""
    event = Event.objects.filter(pk=(job.args or {}).get("event")).first()
    return event is not None and roles.can_accredit(user, event) and roles.passed_second_factor(user, event)


@jobs.job("registration.decide_many", access=staff_of_the_event)
def decide_many(ctx, *, event, ids, status, reason, notify, actor, base_url):
    event = Event.objects.get(pk=event)
    actor = get_user_model().objects.get(pk=actor)
    state = ctx.checkpoint
    total = len(ids)
    if "changed" not in state:
        with transaction.atomic():
            # Writing the job's own row first keeps it locked until this transaction ends (PostgreSQL): however
            # long the decision takes, a sweep or another worker that would take the job over waits for the
            # commit and then finds the heartbeat fresh, instead of starting the same decision again.
            ctx.save(done=0, total=total, message=_("Deciding…"))
            outcome = services.decide_many(
                event=event,
                participant_ids=ids,
                status=status,
                actor=actor,
                reason=reason,
                notify=False,
                base_url=base_url,
            )
            state = {
                "changed": [p.pk for p in outcome.changed],
                "promoted": len(outcome.promoted),
                "mailed": 0,
            }
            ctx.save(checkpoint=state, done=total, total=total + (len(state["changed"]) if notify else 0))
    changed = state["changed"]
    if notify:
        for first in range(state["mailed"], len(changed), MAIL_CHUNK):
            chunk = changed[first : first + MAIL_CHUNK]
            with transaction.atomic():
                for participant in (
                    Participant.objects.filter(pk__in=chunk).select_related("event").order_by("pk")
                ):
                    services.send_status_mail(
                        participant, template="registration/mail/decision", base_url=base_url
                    )
                state = {**state, "mailed": first + len(chunk)}
                ctx.save(checkpoint=state, done=total + state["mailed"], message=_("Sending the e-mails…"))
    label = dict(Participant.STATUS_CHOICES)[status]
    counts = {
        _("Selected"): total,
        _("Changed to “%(status)s”") % {"status": label}: len(changed),
        _("Moved up from the waitlist"): state["promoted"],
    }
    if notify:
        counts[_("Decision e-mails")] = len(changed)
    return {"counts": counts}


def start_export(*, event: Event, params: dict, fmt: str, actor):
    """Queue an export of the participant list with the back office's filters; returns the Job."""
    queryset, applied = services.filter_participants(event, params)  # bad filters are refused here
    with transaction.atomic():
        return jobs.enqueue(
            "registration.export_participants",
            args={"event": event.pk, "params": applied, "format": fmt},
            owner=actor,
            scope=f"event:{event.pk}",
            label=_("Participant list (%(format)s, %(count)d rows)")
            % {"format": fmt.upper(), "count": queryset.count()},
        )


def export_filename(event: Event, ext: str) -> str:
    stamp = timezone.localtime(timezone.now(), event.tz).strftime("%Y%m%d-%H%M")
    return f"{event.slug}-participants-{stamp}.{ext}"


@jobs.job("registration.export_participants", access=staff_of_the_event)
def export_participants(ctx, *, event, params, format):
    event = Event.objects.get(pk=event)
    queryset, _applied = services.filter_participants(event, params)
    total = queryset.count()
    header, rows = exports.participant_rows(queryset, event=event)

    def counted():
        for done, row in enumerate(rows, start=1):
            if done % 200 == 0:
                ctx.progress(done, total)
            yield row

    if format == "xlsx":
        content = tables.xlsx_bytes(header, counted(), title=_("Participants"))
        ctx.store_file(
            export_filename(event, "xlsx"),
            content,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        ctx.store_file(
            export_filename(event, "csv"), tables.csv_chunks(header, counted()), "text/csv; charset=utf-8"
        )
    ctx.progress(total, total)
    return {"counts": {_("Participants"): total}}
