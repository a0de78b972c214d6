"""Back office (accreditation) pages."""

from django.shortcuts import render

from summit.core import roles
from summit.events.services import get_event


def participant_list(request, slug):
    event = get_event(slug)
    roles.require(roles.can_accredit(request.user, event))
    return render(request, "core/error.html", {"error": None})
