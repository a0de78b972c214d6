"""Background jobs (core/jobs.py): progress and results on the job page, errors and retries, after-commit
start, and resuming from a checkpoint without doing anything twice."""

from __future__ import annotations

import socket
import time
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from summit.core import jobs
from summit.core.errors import NotFound
from summit.core.models import Job
from summit.core.tests.jobkinds import Killed, applied

pytestmark = pytest.mark.django_db


def user(email, **extra):
    return get_user_model().objects.create_user(email, "pw-123456", **extra)


@pytest.fixture
def owner():
    return user("owner@example.org")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def tag():
    return uuid.uuid4().hex[:12]


def go_stale(job):
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))


# --- the page --------------------------------------------------------------------------------------------


def test_progress_and_result_are_stored_and_shown_on_the_job_page(owner_client, owner):
    job = jobs.enqueue(
        "core_tests.export",
        args={"tag": tag(), "rows": ["a@example.org", "not-an-address", "b@example.org"]},
        owner=owner,
        scope="event:7",
        label="Export the people",
    )
    job.refresh_from_db()
    assert (job.state, job.progress_done, job.progress_total) == ("succeeded", 3, 3)
    assert job.result["counts"] == {"Exported": 2, "Not exported": 1}

    page = owner_client.get(reverse("core:job", args=[job.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Export the people</h1>" in html
    assert '<progress id="job-progress" max="3" value="3"' in html
    assert "3 of 3 (100%)" in html
    assert "<dt>Exported</dt><dd>2</dd>" in html
    assert "1 row could not be applied" in html
    assert '<td data-label="E-mail">not-an-address</td>' in html
    assert "hx-get" not in html  # finished: no more polling
    assert "Download people.csv" in html

    download = owner_client.get(reverse("core:job_file", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv"
    assert download["Content-Disposition"] == 'attachment; filename="people.csv"'
    assert b"".join(download.streaming_content) == b"email\na@example.org\nb@example.org\n"


def test_a_running_job_shows_a_progress_bar_that_polls_and_announces(owner_client, owner):
    job = Job.objects.create(
        kind="core_tests.items",
        label="Approve 2,000 people",
        owner=owner,
        state=Job.RUNNING,
        progress_done=1200,
        progress_total=2000,
        message="Approving",
        heartbeat_at=timezone.now(),
    )
    html = owner_client.get(reverse("core:job", args=[job.pk])).content.decode()
    assert '<progress id="job-progress" max="2000" value="1200" aria-describedby="job-progress-text">' in html
    assert "1,200 of 2,000 (60%)" in html
    assert 'hx-trigger="every 1s"' in html and "?said=running-6" in html
    assert 'role="status" aria-live="polite"' in html and "vendor/htmx/htmx.min.js" in html

    progress = reverse("core:job_progress", args=[job.pk])
    same = owner_client.get(progress, {"said": "running-6"}).content.decode()
    assert "1,200 of 2,000 (60%)" in same and "hx-swap-oob" not in same  # nothing new to read out
    Job.objects.filter(pk=job.pk).update(progress_done=1500)
    later = owner_client.get(progress, {"said": "running-6"}).content.decode()
    assert "1,500 of 2,000 (75%)" in later
    assert '<p id="job-announce" hx-swap-oob="innerHTML">Running: 75% done.</p>' in later

    Job.objects.filter(pk=job.pk).update(
        state=Job.SUCCEEDED, progress_done=2000, result={"counts": {"Approved": 2000}}
    )
    done = owner_client.get(progress, {"said": "running-7"}).content.decode()
    assert "hx-trigger" not in done and "The job has finished." in done and "<dd>2,000</dd>" in done


def test_the_job_page_speaks_chinese(owner_client, owner):
    job = Job.objects.create(
        kind="core_tests.items", owner=owner, state=Job.RUNNING, progress_done=5, progress_total=20
    )
    html = owner_client.get(
        reverse("core:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "后台任务" in html and "进度" in html and "运行中" in html


def test_another_user_gets_404_on_the_page_the_progress_and_the_file(client, owner):
    job = jobs.enqueue("core_tests.export", args={"tag": tag(), "rows": ["a@example.org"]}, owner=owner)
    urls = [reverse(name, args=[job.pk]) for name in ("core:job", "core:job_progress", "core:job_file")]
    client.force_login(user("someone@example.org", is_staff=True))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"people.csv" not in response.content
    # A job that does not exist looks the same.
    assert client.get(reverse("core:job", args=[uuid.uuid4()])).status_code == 404
    # A superuser sees every job.
    client.force_login(user("root@example.org", is_staff=True, is_superuser=True))
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]
    client.logout()
    assert client.get(urls[0]).status_code == 302  # signed out: the sign-in page, for any address
    assert client.get(urls[1]).status_code == 404


def test_job_for_and_as_dict_serve_an_api(owner):
    job = jobs.enqueue("core_tests.export", args={"tag": tag(), "rows": ["a@example.org"]}, owner=owner)
    assert jobs.job_for(owner, str(job.pk)) == job
    for who, job_id in [(user("x@example.org"), job.pk), (owner, "not-a-uuid"), (owner, uuid.uuid4())]:
        with pytest.raises(NotFound):
            jobs.job_for(who, job_id)
    data = jobs.as_dict(Job.objects.get(pk=job.pk))
    assert data["state"] == "succeeded" and data["progress"] == {"done": 1, "total": 1, "percent": 100}
    assert data["file"] == {
        "name": "people.csv",
        "content_type": "text/csv",
        "url": f"/jobs/{job.pk}/file",
    }
    assert data["result"]["counts"] == {"Exported": 1, "Not exported": 0}


# --- errors ----------------------------------------------------------------------------------------------


def test_a_domain_error_fails_the_job_with_its_message_and_no_retry(owner_client, owner):
    job = jobs.enqueue("core_tests.refuse", args={"tag": tag()}, owner=owner, label="Approve")
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error) == ("failed", 1, "There is nothing to approve.")
    html = owner_client.get(reverse("core:job", args=[job.pk])).content.decode()
    assert "What went wrong" in html and "There is nothing to approve." in html


def test_an_unexpected_error_is_retried_then_fails_and_is_logged(caplog):
    job = jobs.enqueue("core_tests.flaky", args={"tag": tag(), "failures": 5}, max_attempts=3)
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("failed", 3)
    assert "RuntimeError: boom on attempt 3" in job.error
    failures = [r for r in caplog.records if r.name == "summit.core.jobs" and r.levelname == "ERROR"]
    assert len(failures) == 1 and "failed after 3 attempts" in failures[0].getMessage()
    assert failures[0].exc_info  # with the traceback


def test_an_unexpected_error_once_is_retried_and_the_job_succeeds():
    t = tag()
    job = jobs.enqueue("core_tests.flaky", args={"tag": t, "failures": 1})
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error, job.result) == (
        "succeeded",
        2,
        "",
        {"counts": {"Attempts": 2}},
    )
    assert applied(t) == ["done"]


# --- after commit ----------------------------------------------------------------------------------------


def test_a_job_starts_after_commit_and_never_when_the_transaction_rolls_back(
    real_commits, django_capture_on_commit_callbacks
):
    rolled_back, committed = tag(), tag()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            jobs.enqueue("core_tests.items", args={"tag": rolled_back, "count": 4})
            raise RuntimeError("the request failed")
    assert callbacks == [] and applied(rolled_back) == []
    assert not Job.objects.filter(args__tag=rolled_back).exists()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            job = jobs.enqueue("core_tests.items", args={"tag": committed, "count": 4})
            assert applied(committed) == []  # not before the commit
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.state == "succeeded" and sorted(applied(committed)) == ["0", "1", "2", "3"]


# --- resuming, claiming, the sweep -----------------------------------------------------------------------


def test_a_chunked_job_resumes_from_its_checkpoint_after_a_crash_and_does_nothing_twice():
    t = tag()
    # The worker "dies" inside the chunk of items 4-5, after writing them but before the commit.
    with pytest.raises(Killed):
        jobs.enqueue("core_tests.items", args={"tag": t, "count": 9, "chunk": 2, "kill_at": 5})
    job = Job.objects.get(args__tag=t)
    assert (job.state, job.attempts, job.checkpoint, job.progress_done) == ("running", 1, {"next": 4}, 4)
    assert sorted(applied(t)) == ["0", "1", "2", "3"]

    assert jobs.sweep()["jobs"] == 0  # its heartbeat is fresh: it may still be running somewhere
    go_stale(job)
    assert jobs.sweep()["jobs"] == 1  # handed over again, and run (eager backend)
    job.refresh_from_db()
    assert (job.state, job.attempts, job.progress_done, job.progress_total) == ("succeeded", 2, 9, 9)
    assert sorted(applied(t), key=int) == [str(i) for i in range(9)]  # each item exactly once
    assert job.result["counts"] == {"Applied": 9, "This attempt": 5}


def test_a_worker_given_up_on_cannot_write_once_another_took_the_job_over():
    job = Job.objects.create(kind="core_tests.items", args={"tag": tag(), "count": 4})
    first = jobs._claim(job.pk)
    assert first is not None and jobs._claim(job.pk) is None  # one claim at a time
    slow = jobs.JobContext(first)
    go_stale(job)
    second = jobs._claim(job.pk)
    assert second.attempts == 2
    with pytest.raises(jobs.JobLost), transaction.atomic():
        Job.objects.filter(pk=job.pk).update(message="written by the slow worker")
        slow.save(checkpoint={"next": 2}, done=2)
    second.refresh_from_db()
    assert (second.checkpoint, second.message) == ({}, "")  # the slow worker's chunk was rolled back
    jobs.JobContext(second).save(checkpoint={"next": 2}, done=2)
    assert Job.objects.get(pk=job.pk).checkpoint == {"next": 2}


def test_a_job_interrupted_on_every_attempt_fails_for_good():
    job = Job.objects.create(kind="core_tests.items", args={"tag": tag(), "count": 2}, max_attempts=2)
    for _ in range(2):
        jobs._claim(job.pk)
        go_stale(job)
    assert jobs.sweep()["jobs"] == 1
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error) == ("failed", 3, "The job was interrupted too many times.")


def test_the_sweep_starts_a_queued_job_whose_message_was_lost(real_commits):
    t = tag()
    job = jobs.enqueue("core_tests.items", args={"tag": t, "count": 3})  # the commit never comes here
    assert jobs.sweep()["jobs"] == 0
    go_stale(job)
    assert jobs.sweep()["jobs"] == 1
    assert Job.objects.get(pk=job.pk).state == "succeeded" and sorted(applied(t)) == ["0", "1", "2"]


def test_on_start_up_jobs_of_a_dead_process_on_this_machine_run_again_at_once():
    t = tag()
    job = Job.objects.create(kind="core_tests.items", args={"tag": t, "count": 2})
    jobs._claim(job.pk)
    Job.objects.filter(pk=job.pk).update(worker=f"{socket.gethostname()}:999999999:summit-job_0")
    other = Job.objects.create(kind="core_tests.items", args={"tag": tag(), "count": 2})
    jobs._claim(other.pk)  # claimed by this (live) process: left alone
    assert jobs.recover_local() == 1
    assert Job.objects.get(pk=job.pk).state == "succeeded" and Job.objects.get(pk=other.pk).state == "running"


@pytest.mark.django_db(transaction=True)
def test_the_thread_backend_recovers_on_its_first_request_and_runs_jobs_after_commit(
    settings, client, real_commits
):
    settings.JOBS_BACKEND = "thread"
    left, new = tag(), tag()
    # A job the previous server process was running when it stopped.
    behind = Job.objects.create(kind="core_tests.items", args={"tag": left, "count": 2})
    jobs._claim(behind.pk)
    Job.objects.filter(pk=behind.pk).update(worker=f"{socket.gethostname()}:999999999:summit-job_0")

    def finished(job):
        deadline = time.monotonic() + 10
        while Job.objects.get(pk=job.pk).state != "succeeded" and time.monotonic() < deadline:
            time.sleep(0.05)
        return Job.objects.get(pk=job.pk)

    try:
        client.get(reverse("core:livez"))  # the first request starts the threads and the sweeper
        assert finished(behind).attempts == 2 and sorted(applied(left)) == ["0", "1"]
        with transaction.atomic():
            job = jobs.enqueue("core_tests.items", args={"tag": new, "count": 6, "chunk": 2})
            time.sleep(0.2)
            assert Job.objects.get(pk=job.pk).state == "queued"  # nothing starts before the commit
        job = finished(job)
    finally:
        jobs.backend().stop()
    assert job.state == "succeeded" and job.worker.split(":")[2].startswith("summit-job")
    assert sorted(applied(new)) == ["0", "1", "2", "3", "4", "5"]
