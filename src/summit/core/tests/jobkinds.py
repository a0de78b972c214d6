"""Job kinds used by the tests of core/jobs.py. Celery workers started by the tests import this module
(``celery -A summit.celery worker -I summit.core.tests.jobkinds``).

Every kind records what it applied as AuditEntry rows (``action="jobtest.item"``, ``object_type`` = the
test's tag, ``object_id`` = the item), so a test can count how often each item was applied.
"""

from __future__ import annotations

import time

from django.db import transaction

from summit.core import jobs
from summit.core.errors import ValidationFailed
from summit.core.models import AuditEntry

ITEM = "jobtest.item"


class Killed(BaseException):
    """Stands for the worker being killed: not an error the runner handles, it just stops everything."""


def applied(tag: str) -> list[str]:
    return list(AuditEntry.objects.filter(action=ITEM, object_type=tag).values_list("object_id", flat=True))


@jobs.job("core_tests.items")
def items(ctx, *, tag: str, count: int, chunk: int = 2, delay: float = 0, kill_at: int | None = None):
    """Apply items 0..count-1 in chunks; each chunk commits with its checkpoint.

    ``delay`` makes each chunk slow; ``kill_at`` kills the first attempt inside the chunk holding that item,
    after the chunk's writes but before its commit.
    """
    start = ctx.checkpoint.get("next", 0)
    ctx.progress(start, count, message=f"resuming at {start}" if start else "")
    for first in range(start, count, chunk):
        last = min(first + chunk, count)
        if delay:
            time.sleep(delay)
        with transaction.atomic():
            AuditEntry.objects.bulk_create(
                AuditEntry(action=ITEM, object_type=tag, object_id=str(i)) for i in range(first, last)
            )
            if kill_at is not None and first <= kill_at < last and ctx.attempt == 1:
                raise Killed()
            ctx.save(checkpoint={"next": last}, done=last, total=count)
    return {"counts": {"Applied": len(applied(tag)), "This attempt": count - start}}


@jobs.job("core_tests.export")
def export(ctx, *, tag: str, rows: list[str]):
    """Check rows, keep the good ones, store them as a CSV file and list the bad ones."""
    good, failed = [], []
    for number, email in enumerate(rows, start=1):
        if "@" in email:
            good.append(email)
        else:
            failed.append({"Row": number, "E-mail": email, "Error": "not an e-mail address"})
        ctx.progress(number, len(rows))
    ctx.store_file("people.csv", ["email\n"] + [f"{e}\n" for e in good], "text/csv")
    return {"counts": {"Exported": len(good), "Not exported": len(failed)}, "failed": failed}


@jobs.job("core_tests.refuse")
def refuse(ctx, *, tag: str):
    raise ValidationFailed("There is nothing to approve.")


@jobs.job("core_tests.flaky")
def flaky(ctx, *, tag: str, failures: int):
    """Fails with an unexpected error on the first ``failures`` attempts."""
    if ctx.attempt <= failures:
        raise RuntimeError(f"boom on attempt {ctx.attempt}")
    AuditEntry.objects.create(action=ITEM, object_type=tag, object_id="done")
    return {"counts": {"Attempts": ctx.attempt}}
