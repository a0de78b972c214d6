"""On-site quotas hold under real concurrency: many threads registering and approving at once."""

import pytest

from summit.core.testing import errors, run_at_once
from summit.events.testing import make_event
from summit.registration import services
from summit.registration.models import Participant
from summit.registration.testing import make_participant, make_standard_categories, person_data

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_registrations_never_exceed_the_onsite_quota():
    event = make_event("race")
    category = make_standard_categories(event)["company"]
    category.onsite_quota, category.needs_approval = 5, False
    category.save()

    outcomes = run_at_once(
        [
            lambda i=i: services.register(
                event=event, data=person_data(email=f"r{i}@example.org"), category=category, notify=False
            )
            for i in range(16)
        ]
    )
    assert errors(outcomes) == {}
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

    outcomes = run_at_once(
        [
            lambda p=p: services.decide(participant=p, status="approved", actor=None, notify=False)
            for p in people
        ]
    )
    assert Participant.objects.filter(category=category, status="approved").count() == 3
    assert errors(outcomes) == {"quota_full": 9}
