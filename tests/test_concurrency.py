"""On-site quotas hold under real concurrency: many threads registering and approving at once."""

import threading

import pytest
from django.db import connection

from summit.core.errors import Busy, Conflict
from summit.events.testing import make_event
from summit.registration import services
from summit.registration.models import Participant
from summit.registration.testing import make_participant, make_standard_categories, person_data

pytestmark = pytest.mark.django_db(transaction=True)


def run_threads(count, target):
    errors = []
    barrier = threading.Barrier(count)

    def work(i):
        try:
            barrier.wait()
            target(i)
        except (Conflict, Busy) as exc:
            errors.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_registrations_never_exceed_the_onsite_quota():
    event = make_event("race")
    category = make_standard_categories(event)["company"]
    category.onsite_quota, category.needs_approval = 5, False
    category.save()

    errors = run_threads(
        16,
        lambda i: services.register(
            event=event, data=person_data(email=f"r{i}@example.org"), category=category, notify=False
        ),
    )
    assert errors == []
    statuses = list(Participant.objects.filter(event=event).values_list("status", flat=True))
    assert statuses.count("approved") == 5
    assert statuses.count("waitlisted") == len(statuses) - 5
    positions = list(
        Participant.objects.filter(status="waitlisted").values_list("waitlist_position", flat=True)
    )
    assert len(set(positions)) == len(positions)


def test_concurrent_approvals_never_exceed_the_onsite_quota():
    event = make_event("race2")
    category = make_standard_categories(event)["company"]
    category.onsite_quota = 3
    category.save()
    people = [make_participant(event, category) for _ in range(12)]

    errors = run_threads(
        12, lambda i: services.decide(participant=people[i], status="approved", actor=None, notify=False)
    )
    assert Participant.objects.filter(category=category, status="approved").count() == 3
    assert errors == ["quota_full"] * 9
