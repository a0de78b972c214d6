"""Jobs and mail on real Celery workers (``celery -A summit.celery worker``, as in docs/operations.md),
through the real Redis and RabbitMQ, against the test database (SQLite file or PostgreSQL).

Each test uses a queue of its own, so it never meets another run's messages, and removes it afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection, transaction

from summit.core import jobs, mail
from summit.core.models import Job, OutboxMail
from summit.core.tests.jobkinds import applied

pytestmark = pytest.mark.django_db(transaction=True)

BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("SUMMIT_REDIS_URL") or "redis://127.0.0.1:6379/0"
AMQP_URL = os.environ.get("SUMMIT_TEST_AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672//"
STALE_SECONDS = 1


def database_url() -> str:
    """A ``SUMMIT_DATABASE_URL`` for the database this test run uses."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{auth}{'@' if auth else ''}{db['HOST'] or '127.0.0.1'}{port}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def broker(request, settings, monkeypatch, tmp_path, real_commits):
    """This process and the workers it starts share a broker (the test's parameter) and a fresh queue."""
    from summit.celery import make_app

    url = request.param
    queue = f"summit-test-{uuid.uuid4().hex[:10]}"
    settings.JOBS_BACKEND = "celery"
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    settings.JOB_STALE_SECONDS = STALE_SECONDS
    app = make_app()
    monkeypatch.setitem(jobs._backends, "celery", jobs.CeleryBackend(app))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "SUMMIT_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="summit.settings",
        SUMMIT_VAR_DIR=str(tmp_path / "var"),
        SUMMIT_DATABASE_URL=database_url(),
        SUMMIT_JOBS_BACKEND="celery",
        SUMMIT_CELERY_BROKER_URL=url,
        SUMMIT_CELERY_QUEUE=queue,
        SUMMIT_JOB_STALE_SECONDS=str(STALE_SECONDS),
        SUMMIT_JOB_SWEEP_SECONDS="1",
        SUMMIT_EMAIL_URL=f"file://{tmp_path / 'mail'}",
        SUMMIT_LOG_LEVEL="INFO",
    )
    workers = Workers(env, tmp_path)
    try:
        yield workers
    finally:
        workers.stop_all()
        app.close()
        remove_queue(url, queue, app)


class Workers:
    def __init__(self, env: dict, tmp_path: Path):
        self.env = env
        self.tmp_path = tmp_path
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, *extra: str) -> subprocess.Popen:
        log = (self.tmp_path / f"worker-{name}.log").open("wb")
        command = [
            str(BIN / "celery"),
            "-A",
            "summit.celery",
            "worker",
            "--include",
            "summit.core.tests.jobkinds",
            "--hostname",
            f"{name}@%h",
            "--concurrency",
            "1",
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "INFO",
            *extra,
        ]
        # A session of its own, so that kill() takes the worker and its pool processes down together.
        worker = subprocess.Popen(
            command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started.append(worker)
        return worker

    @staticmethod
    def kill(worker: subprocess.Popen) -> None:
        """``kill -9`` the worker and its pool processes, as a crash or an OOM kill would."""
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    def stop_all(self) -> None:
        # The test is over: no need for a warm shutdown (the test's queue is removed afterwards).
        for worker in self.started:
            if worker.poll() is None:
                self.kill(worker)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.tmp_path.glob("worker-*.log"))
        )


def remove_queue(url: str, queue: str, app) -> None:
    try:
        if url.startswith("redis"):
            import redis

            client = redis.Redis.from_url(url)
            keys = [k for k in client.scan_iter(match=f"*{queue}*")]
            if keys:
                client.delete(*keys)
            # Messages the killed worker had taken but not acknowledged (kombu keeps them to restore later).
            for tag, raw in client.hgetall("unacked").items():
                if queue.encode() in raw:
                    client.hdel("unacked", tag)
                    client.zrem("unacked_index", tag)
            client.close()
        else:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_delete(queue)
    except Exception as exc:  # noqa: BLE001 - cleaning up must not hide the test's outcome
        print(f"could not remove the test queue {queue}: {exc!r}")


@contextmanager
def explained(workers: Workers):
    """Show the workers' logs when something fails."""
    try:
        yield
    except BaseException:
        print(workers.logs())
        raise


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.mark.parametrize("broker", [REDIS_URL], indirect=True, ids=["redis"])
def test_a_worker_killed_mid_job_leaves_the_job_to_a_new_worker_that_applies_every_item_once(broker):
    started = time.monotonic()
    first = broker.start("first")
    tag = uuid.uuid4().hex[:12]
    count = 16
    with transaction.atomic():
        job = jobs.enqueue("core_tests.items", args={"tag": tag, "count": count, "chunk": 2, "delay": 0.15})
    with explained(broker):
        wait_for(
            lambda: Job.objects.get(pk=job.pk).progress_done >= 4, 20, "the first worker to start the job"
        )
        broker.kill(first)
        killed = Job.objects.get(pk=job.pk)
        assert killed.state == "running" and killed.attempts == 1
        assert 4 <= len(applied(tag)) < count

        # The new worker runs beat too: its sweep finds the job's heartbeat stale and hands it over.
        broker.start("second", "--beat", "--schedule", str(broker.tmp_path / "beat-schedule"))
        done = wait_for(
            lambda: Job.objects.filter(pk=job.pk, state__in=["succeeded", "failed"]).first(),
            25,
            "the second worker to finish the job",
        )
        assert (done.state, done.attempts, done.progress_done) == ("succeeded", 2, count)
        assert done.worker != killed.worker
        assert sorted(applied(tag), key=int) == [str(i) for i in range(count)]  # every item exactly once
        assert done.result["counts"]["This attempt"] == count - killed.checkpoint["next"]
    print(f"killed at {killed.progress_done}/{count}; whole test {time.monotonic() - started:.1f} s")


@pytest.mark.parametrize("broker", [AMQP_URL], indirect=True, ids=["rabbitmq"])
def test_jobs_and_mail_go_through_rabbitmq(broker, monkeypatch, settings):
    broker.start("rabbit")
    monkeypatch.setattr(mail, "render_mail", lambda template, context, language: ("Your badge", "Bring it."))
    tag = uuid.uuid4().hex[:12]
    with transaction.atomic():
        job = jobs.enqueue("core_tests.items", args={"tag": tag, "count": 4})
        row = mail.send(to="wei@example.org", template="test/badge", context={}, language="en")
    with explained(broker):
        wait_for(lambda: Job.objects.filter(pk=job.pk, state="succeeded").exists(), 20, "the job to finish")
        wait_for(
            lambda: OutboxMail.objects.filter(pk=row.pk, state="sent").exists(), 20, "the mail to be sent"
        )
        assert sorted(applied(tag)) == ["0", "1", "2", "3"]
        sent = "".join(p.read_text() for p in (broker.tmp_path / "mail").iterdir())
        assert "Subject: Your badge" in sent and "To: wei@example.org" in sent
