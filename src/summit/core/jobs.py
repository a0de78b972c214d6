"""Background jobs (design.md §12): one interface, three backends.

A job kind is a function registered under a name::

    from summit.core import jobs

    @jobs.job("registration.decide_many")
    def decide_many(ctx, *, ids, status):
        start = ctx.checkpoint.get("next", 0)
        for first in range(start, len(ids), 100):
            with transaction.atomic():
                ...  # apply ids[first:first + 100]
                ctx.save(checkpoint={"next": first + 100}, done=first + 100, total=len(ids))
        return {"counts": {"Approved": len(ids)}}

and started with ``jobs.enqueue("registration.decide_many", args={...}, owner=user, scope="event:12",
label="Approve 2,000 people")``. The :class:`~summit.core.models.Job` row holds the state, the progress, the
checkpoint and the result; the queue only carries the job's id.

- **Exactly once, even when a worker dies.** ``ctx.save()`` called inside the ``transaction.atomic()`` block
  of a chunk commits the checkpoint together with that chunk's writes. A job that is run again (its worker
  was killed, or it failed with an unexpected error) reads ``ctx.checkpoint`` and carries on after the last
  committed chunk. Every write of a running job is fenced by its attempt number: a worker that has been
  given up on (its heartbeat went stale and another worker took the job over) gets :class:`JobLost` from
  its next ``ctx.save()``/``ctx.progress()``, which rolls its chunk back.
- **Claiming.** A job is started by one conditional UPDATE (queued, or running with a heartbeat older than
  ``JOB_STALE_SECONDS``) that bumps ``attempts``, so two workers never run one job at once, and a message
  delivered twice is harmless.
- **Errors.** A :class:`~summit.core.errors.SummitError` fails the job with its message, without retrying
  (but ``Busy``, "try again in a moment", is retried like an unexpected error).
  Any other exception is logged and the job is retried (after ``JOB_RETRY_SECONDS``, doubling) until
  ``max_attempts``; then it fails with the error recorded.
- **Sweep.** :func:`sweep` hands over again the running jobs whose heartbeat went stale and the queued jobs
  whose message was lost, and the mail due for another attempt (core/mail.py); it deletes result files
  older than ``JOB_FILE_DAYS``. Each job is handed over by
  one sweeper only (a conditional UPDATE), so it is safe to run from any number of processes at once.
- **Backends** (``SUMMIT_JOBS_BACKEND``): ``thread`` runs jobs in a small pool inside the serving process,
  with a sweeper thread (the embedded default); ``celery`` sends them to Celery workers (summit/celery.py);
  ``eager`` runs them at once, in the calling thread (the test suite).

A result is a JSON object. The job page (core/views.py) shows two keys when present: ``counts``, an object
of human labels and numbers, and ``failed``, a list of objects (one per row that could not be applied, e.g.
``{"Row": 12, "E-mail": "…", "Error": "…"}``), shown as a table. A job runs in the language of the request
that started it, so labels and messages may be translated with ``gettext``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, connections, transaction
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from summit.core.errors import Busy, NotFound, SummitError
from summit.core.models import Job
from summit.core.storage import private_storage, random_name

logger = logging.getLogger(__name__)

__all__ = [
    "Job",
    "JobContext",
    "JobLost",
    "as_dict",
    "enqueue",
    "job",
    "job_for",
    "run",
    "sweep",
]


# --- registry ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobKind:
    name: str
    fn: Callable[..., dict | None]
    max_attempts: int | None = None
    access: Callable | None = None


_kinds: dict[str, JobKind] = {}
_discovered = False


def job(kind: str, *, max_attempts: int | None = None, access: Callable | None = None):
    """Register ``fn(ctx, **args) -> dict`` as the job kind ``kind`` (``"<app>.<what>"``).

    Job kinds live in ``<app>/jobs.py``; those modules are imported on first use of an unknown kind, in the
    web process and in every worker alike. ``access(job, user) -> bool`` is asked, besides being the job's
    owner, before anyone sees the job or its file: the app's own rule (e.g. a staff role on the job's event,
    which may have been taken away since the job was started).
    """

    def register(fn):
        known = _kinds.get(kind)
        if known and (known.fn.__module__, known.fn.__qualname__) != (fn.__module__, fn.__qualname__):
            raise ValueError(f"job kind {kind!r} is registered twice")
        _kinds[kind] = JobKind(kind, fn, max_attempts, access)
        return fn

    return register


def get_kind(name: str) -> JobKind | None:
    """The registered kind ``name`` (importing every app's ``jobs`` module the first time one is missing)."""
    global _discovered
    if name not in _kinds and not _discovered:
        _discovered = True
        autodiscover_modules("jobs")
    return _kinds.get(name)


class JobLost(BaseException):
    """This worker no longer owns the job (another worker took it over): stop without writing anything.

    A BaseException, like KeyboardInterrupt, so that a job's own ``except Exception`` does not swallow it;
    it rolls back the ``transaction.atomic()`` block it passes through."""


# --- starting a job ------------------------------------------------------------------------------------


def after_commit(fn) -> None:
    """Run ``fn`` once the current transaction commits (at once outside a transaction).

    Tests that run inside one wrapping transaction replace this with an immediate call.
    """
    transaction.on_commit(fn)


def enqueue(
    kind: str,
    *,
    args: dict | None = None,
    owner=None,
    scope: str = "",
    label: str = "",
    max_attempts: int | None = None,
) -> Job:
    """Create a queued job in the current transaction; it is handed to the backend once that commits.

    ``scope`` is a plain string (``"event:12"``) that higher apps filter on. The job runs in the current
    language. A transaction that rolls back leaves neither the row nor a started job behind.
    """
    spec = get_kind(kind)
    if spec is None:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job.objects.create(
        kind=kind,
        label=str(label)[:200],
        args=_json(args or {}),
        owner=owner if getattr(owner, "is_authenticated", False) else None,
        scope=scope,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        max_attempts=max_attempts or spec.max_attempts or settings.JOB_MAX_ATTEMPTS,
        heartbeat_at=timezone.now(),
    )
    job_id = str(job.pk)
    after_commit(lambda: submit("run_job", job_id))
    return job


def submit(task: str, *args, delay: float = 0) -> None:
    """Hand a task (``run_job``, ``deliver_mail``, ``sweep``) to the configured backend.

    The database row is the source of truth: if the backend cannot take the task (the broker is down),
    that is logged and the sweep hands it over later.
    """
    current = backend()
    if isinstance(current, EagerBackend):
        current.submit(task, *args, delay=delay)
        return
    try:
        current.submit(task, *args, delay=delay)
    except Exception:
        logger.exception(
            "could not hand %s%r to the %s job backend; the sweep will retry", task, args, current
        )


# --- running a job -------------------------------------------------------------------------------------


class JobContext:
    """What a job function gets as ``ctx``: its checkpoint, and a way to report progress and save."""

    #: progress() writes at most this often (save() always writes).
    progress_interval = 0.5

    def __init__(self, job: Job):
        self.job = job
        self.id = job.pk
        self.attempt = job.attempts
        self.checkpoint: dict = dict(job.checkpoint or {})
        self._last_write = 0.0

    def _write(self, **fields) -> None:
        """Update the job row if this attempt still owns it; refresh the heartbeat."""
        fields.setdefault("heartbeat_at", timezone.now())
        updated = Job.objects.filter(pk=self.id, state=Job.RUNNING, attempts=self.attempt).update(**fields)
        if not updated:
            raise JobLost(f"job {self.id} (attempt {self.attempt}) was taken over or stopped")
        self._last_write = time.monotonic()

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        """Report progress (at most every half second; the last step always). Refreshes the heartbeat."""
        finished = total is not None and done >= total
        if not finished and message is None and time.monotonic() - self._last_write < self.progress_interval:
            return
        fields: dict = {"progress_done": max(0, int(done))}
        if total is not None:
            fields["progress_total"] = max(0, int(total))
        if message is not None:
            fields["message"] = str(message)[:300]
        self._write(**fields)

    def save(
        self,
        *,
        checkpoint: dict | None = None,
        done: int | None = None,
        total: int | None = None,
        message: str | None = None,
    ) -> None:
        """Store the checkpoint (and progress). Call it inside the ``transaction.atomic()`` block of a
        chunk: the checkpoint then commits with the chunk's writes, or not at all."""
        fields: dict = {}
        if checkpoint is not None:
            fields["checkpoint"] = _json(checkpoint)
        if done is not None:
            fields["progress_done"] = max(0, int(done))
        if total is not None:
            fields["progress_total"] = max(0, int(total))
        if message is not None:
            fields["message"] = str(message)[:300]
        self._write(**fields)
        if checkpoint is not None:
            self.checkpoint = dict(fields["checkpoint"])

    def store_file(
        self, filename: str, content: bytes | str | Iterable[bytes | str], content_type: str
    ) -> str:
        """Store the job's result file (offered for download on the job page) and return its name in
        private storage. ``content`` may be bytes, text, or an iterable of either (written as it comes)."""
        storage = private_storage()
        extension = (os.path.splitext(filename)[1].lstrip(".") or "bin").lower()[:10]
        name = f"jobs/{random_name(extension)}"
        path = storage.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        chunks = [content] if isinstance(content, (bytes, str)) else content
        with open(path, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk.encode() if isinstance(chunk, str) else chunk)
        previous = Job.objects.filter(pk=self.id).values_list("result_file", flat=True).first()
        try:
            self._write(
                result_file=name,
                result_filename=_download_name(filename),
                result_content_type=content_type[:100],
            )
        except JobLost:
            storage.delete(name)
            raise
        if previous and previous != name:
            storage.delete(previous)
        return name


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:200]


