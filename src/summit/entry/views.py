"""Entry pages: a participant's entry status, proofs and badge; the entry officers' review; the organizers'
rules, badge access, occupancy and erasure requests. Every change goes through ``entry.services``."""

from __future__ import annotations

import io
import json

import segno
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from summit.core import ratelimit
from summit.core.errors import NotFound, SummitError
from summit.core.i18n import sort_localized
from summit.core.storage import file_response
from summit.entry import presenters, tokens
from summit.entry.forms import AccessForm, DecisionForm, ProofForm, RuleForm
from summit.entry.models import (
    CategoryAccess,
    EntryRule,
    ErasureRequest,
    HealthSummary,
    Portrait,
    Proof,
    Scan,
)
from summit.entry.services import badges, gates, photos, privacy, proofs
from summit.events import roles
from summit.events.services import get_event
from summit.registration import services as registration
from summit.registration.models import Participant


def _own(request, slug: str) -> Participant:
    return registration.own_registration(request.user, get_event(slug))


# --- the participant ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def me(request, slug):
    """My entry: the rules that apply, what meets them and until when, my proofs, the upload form."""
    if not request.user.is_authenticated:
        return redirect("registration:signin", slug=slug)
    participant = _own(request, slug)
    event = participant.event
    rules_list = proofs.event_rules(event)
    kinds = proofs.accepted_kinds(participant, rules_list)
    form = ProofForm(
        *((request.POST, request.FILES) if request.method == "POST" else ()), kinds=kinds, event=event
    )
    if request.method == "POST" and form.is_valid():
        try:
            proofs.upload_proof(
                participant=participant,
                kind=form.cleaned_data["kind"],
                taken_at=form.taken_at(),
                upload=form.cleaned_data["file"],
                actor=request.user,
            )
        except SummitError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, _("Your proof was uploaded. An entry officer will review it."))
            return redirect("entry:me", slug=event.slug)
    status = proofs.status_of(participant, event_rules_list=rules_list)
    return render(
        request,
        "entry/me.html",
        {
            "event": event,
            "participant": participant,
            "status": status,
            "starts_after_expiry": status.valid_until is not None and status.valid_until < event.start,
            "proofs": participant.proofs.order_by("-created_at"),
            "form": form,
            "kinds": kinds,
            "badge_ready": badges.may_show(participant, status),
            "erasure": ErasureRequest.objects.filter(participant=participant, completed_at=None).first(),
            "portrait": Portrait.objects.filter(participant=participant).first(),
        },
        status=422 if request.method == "POST" else 200,
    )


def _my_proof(request, slug, proof_id) -> Proof:
    proof = _own(request, slug).proofs.filter(pk=proof_id).select_related("event").first()
    if proof is None:
        raise NotFound(_("This proof was not found."))
    return proof


@require_GET
def my_proof(request, slug, proof_id):
    proof = _my_proof(request, slug, proof_id)
    data, content_type = proofs.open_proof(proof=proof, actor=request.user)
    return presenters.proof_document(proof, data, content_type)


@require_POST
def delete_my_proof(request, slug, proof_id):
    proof = _my_proof(request, slug, proof_id)
    proofs.delete_proof(proof=proof, actor=request.user)
    messages.success(request, _("Your proof and its document were deleted."))
    return redirect("entry:me", slug=slug)


@require_POST
def my_photo(request, slug):
    """Give, replace or remove the photo for my badge."""
    participant = _own(request, slug)
    if request.POST.get("remove"):
        photos.delete_photo(participant=participant, actor=request.user)
        messages.success(request, _("Your photo was removed."))
        return redirect("entry:me", slug=slug)
    upload = request.FILES.get("photo")
    if upload is None:
        messages.error(request, _("Choose a photo to upload."))
        return redirect("entry:me", slug=slug)
    try:
        photos.save_photo(participant=participant, upload=upload, actor=request.user)
    except SummitError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Your photo was saved. It shows on your badge."))
    return redirect("entry:me", slug=slug)


