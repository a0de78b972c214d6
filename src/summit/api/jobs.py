"""REST API: background jobs started through the API (a large decision...), for the token's event."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from django.urls import reverse
from ninja import Path, Router

from summit.core import jobs
from summit.core.errors import NotFound
from summit.core.models import Job
from summit.core.schemas import JobOut, errors
from summit.core.storage import file_response, private_storage

router = Router(tags=["jobs"])

JobId = Annotated[str, Path(description="The job's id (a UUID); any other text is 404")]

_FILE_ANSWER = {
    "responses": {
        200: {
            "description": "The file, in its own type (CSV, XLSX...); its name in Content-Disposition",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def _job(request: HttpRequest, job_id: str) -> Job:
    """The job if the token's user started it on the token's event; 404 otherwise (nothing leaks)."""
    job = jobs.job_for(request.auth.user, job_id)
    if job.scope != f"event:{request.auth.event_id}":
        raise NotFound()
    return job


def job_out(job: Job) -> dict:
    data = jobs.as_dict(job)
    if data["file"] is not None:
        data["file"]["url"] = reverse("api:job_file", args=[job.pk])
    return data


@router.get(
    "jobs/{job_id}",
    response={200: JobOut, **errors(404)},
    summary="A background job: state, progress, result",
)
def get_job(request: HttpRequest, job_id: JobId):
    return job_out(_job(request, job_id))


@router.get(
    "jobs/{job_id}/file",
    url_name="job_file",
    response={200: None, **errors(404)},
    openapi_extra=_FILE_ANSWER,
    summary="The file a finished job produced",
)
def get_job_file(request: HttpRequest, job_id: JobId):
    job = _job(request, job_id)
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
