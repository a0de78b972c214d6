"""Back office: CSV import of a delegation list."""

from django.shortcuts import render

from summit.core import roles
from summit.events.services import get_event


def import_participants(request, slug):
    event = get_event(slug)
    roles.require(roles.can_accredit(request.user, event))
    return render(request, "core/error.html", {"error": None})
