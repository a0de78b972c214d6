"""Back office (accreditation) pages for organizers and accreditation officers of one event.

Every view starts with the event and the role check: a person without a role on this event (anonymous
included) gets 404, so nothing about the event's participants leaks. State changes go through
:mod:`summit.registration.services`.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django_countries import countries

from summit.accounts import views as token_pages
from summit.core import audit, tables
from summit.core.errors import NotFound, SummitError, ValidationFailed, as_id
from summit.core.http import base_url, posted_next
from summit.events import roles
from summit.events.services import get_event
from summit.registration import exports, jobs, services
from summit.registration.models import InvitationCode, Participant

PAGE_SIZE = 50
INVITATION_PAGE_SIZE = 100


def _decisions():
    # Labels are translated per request (the module-level list would be frozen in the start-up language).
    return [
        (Participant.APPROVED, _("Approve")),
        (Participant.REJECTED, _("Reject")),
        (Participant.WAITLISTED, _("Waitlist")),
    ]


def _staff_event(request, slug):
    event = get_event(slug)
    roles.require(roles.can_accredit(request.user, event))
    return event


def _context(request, event, section: str, **extra) -> dict:
    return {
        "event": event,
        "section": section,
        "is_organizer": roles.is_organizer(request.user, event),
        **extra,
    }


_FILTER_LABELS = {
    "category": gettext_lazy("Category"),
    "status": gettext_lazy("Status"),
    "mode": gettext_lazy("Attendance"),
    "country": gettext_lazy("Country"),
    "organization": gettext_lazy("Organization"),
    "q": gettext_lazy("Search"),
}


# --- participant list --------------------------------------------------------------------------------------


def participant_list(request, slug):
    event = _staff_event(request, slug)
    error = None
    try:
        queryset, applied = services.filter_participants(event, request.GET)
        without_status = request.GET.copy()
        without_status.pop("status", None)
        counts_qs, _applied = services.filter_participants(event, without_status)
    except ValidationFailed as exc:
        error = exc.detail
        queryset, applied = Participant.objects.none(), {}
        counts_qs = Participant.objects.none()
    counts = services.status_counts(counts_qs)
    labels = dict(Participant.STATUS_CHOICES)
    status_links = [
        {"code": code, "label": labels[code], "count": n, "active": applied.get("status") == code}
        for code, n in counts.items()
    ]
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    present = set(
        Participant.objects.filter(event=event).order_by().values_list("country", flat=True).distinct()
    )
    country_choices = sorted(
        ((code, str(countries.name(code))) for code in present if code), key=lambda c: c[1]
    )
    return render(
        request,
        "registration/manage/participants.html",
        _context(
            request,
            event,
            "participants",
            page=page,
            error=error,
            applied=applied,
            status_links=status_links,
            total=sum(counts.values()),
            categories=list(event.categories.all()),
            country_choices=country_choices,
            status_choices=Participant.STATUS_CHOICES,
            mode_choices=Participant.MODE_CHOICES,
            decisions=_decisions(),
            params=request.GET,
            bulk_threshold=settings.BULK_JOB_THRESHOLD,
            # "Apply to all matching": the list's own filters go with the form (checked again on POST), and
            # only when they are valid; cancelled registrations cannot be decided on, so they are not counted.
            filter_params=[(name, request.GET[name]) for name in _FILTER_LABELS if request.GET.get(name)],
            decidable=None if error else queryset.exclude(status=Participant.CANCELLED).count(),
        ),
    )


@require_POST
def decide(request, slug):
    """One decision on the participants selected on the page, or on every participant matching the list's
    filters (``scope=matching``). A decision on ``BULK_JOB_THRESHOLD`` or more runs as a background job and
    the organizer lands on its progress page."""
    event = _staff_event(request, slug)
    fallback = reverse("manage:participants", args=[event.slug])
    target = posted_next(request, fallback)
    status = request.POST.get("action") or request.POST.get("status") or ""
    reason = request.POST.get("reason", "")
    try:
        if request.POST.get("scope") == "matching":
            filters = {
                k.removeprefix("filter-"): v for k, v in request.POST.items() if k.startswith("filter-")
            }
            queryset, _applied = services.filter_participants(event, filters)  # bad filters: refused
            decidable = queryset.exclude(status=Participant.CANCELLED)
            ids = list(decidable.order_by("pk").values_list("pk", flat=True))
        else:
            ids = [as_id(i) for i in request.POST.getlist("ids")]
            if None in ids:
                raise ValidationFailed(_("The selection is not valid."), code="bad_ids")
        if len(set(ids)) >= settings.BULK_JOB_THRESHOLD:
            job = jobs.start_decision(
                event=event,
                ids=ids,
                status=status,
                reason=reason,
                notify=True,
                actor=request.user,
                base_url=base_url(request),
            )
            messages.info(request, _("The decision runs in the background; this page shows its progress."))
            return redirect("core:job", job.pk)
        decisions = services.decide_many(
            event=event,
            participant_ids=ids,
            status=status,
            actor=request.user,
            reason=reason,
            base_url=base_url(request),
        )
    except NotFound:
        # A participant of another event (or a removed one): 404 like every other foreign object.
        raise
    except SummitError as exc:
        messages.error(request, exc.detail)
        return redirect(target)
    changed = len(decisions.changed)
    label = dict(Participant.STATUS_CHOICES)[status]
    messages.success(
        request,
        ngettext(
            "%(count)d participant changed to “%(status)s”.",
            "%(count)d participants changed to “%(status)s”.",
            changed,
        )
        % {"count": changed, "status": label},
    )
    return redirect(target)


def participant_detail(request, slug, pk):
    event = _staff_event(request, slug)
    participant = (
        Participant.objects.filter(event=event, pk=pk)
        .select_related("category", "organization", "invitation", "event")
        .first()
    )
    if participant is None:
        raise NotFound()
    entries = list(audit.entries_for(participant))
    return render(
        request,
        "registration/manage/participant.html",
        _context(
            request,
            event,
            "participants",
            participant=participant,
            entries=entries,
            decisions=_decisions(),
        ),
    )


# --- exports -----------------------------------------------------------------------------------------------


def _export(request, slug, fmt: str):
    """The participant list as a file, with the list's filters. An export of ``EXPORT_JOB_THRESHOLD`` rows or
    more is prepared in the background: the link shows what will be exported and a button that starts the
    job (a POST, so that nothing that merely follows links starts one)."""
    event = _staff_event(request, slug)
    params = request.POST if request.method == "POST" else request.GET
    queryset, applied = services.filter_participants(event, params)
    count = queryset.count()
    if count >= settings.EXPORT_JOB_THRESHOLD:
        if request.method == "POST":
            job = jobs.start_export(event=event, params=applied, fmt=fmt, actor=request.user)
            return redirect("core:job", job.pk)
        return render(
            request,
            "registration/manage/export.html",
            _context(
                request,
                event,
                "participants",
                count=count,
                applied=applied,
                filters=[(_FILTER_LABELS.get(name, name), value) for name, value in applied.items()],
                fmt=fmt.upper(),
            ),
        )
    header, rows = exports.participant_rows(queryset, event=event)
    if fmt == "csv":
        response = StreamingHttpResponse(
            (chunk.encode("utf-8") for chunk in tables.csv_chunks(header, rows)),
            content_type="text/csv; charset=utf-8",
        )
    else:
        response = HttpResponse(
            tables.xlsx_bytes(header, rows, title=_("Participants")),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{jobs.export_filename(event, fmt)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def export_csv(request, slug):
    return _export(request, slug, "csv")


@require_http_methods(["GET", "POST"])
def export_xlsx(request, slug):
    return _export(request, slug, "xlsx")


# --- API tokens --------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def tokens(request, slug):
    event = roles.organizer_event(request, slug)
    return token_pages.token_page(
        request, event, template="registration/manage/tokens.html", context=_context(request, event, "tokens")
    )


@require_POST
def revoke_token(request, slug, pk):
    event = roles.organizer_event(request, slug)
    return token_pages.revoke(request, event, pk, back="manage:tokens")


# --- invitation codes --------------------------------------------------------------------------------------


def _parse_invitation_form(event, post) -> tuple[dict, dict[str, str]]:
    """The create form's values as the service wants them, and the errors of values that cannot be read."""
    errors: dict[str, str] = {}
    values: dict = {"note": post.get("note", ""), "code": post.get("code", "")}
    try:
        values["category"] = services.get_category(event, (post.get("category") or "").strip())
    except ValidationFailed as exc:
        errors["category"] = exc.detail if post.get("category") else _("Choose a category.")
    org_id = (post.get("organization") or "").strip()
    values["organization"] = None
    if org_id:
        pk = as_id(org_id)
        organization = event.organizations.filter(pk=pk).first() if pk else None
        if organization is None:
            errors["organization"] = _("Unknown organization for this event.")
        values["organization"] = organization
    raw_uses = (post.get("max_uses") or "").strip() or "1"
    try:
        values["max_uses"] = int(raw_uses)
    except ValueError:
        errors["max_uses"] = _("Enter a whole number.")
    raw_expiry = (post.get("expires_at") or "").strip()
    values["expires_at"] = None
    if raw_expiry:
        try:
            parsed = datetime.fromisoformat(raw_expiry)
        except ValueError:
            errors["expires_at"] = _("Enter a date and time.")
        else:
            if timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed, event.tz)
            values["expires_at"] = parsed
    return values, errors


