"""Large back-office work runs as background jobs (registration/jobs.py): a decision on many participants
(the back office and the API) and a large export, each with a progress page; a job whose worker dies carries
on without deciding or mailing anyone twice."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core import mail
from django.urls import reverse

from summit.accounts import services as accounts
from summit.core import jobs as core_jobs
from summit.core.models import AuditEntry, Job
from summit.core.tests.jobkinds import Killed
from summit.events.testing import make_event, make_staff
from summit.registration import jobs, services
from summit.registration.models import Participant
from summit.registration.testing import make_participant, make_standard_categories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_thresholds(settings):
    settings.BULK_JOB_THRESHOLD = 5
    settings.EXPORT_JOB_THRESHOLD = 4


def applicants(event, category, count, **extra):
    return [
        make_participant(event, category, given_name=f"Applicant {i}", email=f"a{i}@example.org", **extra)
        for i in range(count)
    ]


def decide_url(event):
    return reverse("manage:decide", args=[event.slug])


def test_a_decision_on_everyone_matching_the_filters_runs_as_a_job(organizer_client, event, categories):
    people = applicants(event, categories["company"], 8)
    make_participant(event, categories["research"], email="other@example.org")  # filtered out
    mail.outbox.clear()

    response = organizer_client.post(
        decide_url(event),
        {
            "scope": "matching",
            "filter-category": "company",
            "filter-status": "submitted",
            "action": "approved",
        },
    )

    job = Job.objects.get(kind="registration.decide_many")
    assert response.status_code == 302 and response["Location"] == reverse("core:job", args=[job.pk])
    assert job.state == Job.SUCCEEDED, job.error
    assert set(
        Participant.objects.filter(pk__in=[p.pk for p in people]).values_list("status", flat=True)
    ) == {"approved"}
    assert Participant.objects.get(email="other@example.org").status == "submitted"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)  # one decision mail each
    assert job.result["counts"]["Changed to “Approved”"] == 8
    page = organizer_client.get(response["Location"]).content.decode()
    assert "Changed to “Approved”" in page and "Decision e-mails" in page


def test_a_few_selected_participants_are_decided_at_once(organizer_client, event, categories):
    people = applicants(event, categories["company"], 3)
    response = organizer_client.post(
        decide_url(event), {"scope": "selected", "ids": [p.pk for p in people], "action": "approved"}
    )
    assert response.status_code == 302 and not Job.objects.exists()
    assert Participant.objects.filter(status="approved").count() == 3


def test_a_decision_job_over_the_quota_fails_and_changes_nothing(organizer, event, categories):
    vip = categories["vip"]
    vip.onsite_quota = 2
    vip.save()
    people = applicants(event, vip, 6)

    job = jobs.start_decision(
        event=event,
        ids=[p.pk for p in people],
        status="approved",
        reason="",
        notify=True,
        actor=organizer,
        base_url=None,
    )

    job.refresh_from_db()
    assert job.state == Job.FAILED and "quota" in job.error
    assert not Participant.objects.filter(status="approved").exists()


def test_a_bad_decision_is_refused_before_any_job_starts(organizer_client, event, categories):
    applicants(event, categories["company"], 6)
    response = organizer_client.post(
        decide_url(event), {"scope": "matching", "action": "promoted-to-king"}, follow=True
    )
    assert "Unknown decision" in response.content.decode()
    assert not Job.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_decision_job_whose_worker_dies_while_mailing_carries_on_without_repeating_anything(
    real_commits, monkeypatch, settings
):
    event = make_event("jobs")
    organizer = make_staff(event)
    people = applicants(event, make_standard_categories(event)["company"], 8)
    monkeypatch.setattr(jobs, "MAIL_CHUNK", 3)
    sent = {"calls": 0}
    real_send = services.send_status_mail

    def dies_on_the_fifth_mail(participant, **kw):
        sent["calls"] += 1
        if sent["calls"] == 5:
            raise Killed()  # the worker is killed inside the second chunk of mails, before it commits
        return real_send(participant, **kw)

    monkeypatch.setattr(services, "send_status_mail", dies_on_the_fifth_mail)
    mail.outbox.clear()
    with pytest.raises(Killed):
        jobs.start_decision(
            event=event,
            ids=[p.pk for p in people],
            status="approved",
            reason="welcome",
            notify=True,
            actor=organizer,
            base_url=None,
        )
    job = Job.objects.get()
    assert job.state == Job.RUNNING and job.checkpoint["mailed"] == 3
    assert len(mail.outbox) == 3  # the first chunk was committed and delivered; the second rolled back

    settings.JOB_STALE_SECONDS = 0  # the dead worker's heartbeat is old at once
    core_jobs.sweep()  # hands the job over again (eager backend: runs it now)

    job.refresh_from_db()
    assert job.state == Job.SUCCEEDED and job.attempts == 2
    assert AuditEntry.objects.filter(action="participant.approved").count() == 8  # decided once
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)  # each mailed once


def test_a_large_export_is_prepared_in_the_background_and_offered_to_its_owner_only(
    organizer_client, organizer, officer, client, event, categories
):
    applicants(event, categories["company"], 5)
    url = reverse("manage:export_csv", args=[event.slug]) + "?status=submitted"

    confirm = organizer_client.get(url)
    assert confirm.status_code == 200 and not Job.objects.exists()  # following a link starts nothing
    assert "5 participants" in confirm.content.decode()
    response = organizer_client.post(url, {"status": "submitted"})

    job = Job.objects.get(kind="registration.export_participants")
    assert response["Location"] == reverse("core:job", args=[job.pk])
    assert job.state == Job.SUCCEEDED and job.result["counts"] == {"Participants": 5}
    download = organizer_client.get(reverse("core:job_file", args=[job.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:2] == ["id", "email"] and len(rows) == 6
    client.force_login(officer)  # staff of the event, but not the one who asked for the file
    assert client.get(reverse("core:job_file", args=[job.pk])).status_code == 404


def test_a_small_export_is_still_a_direct_download(organizer_client, event, categories):
    applicants(event, categories["company"], 2)
    response = organizer_client.get(reverse("manage:export_xlsx", args=[event.slug]))
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    assert not Job.objects.exists()


def test_a_large_decision_through_the_api_answers_202_with_a_job_to_poll(
    client, organizer, event, categories
):
    people = applicants(event, categories["company"], 6)
    raw = accounts.create_api_token(event=event, user=organizer, name="CRM")[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    response = client.post(
        f"/api/events/{event.slug}/participants/status",
        json.dumps({"ids": [p.pk for p in people], "status": "rejected", "reason": "late", "notify": False}),
        content_type="application/json",
        **auth,
    )

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["kind"] == "registration.decide_many" and body["page"].startswith("/jobs/")
    polled = client.get(f"/api/jobs/{body['id']}", **auth)
    assert polled.status_code == 200 and polled.json()["state"] == "succeeded"
    assert Participant.objects.filter(status="rejected").count() == 6

    other = make_event("elsewhere")
    elsewhere = accounts.create_api_token(
        event=other, user=make_staff(other, email="x@example.org"), name="x"
    )[1]
    assert client.get(f"/api/jobs/{body['id']}", HTTP_AUTHORIZATION=f"Bearer {elsewhere}").status_code == 404
    assert client.get("/api/jobs/not-a-uuid", **auth).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_decision_longer_than_the_stale_time_is_not_started_again_while_it_runs(
    real_commits, monkeypatch, settings
):
    """The sweep finds the job's heartbeat old while its one long decision transaction runs. It must wait for
    that transaction rather than hand the job to another worker, which would make the first one's decision
    roll back and start it all again (endlessly, for a decision that always takes that long)."""
    import threading
    import time

    from django.db import connection

    event = make_event("long")
    organizer = make_staff(event)
    people = applicants(event, make_standard_categories(event)["company"], 6)
    settings.JOB_STALE_SECONDS = 1
    decided = []
    real_decide = services.decide_many

    def slow_decide(**kw):
        decided.append(1)
        outcome = real_decide(**kw)
        time.sleep(2.5)  # a decision on thousands of people, holding its locks
        return outcome

    monkeypatch.setattr(services, "decide_many", slow_decide)
    with monkeypatch.context() as m:
        m.setattr(core_jobs, "submit", lambda *a, **k: None)  # queued only: the test runs it below
        job = jobs.start_decision(
            event=event,
            ids=[p.pk for p in people],
            status="approved",
            reason="",
            notify=False,
            actor=organizer,
            base_url=None,
        )

    def sweep_meanwhile():
        time.sleep(1.5)  # the heartbeat is older than the stale time now
        try:
            core_jobs.sweep()
        finally:
            connection.close()

    sweeper = threading.Thread(target=sweep_meanwhile)
    sweeper.start()
    core_jobs.run(job.pk)
    sweeper.join(30)

    job.refresh_from_db()
    assert job.state == Job.SUCCEEDED
    assert len(decided) == 1  # the decision ran once, never rolled back and started again
    assert AuditEntry.objects.filter(action="participant.approved").count() == 6


def test_apply_to_all_matching_follows_the_lists_filters_and_leaves_cancelled_people_out(
    organizer_client, event, categories
):
    applicants(event, categories["company"], 2)
    make_participant(event, categories["company"], email="gone@example.org", status="cancelled")
    make_participant(event, categories["research"], email="other@example.org")
    page = organizer_client.get(reverse("manage:participants", args=[event.slug]) + "?category=company")
    html = page.content.decode()
    assert "All 2 participants that match the filters" in html  # the cancelled registration is not counted
    assert 'name="filter-category" value="company"' in html

    organizer_client.post(
        decide_url(event), {"scope": "matching", "filter-category": "company", "action": "approved"}
    )
    statuses = dict(Participant.objects.values_list("email", "status"))
    assert statuses["gone@example.org"] == "cancelled" and statuses["other@example.org"] == "submitted"
    assert [statuses[f"a{i}@example.org"] for i in range(2)] == ["approved", "approved"]


def test_with_filters_that_do_not_work_there_is_nothing_to_apply_to_everyone(
    organizer_client, event, categories
):
    applicants(event, categories["company"], 6)
    html = organizer_client.get(
        reverse("manage:participants", args=[event.slug]) + "?status=nonsense"
    ).content.decode()
    assert 'value="matching"' not in html  # the list shows an error and 0 matches: no "all matching" choice

    response = organizer_client.post(
        decide_url(event),
        {"scope": "matching", "filter-status": "nonsense", "action": "rejected"},
        follow=True,
    )
    assert "Unknown status" in response.content.decode()
    assert not Participant.objects.filter(status="rejected").exists() and not Job.objects.exists()
