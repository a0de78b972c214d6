"""The shared capacity machine (core/capacity.py) on a kind of its own: hotel room-nights, where one stay
needs a room on several nights at once, all or nothing.

The room-night tables exist only for these tests (a model registry of their own, tables created and dropped
around each test), so the machine is shown on a pool that is neither a category nor a session. Threads run
on real connections (SQLite and PostgreSQL); with the locks off the race oversells, with them on it never does.
"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from django.apps.registry import Apps
from django.db import connection, models

from summit.core import capacity
from summit.core.locking import RANK_CAPACITY
from summit.core.testing import errors, run_at_once, without_locks

pytestmark = pytest.mark.django_db(transaction=True)

registry = Apps(["summit.core"])


class Night(models.Model):
    lock_rank = RANK_CAPACITY
    date = models.DateField()
    rooms = models.PositiveIntegerField()
    waitlist_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        apps = registry
        app_label = "core"
        db_table = "test_capacity_night"

    def __str__(self) -> str:
        return str(self.date)


class Stay(models.Model):
    night = models.ForeignKey(Night, on_delete=models.CASCADE)
    guest = models.CharField(max_length=40)
    status = models.CharField(max_length=12)
    position = models.PositiveBigIntegerField(null=True)

    class Meta:
        apps = registry
        app_label = "core"
        db_table = "test_capacity_stay"

    def __str__(self) -> str:
        return f"{self.guest} on {self.night_id}"


class RoomNights(capacity.Pool):
    model = Night
    hold_model = Stay

    def limit(self, night):
        return night.rooms

    def taken(self, nights):
        return dict(
            Stay.objects.filter(night__in=nights, status=capacity.HELD)
            .values_list("night_id")
            .annotate(n=models.Count("id"))
        )

    def waiting(self, night):
        return Stay.objects.filter(night=night, status=capacity.WAITLISTED).order_by("position", "pk")

    def admit(self, stay, night, *, now, actor):
        stay.status, stay.position = capacity.HELD, None
        stay.save(update_fields=["status", "position"])


ROOM_NIGHTS = RoomNights()
_keys = itertools.count(1)


@pytest.fixture
def nights(transactional_db):
    with connection.schema_editor() as editor:
        editor.create_model(Night)
        editor.create_model(Stay)
    yield [Night.objects.create(date=f"2027-11-0{day}", rooms=5) for day in (7, 8, 9)]
    with connection.schema_editor() as editor:
        editor.delete_model(Stay)
        editor.delete_model(Night)


def stay(nights, guest, **kw):
    def hold(night, status, position):
        return Stay.objects.create(night=night, guest=guest, status=status, position=position)

    return capacity.reserve(ROOM_NIGHTS, nights, hold=hold, **kw)


def fill(night, guests):
    for i in range(guests):
        stay([night], f"earlier-{night.pk}-{i}")


def held_per_night() -> dict:
    return dict(Counter(Stay.objects.filter(status=capacity.HELD).values_list("night_id", flat=True)))


def test_a_stay_takes_every_night_or_none(nights):
    fill(nights[1], 5)  # the middle night is sold out

    with pytest.raises(capacity.Full) as exc:
        stay(nights, "Amina")

    assert [n.pk for n in exc.value.rows] == [nights[1].pk]  # the error names the full night
    assert not Stay.objects.filter(guest="Amina").exists()  # and nothing of the stay was kept
    assert len(stay([nights[0], nights[2]], "Amina").holds) == 2


def test_without_the_lock_a_rush_of_stays_oversells_the_nights(nights):
    for night in nights:
        fill(night, 3)  # two rooms left on each night

    with without_locks(1.0):
        outcomes = run_at_once([lambda g=g: stay(nights, f"guest-{g}") for g in range(8)])

    assert errors(outcomes) == {}
    assert all(count > 5 for count in held_per_night().values())  # the race is real: 3 + 8 of 5 rooms


def test_with_the_lock_a_rush_of_stays_gets_exactly_the_rooms_left(nights):
    for night in nights:
        fill(night, 3)

    outcomes = run_at_once([lambda g=g: stay(nights, f"guest-{g}") for g in range(8)])

    assert errors(outcomes) == {"full": 6}
    assert held_per_night() == {night.pk: 5 for night in nights}
    winners = [o.result for o in outcomes if o.result is not None]
    assert len(winners) == 2
    for reservation in winners:  # every guest who got in holds all three nights, never some of them
        guest = reservation.holds[0].guest
        assert sorted(Stay.objects.filter(guest=guest).values_list("night_id", flat=True)) == [
            n.pk for n in nights
        ]


def test_a_repeated_key_gets_the_first_stay_even_at_the_same_moment(nights):
    key = ("guest:amina", "stay-key-0001", "stay:7-9")

    outcomes = run_at_once([lambda: stay(nights, "Amina", idempotency_key=key) for _ in range(6)])

    assert errors(outcomes) == {}
    assert Stay.objects.filter(guest="Amina").count() == 3  # one stay of three nights, not six
    ids = {tuple(h.pk for h in o.result.holds) for o in outcomes}
    assert len(ids) == 1
    assert sum(not o.result.replayed for o in outcomes) == 1
    again = stay(nights, "Amina", idempotency_key=key)
    assert again.replayed and [h.pk for h in again.holds] == list(ids.pop())


def test_a_full_night_queues_in_order_and_a_freed_room_goes_to_the_first_in_line(nights):
    night = nights[0]
    fill(night, 5)
    waiting = [stay([night], f"waiting-{i}", join_waitlist=True).holds[0] for i in range(3)]
    assert [w.status for w in waiting] == [capacity.WAITLISTED] * 3
    assert [w.position for w in waiting] == [1, 2, 3]

    with pytest.raises(ValueError):  # a stay of several nights is never half waitlisted
        stay(nights, "x", join_waitlist=True)

    Stay.objects.filter(night=night, status=capacity.HELD).first().delete()
    night.refresh_from_db()
    promoted = capacity.promote(ROOM_NIGHTS, night)
    assert [p.guest for p in promoted] == ["waiting-0"]
    assert held_per_night()[night.pk] == 5
    assert capacity.promote(ROOM_NIGHTS, night) == []  # nothing free any more
