"""Who may do what with the background jobs of the back office (roles × actions): the job page, its progress
fragment, its file, the API's job and file, starting a large export or decision. What a role may not do
answers 404 (or the sign-in page for someone signed out) and leaks nothing: never the job's label or file."""

from __future__ import annotations

import pytest
from django.urls import reverse

from summit.accounts import services as accounts
from summit.core.models import Job
from summit.events.testing import make_event, make_staff
from summit.registration import jobs
from summit.registration.models import Participant
from summit.registration.testing import make_delegate, make_participant, make_standard_categories

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "delegate", "officer", "other_organizer", "organizer_elsewhere", "owner", "superuser"]


@pytest.fixture
def world(settings):
    settings.EXPORT_JOB_THRESHOLD = 3
    settings.BULK_JOB_THRESHOLD = 3
    event = make_event("wic")
    categories = make_standard_categories(event)
    for i in range(4):
        make_participant(event, categories["company"], email=f"p{i}@example.org")
    elsewhere = make_event("elsewhere")
    users = {
        "anonymous": None,
        "delegate": make_delegate(event, categories["company"], email="delegate@example.org").user,
        "officer": make_staff(event, "accreditation_officer", "officer@example.org"),
        "other_organizer": make_staff(event, "organizer", "other@example.org"),
        "organizer_elsewhere": make_staff(elsewhere, "organizer", "away@example.org"),
        "owner": make_staff(event, "organizer", "owner@example.org"),
    }
    from summit.core.testing import make_user

    users["superuser"] = make_user("root@example.org", is_superuser=True, is_staff=True)
    job = jobs.start_export(event=event, params={}, fmt="csv", actor=users["owner"])
    job.refresh_from_db()
    assert job.state == Job.SUCCEEDED
    return {"event": event, "elsewhere": elsewhere, "users": users, "job": job}


def client_for(client, world, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ["core:job", "core:job_progress", "core:job_file"])
def test_only_the_owner_and_a_superuser_see_a_job(client, world, role, page):
    response = client_for(client, world, role).get(reverse(page, args=[world["job"].pk]))
    if role in ("owner", "superuser"):
        assert response.status_code == 200
    elif role == "anonymous" and page != "core:job_progress":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == 404
        assert world["job"].label.encode() not in b"".join(
            getattr(response, "streaming_content", [response.content])
        )


@pytest.mark.parametrize("role", ["delegate", "officer", "other_organizer", "organizer_elsewhere", "owner"])
def test_the_api_shows_a_job_only_to_its_owner_on_its_event(client, world, role):
    user = world["users"][role]
    event = world["elsewhere"] if role == "organizer_elsewhere" else world["event"]
    raw = accounts.create_api_token(event=event, user=user, name="t")[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    job = world["job"]
    for path in (f"/api/jobs/{job.pk}", f"/api/jobs/{job.pk}/file"):
        response = client.get(path, **auth)
        if role == "owner":
            assert response.status_code == 200, path
        else:
            assert response.status_code == 404, (role, path)
            assert job.label not in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_starting_a_large_export_or_decision_needs_a_staff_role_on_the_event(client, world, role):
    event = world["event"]
    c = client_for(client, world, role)
    before = Job.objects.count()
    export = c.post(reverse("manage:export_csv", args=[event.slug]))
    decide = c.post(reverse("manage:decide", args=[event.slug]), {"scope": "matching", "action": "rejected"})
    if role in ("officer", "other_organizer", "owner", "superuser"):
        assert export.status_code == 302 and decide.status_code == 302
        assert Job.objects.count() == before + 2
    else:
        assert export.status_code == 404 and decide.status_code == 404
        assert Job.objects.count() == before
        assert Participant.objects.filter(event=event, status="rejected").count() == 0


def test_someone_who_lost_their_role_no_longer_sees_the_export_they_started(client, world):
    from summit.events.models import EventRole

    owner, job = world["users"]["owner"], world["job"]
    EventRole.objects.filter(user=owner).delete()
    client.force_login(owner)
    for page in ("core:job", "core:job_file"):
        assert client.get(reverse(page, args=[job.pk])).status_code == 404


def test_result_files_are_deleted_some_days_after_the_job(client, world, settings):
    from datetime import timedelta

    from django.utils import timezone

    from summit.core import jobs as core_jobs
    from summit.core.storage import private_storage

    job = world["job"]
    name = job.result_file
    assert private_storage().exists(name)
    Job.objects.filter(pk=job.pk).update(
        finished_at=timezone.now() - timedelta(days=settings.JOB_FILE_DAYS + 1)
    )
    assert core_jobs.sweep()["files"] == 1
    assert not private_storage().exists(name)
    client.force_login(world["users"]["owner"])
    assert client.get(reverse("core:job_file", args=[job.pk])).status_code == 404
    assert client.get(reverse("core:job", args=[job.pk])).status_code == 200  # the job itself stays


def test_an_event_that_requires_a_second_factor_hides_its_jobs_until_the_code_is_given(client, world):
    from summit.core import two_factor

    owner, job, event = world["users"]["owner"], world["job"], world["event"]
    event.staff_two_factor = True
    event.save(update_fields=["staff_two_factor"])
    device = two_factor.start_enrollment(user=owner)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    client.force_login(owner)  # a password sign-in without the code
    for page in ("core:job", "core:job_file"):
        assert client.get(reverse(page, args=[job.pk])).status_code == 404