def _claim(job_id) -> Job | None:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    claimed = (
        Job.objects.filter(pk=job_id)
        .filter(Q(state=Job.QUEUED) | Q(state=Job.RUNNING, heartbeat_at__lt=stale))
        .update(
            state=Job.RUNNING,
            attempts=F("attempts") + 1,
            heartbeat_at=now,
            worker=worker_name(),
            started_at=Coalesce(F("started_at"), Value(now, output_field=DateTimeField())),
        )
    )
    return Job.objects.filter(pk=job_id).first() if claimed else None


def run(job_id) -> str | None:
    """Run one job if it can be claimed; return its state afterwards (None: nothing to do here)."""
    try:
        job_id = uuid.UUID(str(job_id))
    except ValueError:
        return None
    job = _claim(job_id)
    if job is None:
        return None
    ctx = JobContext(job)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        spec = get_kind(job.kind)
        if spec is None:
            logger.error("job %s: unknown kind %r", job.pk, job.kind)
            return _finish(ctx, Job.FAILED, error=_("This kind of job is not known to the worker."))
        if job.attempts > job.max_attempts:
            # The previous worker died on the last attempt (the sweep handed the job over again).
            logger.error(
                "job %s (%s) was interrupted %s times; giving up", job.pk, job.kind, job.max_attempts
            )
            return _finish(ctx, Job.FAILED, error=_("The job was interrupted too many times."))
        logger.info("job %s (%s) attempt %s of %s", job.pk, job.kind, job.attempts, job.max_attempts)
        try:
            result = spec.fn(ctx, **(job.args or {}))
        except JobLost as exc:
            logger.warning("%s; this worker stops", exc)
            return None
        except Busy as exc:
            # Someone else held what the job needed ("try again in a moment"): a retry, not a failure.
            if job.attempts < job.max_attempts:
                logger.warning("job %s (%s) found the database busy; retrying", job.pk, job.kind)
                return _retry(ctx, exc.detail)
            return _finish(ctx, Job.FAILED, error=exc.detail)
        except SummitError as exc:
            logger.info("job %s (%s) failed: %s", job.pk, job.kind, exc.detail)
            return _finish(ctx, Job.FAILED, error=exc.detail)
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}"[:1000]
            if job.attempts < job.max_attempts:
                logger.warning(
                    "job %s (%s) attempt %s of %s failed; retrying",
                    job.pk,
                    job.kind,
                    job.attempts,
                    job.max_attempts,
                    exc_info=True,
                )
                return _retry(ctx, detail)
            logger.error(
                "job %s (%s) failed after %s attempts", job.pk, job.kind, job.attempts, exc_info=True
            )
            return _finish(
                ctx,
                Job.FAILED,
                error=_("The job stopped because of an unexpected error (%(error)s).") % {"error": detail},
            )
        return _finish(ctx, Job.SUCCEEDED, result=result)


