from django.db import connection
from django.http import HttpResponse, JsonResponse


def livez(request):
    """Liveness: the process answers (no database). Also the framework's floor in the benchmarks."""
    return HttpResponse("ok", content_type="text/plain")


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True, "database": connection.vendor})
