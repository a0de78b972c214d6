from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from summit.core.i18n import sort_localized
from summit.events import roles
from summit.events.models import Event
from summit.events.services import get_event, set_staff_two_factor


def index(request):
    """The site's front page: every event, with the visitor's registration and back-office links."""
    events = Event.objects.select_related("venue").order_by("start")
    managed = gates = set()
    if request.user.is_authenticated:
        managed = set(roles.staff_events(request.user).values_list("pk", flat=True))
        gates = set(roles.gate_events(request.user).values_list("pk", flat=True))
    my = {}
    if request.user.is_authenticated:
        my = {p.event_id: p for p in request.user.participations.select_related("category")}
    return render(
        request,
        "events/index.html",
        {"events": events, "managed": managed, "gates": gates, "my": my, "now": timezone.now()},
    )


def event_home(request, slug):
    event = get_event(slug)
    participant = None
    if request.user.is_authenticated:
        participant = event.participants.filter(user=request.user).select_related("category").first()
    categories = event.categories.filter(needs_invitation=False)
    return render(
        request,
        "events/home.html",
        {
            "event": event,
            "participant": participant,
            "categories": categories,
            "is_staff": roles.is_staff_of(request.user, event),
            "rooms": sort_localized(event.rooms.all()),
        },
    )


@require_http_methods(["GET", "POST"])
def security(request, slug):
    """Back office, organizers only: whether the event's staff must use a second factor."""
    event = roles.organizer_event(request, slug)
    if request.method == "POST":
        required = request.POST.get("staff_two_factor") == "on"
        set_staff_two_factor(event=event, required=required, actor=request.user)
        messages.success(
            request,
            _("Staff of this event now need a second factor.")
            if required
            else _("Staff of this event no longer need a second factor."),
        )
        return redirect("events:security", slug=event.slug)
    return render(
        request,
        "events/security.html",
        {"event": event, "section": "security", "is_organizer": True},
    )
