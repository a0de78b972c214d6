from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from summit.core import roles
from summit.events.models import Event


def home(request):
    events = Event.objects.select_related("venue").order_by("start")
    managed = (
        set(roles.staff_events(request.user).values_list("pk", flat=True))
        if request.user.is_authenticated
        else set()
    )
    my = {}
    if request.user.is_authenticated:
        my = {p.event_id: p for p in request.user.participations.select_related("category")}
    return render(
        request, "core/home.html", {"events": events, "managed": managed, "my": my, "now": timezone.now()}
    )


def livez(request):
    """Liveness: the process answers (no database). Also the framework's floor in the benchmarks."""
    return HttpResponse("ok", content_type="text/plain")


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True, "database": connection.vendor})
