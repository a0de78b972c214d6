from django.shortcuts import render

from summit.core import roles
from summit.events.services import get_event


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
            "rooms": event.rooms.all(),
        },
    )