def _finish(ctx: JobContext, state: str, *, result=None, error: str = "") -> str | None:
    fields: dict = {"state": state, "finished_at": timezone.now(), "error": str(error)}
    if state == Job.SUCCEEDED:
        fields["result"] = _json(result or {})
        total = Job.objects.filter(pk=ctx.id).values_list("progress_total", flat=True).first()
        if total:
            fields["progress_done"] = total
    try:
        ctx._write(**fields)
    except JobLost as exc:
        logger.warning("%s; its outcome here is dropped", exc)
        return None
    return state


def _retry(ctx: JobContext, detail: str) -> str | None:
    delay = settings.JOB_RETRY_SECONDS * 2 ** max(0, ctx.attempt - 1)
    eager = isinstance(backend(), EagerBackend)
    try:
        ctx._write(
            state=Job.QUEUED,
            error=detail,
            worker="",
            heartbeat_at=timezone.now() + timedelta(seconds=0 if eager else delay),
        )
    except JobLost:
        return None
    submit("run_job", str(ctx.id), delay=0 if eager else delay)
    return Job.QUEUED


# --- the sweep -----------------------------------------------------------------------------------------


def sweep(*, limit: int = 500) -> dict:
    """Hand over again what a dead worker or a lost message left behind; deliver mail that is due.

    Safe to run from several processes at once: each job is handed over by whoever flips it first.
    """
    from summit.core import mail

    now = timezone.now()
    stale = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    lost = Q(state__in=[Job.QUEUED, Job.RUNNING]) & (
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, created_at__lt=stale)
    )
    handed = 0
    for pk, state, worker in (
        Job.objects.filter(lost).order_by("created_at").values_list("pk", "state", "worker")[:limit]
    ):
        if Job.objects.filter(lost, pk=pk).update(state=Job.QUEUED, heartbeat_at=now, worker=""):
            if state == Job.RUNNING:
                logger.warning("job %s: its worker %s stopped answering; running it again", pk, worker)
            submit("run_job", str(pk))
            handed += 1
    mails = mail.due(now=now, limit=limit)
    for first in range(0, len(mails), mail.BATCH):
        submit("deliver_mail", mails[first : first + mail.BATCH])
    done = {"jobs": handed, "mails": len(mails), "files": expire_files(now=now, limit=limit)}
    for name, check in PERIODIC.items():
        try:
            done[name] = check(now=now)
        except Exception:
            logger.exception("periodic check %s failed", name)
    return done