@require_http_methods(["GET", "POST"])
def invitations(request, slug):
    event = _staff_event(request, slug)
    form_errors: dict[str, str] = {}
    error = None
    data = {"max_uses": "1"}
    if request.method == "POST":
        data = request.POST
        values, form_errors = _parse_invitation_form(event, request.POST)
        if not form_errors:
            try:
                invitation = services.create_invitation(event=event, actor=request.user, **values)
            except SummitError as exc:
                for item in exc.errors:
                    form_errors.setdefault(item.get("field") or "", item.get("detail", ""))
                if not exc.errors:
                    if exc.field:
                        form_errors[exc.field] = exc.detail
                    else:
                        error = exc.detail
            else:
                messages.success(
                    request,
                    _("The invitation code “%(code)s” has been created.") % {"code": invitation.code},
                )
                return redirect(
                    reverse("manage:invitations", args=[event.slug]) + f"#invitation-{invitation.pk}"
                )
        if form_errors and not error:
            error = _("The invitation code was not created: please correct the fields below.")
    queryset = InvitationCode.objects.filter(event=event).select_related("category", "organization")
    page = Paginator(queryset.order_by("-created_at", "-pk"), INVITATION_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    revoked = services.revoked_invitation_ids(event)
    labels = services.invitation_state_labels()
    site = base_url(request)
    rows = []
    for invitation in page:
        state = services.invitation_state(invitation, revoked=invitation.pk in revoked)
        rows.append(
            {
                "invitation": invitation,
                "state": state,
                "state_label": labels[state],
                "link": services.invitation_link(event, invitation.code, site),
            }
        )
    return render(
        request,
        "registration/manage/invitations.html",
        _context(
            request,
            event,
            "invitations",
            page=page,
            rows=rows,
            categories=list(event.categories.all()),
            organizations=list(event.organizations.all()),
            data=data,
            form_errors=form_errors,
            error=error,
        ),
        status=422 if (form_errors or error) else 200,
    )


@require_POST
def expire_invitation(request, slug, pk):
    event = _staff_event(request, slug)
    invitation = InvitationCode.objects.filter(event=event, pk=pk).first()
    if invitation is None:
        raise NotFound()
    services.expire_invitation(invitation=invitation, actor=request.user)
    messages.success(
        request,
        _("The invitation code “%(code)s” has expired; its link no longer works.")
        % {"code": invitation.code},
    )
    return redirect(reverse("manage:invitations", args=[event.slug]) + f"#invitation-{invitation.pk}")
