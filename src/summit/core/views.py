from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from summit.core import jobs
from summit.core.errors import Forbidden, NotFound, SummitError
from summit.core.http import error_answer
from summit.core.models import Job
from summit.core.storage import file_response, private_storage


def livez(request):
    """Liveness: the process answers (no database). Also the framework's floor in the benchmarks."""
    return HttpResponse("ok", content_type="text/plain")


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True, "database": connection.vendor})


# --- background jobs (core/jobs.py) ----------------------------------------------------------------------


@login_required
def job_page(request, job_id):
    """A job's progress, then its result or error. Only its owner or a superuser; anyone else 404."""
    job = jobs.job_for(request.user, job_id)
    return render(request, "core/job.html", _job_context(job))


def job_progress(request, job_id):
    """The part of the job page that htmx reloads every second while the job runs."""
    job = jobs.job_for(request.user, job_id)
    context = _job_context(job)
    context["announce_now"] = context["announce_key"] != request.GET.get("said", "")
    return render(request, "core/_job_status.html", context)


@login_required
def job_file(request, job_id):
    """The job's result file, as an attachment, after the same permission check as the page."""
    job = jobs.job_for(request.user, job_id)
    if job.state != Job.SUCCEEDED or not job.result_file:
        raise NotFound()
    try:
        handle = private_storage().open(job.result_file, "rb")
    except FileNotFoundError:
        raise NotFound() from None
    return file_response(
        handle,
        filename=job.result_filename or "result",
        content_type=job.result_content_type or "application/octet-stream",
    )


def _job_context(job: Job) -> dict:
    done, total = job.progress_done, job.progress_total
    percent = job.percent
    numbers = {
        "done": number_format(done, force_grouping=True),
        "total": number_format(total, force_grouping=True),
        "percent": percent,
    }
    if total:
        progress_text = _("%(done)s of %(total)s (%(percent)s%%)") % numbers
    elif job.state == Job.SUCCEEDED:
        progress_text = _("Done.")
    elif done:
        progress_text = _("%(done)s done") % numbers
    else:
        progress_text = _("Not started yet.") if job.state == Job.QUEUED else _("Starting…")
    if job.state == Job.RUNNING and percent is not None:
        key, announce = f"running-{percent // 10}", _("Running: %(percent)s%% done.") % numbers
    elif job.state == Job.FAILED:
        key, announce = "failed", _("The job failed.")
    elif job.state == Job.SUCCEEDED:
        key, announce = "succeeded", _("The job has finished.")
    else:
        key, announce = job.state, job.get_state_display()
    result = job.result if job.state == Job.SUCCEEDED and isinstance(job.result, dict) else {}
    counts = result.get("counts") if isinstance(result.get("counts"), dict) else {}
    failed = [row for row in result.get("failed") or [] if isinstance(row, dict)]
    columns: list[str] = []
    for row in failed:
        columns += [str(c) for c in row if str(c) not in columns]
    return {
        "job": job,
        "progress_text": progress_text,
        "counts": [(label, _number(value)) for label, value in counts.items()],
        "failed_columns": columns,
        "failed_rows": [[(c, row.get(c, "")) for c in columns] for row in failed],
        "retrying": job.state == Job.QUEUED and job.attempts > 0 and bool(job.error),
        "announce_key": key,
        "announce": announce,
        "announce_now": False,
    }


def _number(value):
    """A count as people read it in the page's language (1,997 in English); anything else as it is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return number_format(value, force_grouping=True)
    return value


# --- error pages (handler400/403/404/500 in urls.py, CSRF_FAILURE_VIEW in settings) ------------------------
#
# The site's own pages in the viewer's language, extending base.html; under /api/ the same errors as the API
# answers them, JSON ``{"code": ..., "detail": ...}``.


def bad_request(request, exception=None):
    error = SummitError(_("The request could not be completed."), code="bad_request")
    return error_answer(request, error, template="400.html", status=400)


def permission_denied(request, exception=None):
    return error_answer(request, Forbidden(), template="403.html", status=403)


def page_not_found(request, exception=None):
    error = NotFound(_("There is no page at this address. It may have moved, or the link may be mistyped."))
    return error_answer(request, error, template="404.html", status=404)


def csrf_failure(request, reason=""):
    error = Forbidden(
        _("This form has expired or was sent from another page. Go back, reload the page and send it again."),
        code="csrf_failed",
    )
    return error_answer(request, error, template="403_csrf.html", status=403)


def server_error(request):
    """Rendered without the request's context: no context processor (session, user, database) may fail here,
    the failure may be theirs. The language chosen for the request is still active."""
    error = SummitError(
        _("Something went wrong on our side. Please try again in a moment."), code="server_error"
    )
    if request.path.startswith("/api/"):
        return JsonResponse(error.as_dict(), status=500)
    html = loader.get_template("500.html").render({"error": error, "status": 500, "plain": True})
    return HttpResponse(html, status=500)