# Scheduled work of the apps above: ``register_periodic(name, check)`` from an AppConfig.ready(); every sweep
# calls ``check(now=…)``, which looks for what is due and enqueues a job for it (it must be cheap and safe to
# run from several processes at once, like the sweep itself).
PERIODIC: dict[str, Callable] = {}


def register_periodic(name: str, check: Callable) -> None:
    PERIODIC[name] = check


def expire_files(*, now=None, limit: int = 500) -> int:
    """Delete result files (participant lists...) of jobs finished more than ``JOB_FILE_DAYS`` ago: they hold
    personal data and are not kept for ever. The job itself stays, without its file."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.JOB_FILE_DAYS)
    old = Job.objects.filter(finished_at__lt=cutoff).exclude(result_file="").values_list("pk", "result_file")
    removed = 0
    for pk, name in old[:limit]:
        if Job.objects.filter(pk=pk, result_file=name).update(result_file=""):
            private_storage().delete(name)
            removed += 1
    return removed


def recover_local() -> int:
    """On start-up: jobs left running by a process of this machine that no longer exists are run again at
    once, without waiting for their heartbeat to go stale."""
    host = socket.gethostname()
    handed = 0
    for pk, worker, attempts in Job.objects.filter(
        state=Job.RUNNING, worker__startswith=f"{host}:"
    ).values_list("pk", "worker", "attempts"):
        try:
            pid = int(worker.split(":")[1])
        except (IndexError, ValueError):
            continue
        if pid == os.getpid() or _alive(pid):
            continue
        if Job.objects.filter(pk=pk, state=Job.RUNNING, attempts=attempts).update(
            state=Job.QUEUED, heartbeat_at=timezone.now(), worker=""
        ):
            logger.warning("job %s: process %s is gone; running it again", pk, pid)
            submit("run_job", str(pk))
            handed += 1
    return handed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- backends ------------------------------------------------------------------------------------------


def _deliver_mail(ids):
    from summit.core import mail

    return mail.deliver(ids)


TASKS: dict[str, Callable] = {"run_job": run, "deliver_mail": _deliver_mail, "sweep": sweep}


class EagerBackend:
    """Runs every task at once, in the calling thread (after commit: see ``after_commit``)."""

    name = "eager"

    def submit(self, task: str, *args, delay: float = 0) -> None:
        TASKS[task](*args)

    def __str__(self) -> str:
        return self.name


class ThreadBackend:
    """A small thread pool in this process for jobs, one thread for mail, and a sweeper thread.

    The pools start on first use; the sweeper with the serving process's first request (core/apps.py), so
    that a management command that sends mail does not start sweeping. A forked child starts its own.
    Tasks still queued in the pools when the process exits are finished first (Python joins the pools).
    """

    name = "thread"

    def __init__(self):
        self._lock = threading.Lock()
        self._pid = None
        self._sweeper_pid = None
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._stopping = threading.Event()
        self._sweeper: threading.Thread | None = None

    def _ensure_pools(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pools = {
                "jobs": ThreadPoolExecutor(settings.JOB_THREADS, thread_name_prefix="summit-job"),
                "mail": ThreadPoolExecutor(1, thread_name_prefix="summit-mail"),
            }
            self._stopping = threading.Event()
            self._pid = os.getpid()

    def start(self) -> None:
        """Start the pools and the sweeper (which first recovers what a previous process left behind)."""
        self._ensure_pools()
        if self._sweeper_pid == os.getpid():
            return
        with self._lock:
            if self._sweeper_pid == os.getpid():
                return
            self._sweeper = threading.Thread(
                target=self._sweep_forever, args=(self._stopping,), name="summit-sweeper", daemon=True
            )
            self._sweeper.start()
            self._sweeper_pid = os.getpid()

    def stop(self) -> None:
        """Finish the running tasks and stop the threads (timers still waiting are dropped)."""
        with self._lock:
            if self._pid != os.getpid():
                return
            self._stopping.set()
            for pool in self._pools.values():
                pool.shutdown(wait=True, cancel_futures=True)
            if self._sweeper is not None and self._sweeper_pid == os.getpid():
                self._sweeper.join()
            self._pid = self._sweeper_pid = self._sweeper = None

    def submit(self, task: str, *args, delay: float = 0) -> None:
        self._ensure_pools()
        if delay > 0:
            timer = threading.Timer(delay, self._pool_submit, args=(task, args))
            timer.daemon = True
            timer.start()
        else:
            self._pool_submit(task, args)

    def _pool_submit(self, task: str, args) -> None:
        if self._stopping.is_set():
            return  # the sweep hands it over in the next process
        pool = self._pools["mail" if task == "deliver_mail" else "jobs"]
        pool.submit(self._call, task, args)

    @staticmethod
    def _call(task: str, args) -> None:
        close_old_connections()
        try:
            TASKS[task](*args)
        except Exception:
            logger.exception("task %s%r failed", task, args)
        finally:
            connections.close_all()

    def _sweep_forever(self, stopping: threading.Event) -> None:
        first = True
        while not stopping.is_set():
            try:
                if first:
                    recover_local()
                    first = False
                sweep()
            except Exception:
                logger.exception("job sweep failed")
            finally:
                connections.close_all()
            stopping.wait(settings.JOB_SWEEP_SECONDS)

    def __str__(self) -> str:
        return self.name


class CeleryBackend:
    """Sends tasks to Celery workers (summit/celery.py) through the configured broker."""

    name = "celery"

    def __init__(self, app=None):
        self._app = app

    @property
    def app(self):
        if self._app is None:
            from summit.celery import app

            self._app = app
        return self._app

    def submit(self, task: str, *args, delay: float = 0) -> None:
        self.app.send_task(f"summit.{task}", args=list(args), countdown=delay or None)

    def __str__(self) -> str:
        return self.name


_backends: dict[str, object] = {}
_BACKENDS = {"eager": EagerBackend, "thread": ThreadBackend, "celery": CeleryBackend}


def backend():
    """The backend named by ``settings.JOBS_BACKEND`` (one instance per name and process)."""
    name = settings.JOBS_BACKEND
    if name not in _backends:
        _backends[name] = _BACKENDS[name]()
    return _backends[name]


# --- reading jobs --------------------------------------------------------------------------------------


def job_for(user, job_id) -> Job:
    """The job ``job_id`` if ``user`` may see it (its owner, if the kind's ``access`` rule still lets them, or a
    superuser); otherwise NotFound."""
    try:
        pk = uuid.UUID(str(job_id))
    except ValueError:
        raise NotFound() from None
    if not getattr(user, "is_authenticated", False):
        raise NotFound()
    found = Job.objects.filter(pk=pk).first()
    if found is None or not (user.is_superuser or found.owner_id == user.pk):
        raise NotFound()
    spec = get_kind(found.kind)
    if (
        not user.is_superuser
        and spec is not None
        and spec.access is not None
        and not spec.access(found, user)
    ):
        raise NotFound()
    return found


def as_dict(job: Job) -> dict:
    """A job as JSON for the API: state, progress, result, error and the file's download address."""
    return {
        "id": str(job.pk),
        "kind": job.kind,
        "label": job.label,
        "scope": job.scope,
        "state": job.state,
        "progress": {"done": job.progress_done, "total": job.progress_total, "percent": job.percent},
        "message": job.message,
        "result": job.result if job.state == Job.SUCCEEDED else None,
        "error": job.error if job.state == Job.FAILED else "",
        "file": (
            {
                "name": job.result_filename,
                "content_type": job.result_content_type,
                "url": reverse("core:job_file", args=[job.pk]),
            }
            if job.result_file and job.state == Job.SUCCEEDED
            else None
        ),
        "attempts": job.attempts,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "page": reverse("core:job", args=[job.pk]),
    }


def _json(value):
    """``value`` as plain JSON data (lazy translations and dates become strings)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _download_name(filename: str) -> str:
    name = os.path.basename(str(filename).replace("\\", "/")).strip() or "result"
    return "".join(c for c in name if c.isprintable() and c not in '"')[:200]