@require_GET
def photo(request, slug, participant_id):
    """A badge photo: for its owner, the desk (organizers, accreditation officers) and the event's gate
    staff, who compare it with the person in front of them."""
    event = get_event(slug)
    user = request.user
    own = (
        Participant.objects.filter(event=event, user=user, pk=participant_id).exists()
        if user.is_authenticated
        else False
    )
    if not (own or roles.can_accredit(user, event) or roles.gate_zone_ids(user, event) != set()):
        raise NotFound()
    data = photos.photo_bytes(participant_id)
    if data is None or not Participant.objects.filter(event=event, pk=participant_id).exists():
        raise NotFound()
    return file_response(
        io.BytesIO(data),
        filename=f"photo-{participant_id}.jpg",
        content_type="image/jpeg",
        cache="private, max-age=300",
    )


@require_GET
def my_data(request, slug):
    """Everything Summit holds about me, as a JSON file."""
    participant = _own(request, slug)
    ratelimit.hit("export", str(participant.pk))
    data = json.dumps(privacy.personal_data(participant), ensure_ascii=False, indent=2, default=str)
    response = HttpResponse(data.encode(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="summit-{participant.event.slug}-my-data.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def ask_erasure(request, slug):
    participant = _own(request, slug)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that you want your data erased."))
        return redirect("entry:me", slug=slug)
    privacy.request_erasure(participant=participant, actor=request.user)
    messages.success(request, _("Your request was sent. The organizers will erase your data and tell you."))
    return redirect("entry:me", slug=slug)


@never_cache
@require_GET
def badge(request, slug):
    """The badge QR on the phone, once the participant holds an on-site place and meets the entry rules. The
    page keeps working offline once opened (its service worker keeps the last copy)."""
    if not request.user.is_authenticated:
        return redirect("registration:signin", slug=slug)
    participant = _own(request, slug)
    event = participant.event
    status = proofs.status_of(participant)
    context = {"event": event, "participant": participant, "status": status}
    current = badges.shown_badge(participant, status, actor=request.user)
    if current is not None:
        token = badges.token_for(current)
        qr = segno.make(token, error="l", boost_error=False)
        access = (
            CategoryAccess.objects.filter(category=participant.category).prefetch_related("zones").first()
        )
        zones = list(access.zones.all()) if access and access.zones.exists() else list(event.zones.all())
        context.update(
            {
                "portrait": Portrait.objects.filter(participant=participant).first(),
                "badge": current,
                "token": token,
                "token_groups": tokens.group(token),
                "qr_svg": qr.svg_inline(scale=5, border=4, dark="#000", light="#fff", omitsize=True),
                "colour": access.colour if access else CategoryAccess.DEFAULT_COLOUR,
                "zones": sort_localized(zones),
            }
        )
    return render(request, "entry/badge.html", context)


@require_GET
def service_worker(request, slug):
    """Keeps the last copy of the badge and entry pages for when the phone is offline."""
    get_event(slug)
    body = render(request, "entry/sw.js", {"scope": reverse("entry:me", args=[slug])}).content
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request, slug):
    event = get_event(slug)
    data = {
        "name": f"{event.tr_name} · {_('Badge')}",
        "short_name": _("Badge"),
        "start_url": reverse("entry:badge", args=[slug]),
        "scope": reverse("entry:me", args=[slug]),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d3b5a",
        "icons": [{"src": "/static/summit/badge-icon.svg", "sizes": "any", "type": "image/svg+xml"}],
    }
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json")


# --- entry officers ----------------------------------------------------------------------------------------


def _officer_event(request, slug):
    event = get_event(slug)
    roles.require(roles.can_review_proofs(request.user, event))
    return event


@require_GET
def review(request, slug):
    event = _officer_event(request, slug)
    return render(
        request,
        "entry/review.html",
        {
            "event": event,
            "section": "entry_review",
            "pending": proofs.review_queue(event)[:100],
            "pending_count": proofs.review_queue(event).count(),
            "decided": Proof.objects.filter(event=event)
            .exclude(status=Proof.PENDING)
            .select_related("participant", "reviewer")
            .order_by("-decided_at")[:20],
            "form": DecisionForm(),
            "is_organizer": roles.is_organizer(request.user, event),
        },
    )


@require_POST
def decide(request, slug, proof_id):
    event = _officer_event(request, slug)
    proof = Proof.objects.filter(event=event, pk=proof_id).select_related("participant", "event").first()
    if proof is None:
        raise NotFound(_("This proof was not found."))
    form = DecisionForm(request.POST)
    form.is_valid()
    accept = request.POST.get("decision") == "accept"
    try:
        proofs.decide_proof(
            proof=proof,
            actor=request.user,
            accept=accept,
            reason=form.cleaned_data.get("reason", ""),
            note=form.cleaned_data.get("note", ""),
        )
    except SummitError as exc:
        messages.error(request, f"{proof.participant.display_name}: {exc.message}")
    else:
        messages.success(
            request,
            (_("Accepted: %(name)s") if accept else _("Rejected: %(name)s"))
            % {"name": proof.participant.display_name},
        )
    return redirect("entry_manage:review", slug=slug)


@require_GET
def proof_document(request, slug, proof_id):
    """An entry officer opens a proof's document; each opening is in the audit log."""
    event = _officer_event(request, slug)
    proof = Proof.objects.filter(event=event, pk=proof_id).select_related("event").first()
    if proof is None:
        raise NotFound(_("This proof was not found."))
    data, content_type = proofs.open_proof(proof=proof, actor=request.user)
    return presenters.proof_document(proof, data, content_type)


# --- organizers --------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def overview(request, slug):
    """Entry rules, badge access per category, occupancy, conflicts and erasure requests."""
    event = roles.organizer_event(request, slug)
    rule_form = RuleForm(request.POST if request.POST.get("form") == "rule" else None, event=event)
    if request.method == "POST" and request.POST.get("form") == "rule" and rule_form.is_valid():
        try:
            proofs.save_rule(
                event=event,
                actor=request.user,
                category=rule_form.cleaned_data["category"],
                zone=rule_form.cleaned_data["zone"],
                stage=rule_form.cleaned_data["stage"],
                accepted=rule_form.accepted(),
            )
        except SummitError as exc:
            rule_form.apply_error(exc)
        else:
            messages.success(request, _("The entry rule was saved."))
            return redirect("entry_manage:overview", slug=slug)
    access_rows = []
    accesses = {
        a.category_id: a
        for a in CategoryAccess.objects.filter(category__event=event).prefetch_related("zones")
    }
    for category in sort_localized(event.categories.all()):
        access = accesses.get(category.pk)
        initial = {
            "colour": access.colour if access else CategoryAccess.DEFAULT_COLOUR,
            "zones": list(access.zones.all()) if access else [],
        }
        access_rows.append((category, AccessForm(initial=initial, event=event, prefix=f"c{category.pk}")))
    summary = HealthSummary.objects.filter(event=event).first()
    return render(
        request,
        "entry/manage.html",
        {
            "event": event,
            "section": "entry",
            "is_organizer": True,
            "rules": proofs.event_rules(event),
            "rule_form": rule_form,
            "access_rows": access_rows,
            "occupancy": gates.occupancy(event),
            "conflicts": Scan.objects.filter(event=event)
            .exclude(conflict="")
            .select_related("participant", "zone")[:50],
            "erasures": ErasureRequest.objects.filter(event=event, completed_at=None).select_related(
                "participant"
            ),
            "pending_count": proofs.review_queue(event).count(),
            "purge_at": privacy.purge_due_at(event),
            "summary": summary,
            "proof_count": Proof.objects.filter(event=event).count(),
        },
        status=422 if request.method == "POST" else 200,
    )


@require_POST
def delete_rule(request, slug, rule_id):
    event = roles.organizer_event(request, slug)
    rule = EntryRule.objects.filter(event=event, pk=rule_id).first()
    if rule is None:
        raise NotFound(_("This entry rule was not found."))
    proofs.delete_rule(event=event, actor=request.user, rule=rule)
    messages.success(request, _("The entry rule was deleted."))
    return redirect("entry_manage:overview", slug=slug)


@require_POST
def save_access(request, slug, category_id):
    event = roles.organizer_event(request, slug)
    category = event.categories.filter(pk=category_id).first()
    if category is None:
        raise NotFound()
    form = AccessForm(request.POST, event=event, prefix=f"c{category.pk}")
    if form.is_valid():
        try:
            proofs.save_access(
                event=event,
                actor=request.user,
                category=category,
                colour=form.cleaned_data["colour"],
                zones=form.cleaned_data["zones"],
            )
        except SummitError as exc:
            messages.error(request, f"{category.tr_name}: {exc.message}")
        else:
            messages.success(request, _("Badge of %(category)s saved.") % {"category": category.tr_name})
    else:
        messages.error(
            request, _("%(category)s: give the colour as #RRGGBB.") % {"category": category.tr_name}
        )
    return redirect("entry_manage:overview", slug=slug)


@require_GET
def occupancy(request, slug):
    """The occupancy table alone, refreshed by htmx every few seconds."""
    event = roles.organizer_event(request, slug)
    return render(
        request,
        "entry/_occupancy.html",
        {"event": event, "occupancy": gates.occupancy(event)},
    )


@require_POST
def complete_erasure(request, slug, request_id):
    event = roles.organizer_event(request, slug)
    erasure = ErasureRequest.objects.filter(event=event, pk=request_id).select_related("participant").first()
    if erasure is None:
        raise NotFound()
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm the erasure."))
        return redirect("entry_manage:overview", slug=slug)
    try:
        privacy.complete_erasure(request=erasure, actor=request.user)
    except SummitError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The participant's data was erased."))
    return redirect("entry_manage:overview", slug=slug)


# --- badges (organizers and accreditation officers) --------------------------------------------------------


def _desk_event(request, slug):
    event = get_event(slug)
    roles.require(roles.can_accredit(request.user, event))
    return event


def _badge_holders(event, params):

    queryset, applied = registration.filter_participants(event, params)
    holders = queryset.filter(status=Participant.APPROVED, attendance_mode=Participant.ONSITE)
    return holders.select_related("category", "organization"), applied


@require_http_methods(["GET", "POST"])
def badges_page(request, slug):
    """Print the badges of any filtered participant list (the participant list's own filters) as one PDF,
    in a background job; or one badge, or a reprint that revokes the old one."""
    from summit.entry import cards

    event = _desk_event(request, slug)
    error = None
    try:
        holders, applied = _badge_holders(event, request.GET)
    except SummitError as exc:
        error, holders, applied = exc.detail, Participant.objects.none(), {}
    if request.method == "POST":
        try:
            job = badges.start_print(
                event=event,
                ids=list(
                    holders.order_by("family_name_latin", "given_name_latin", "pk").values_list(
                        "pk", flat=True
                    )
                ),
                size=request.POST.get("size", "A6"),
                actor=request.user,
            )
        except SummitError as exc:
            error = exc.detail
        else:
            return redirect("core:job", job_id=job.pk)
    return render(
        request,
        "entry/badges.html",
        {
            "event": event,
            "section": "badges",
            "is_organizer": roles.is_organizer(request.user, event),
            "holders": holders[:50],
            "count": holders.count() if error is None else 0,
            "applied": applied,
            "params": request.GET,
            "sizes": list(cards.SIZES),
            "categories": list(event.categories.all()),
            "error": error,
        },
        status=422 if error else 200,
    )


def _holder(event, participant_id):
    participant = (
        Participant.objects.filter(event=event, pk=participant_id)
        .select_related("category", "organization", "event")
        .first()
    )
    if participant is None:
        raise NotFound()
    return participant


@require_GET
def badge_pdf(request, slug, participant_id):
    event = _desk_event(request, slug)
    participant = _holder(event, participant_id)
    data = badges.badge_pdf(participant, size=request.GET.get("size", "A6"))
    return file_response(
        io.BytesIO(data), filename=f"badge-{participant.pk}.pdf", content_type="application/pdf"
    )


@require_POST
def reprint(request, slug, participant_id):
    event = _desk_event(request, slug)
    participant = _holder(event, participant_id)
    try:
        badge = badges.reissue_badge(participant=participant, actor=request.user)
    except SummitError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("%(name)s: badge revision %(revision)s issued; the previous one no longer opens any gate.")
            % {"name": participant.display_name, "revision": badge.revision},
        )
    return redirect(f"{reverse('entry_manage:badges', args=[slug])}?q={participant.email}")
