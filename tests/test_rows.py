"""core.rows: model instances from a hand-written query, converted exactly as the ORM would."""

from __future__ import annotations

import pytest

from summit.core import rows
from summit.events.models import Event
from summit.registration.models import Participant
from summit.registration.testing import make_category, make_participant

pytestmark = pytest.mark.django_db


def test_fetch_builds_joined_instances_like_the_orm(event):
    person = make_participant(event, make_category(event), given_name="Wei", country="CN")
    sql = (
        f"SELECT {{columns}}, 7 FROM {Participant._meta.db_table} p"
        f" JOIN {Event._meta.db_table} e ON e.id = p.event_id WHERE p.id = %s"
    )
    [(found, found_event, extra)] = rows.fetch(sql, [person.pk], Participant, "p", Event, "e")
    expected = Participant.objects.get(pk=person.pk)
    for field in Participant._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert found.country.code == "CN"  # field converters ran (django-countries)
    assert found_event.start == event.start and found_event.start.tzinfo is not None
    assert extra == 7
    assert not found._state.adding  # an instance loaded from the database: save() updates it
    found.given_name = "Lei"
    found.save(update_fields=["given_name"])
    assert Participant.objects.get(pk=person.pk).given_name == "Lei"


def test_fetch_returns_nothing_for_no_rows(event):
    sql = f"SELECT {{columns}} FROM {Participant._meta.db_table} p WHERE p.id = %s"
    assert rows.fetch(sql, [0], Participant, "p") == []


def test_insert_prepares_each_value_like_the_orm(event):
    from django.utils import timezone

    from summit.core.models import IdempotencyKey

    when = timezone.now()
    pk = rows.insert(
        IdempotencyKey,
        {"owner": "p:1", "key": "k" * 8, "fingerprint": "f", "result": {"id": 3}, "created_at": when},
    )
    stored = IdempotencyKey.objects.get(pk=pk)
    assert (stored.result, stored.created_at, stored.key) == ({"id": 3}, when, "kkkkkkkk")


def test_hot_statements_are_prepared_once_per_connection_on_postgresql(event, settings):
    """On PostgreSQL the server plans each hot statement once per connection (it plans joins like the
    token's longer than it runs them); ``DB_PREPARED = False`` turns that off. Elsewhere, Django's cursor."""
    from django.db import connection

    person = make_participant(event, make_category(event), given_name="Wei")
    sql = f"SELECT {{columns}} FROM {Participant._meta.db_table} p WHERE p.id = %s AND p.event_id = %s"
    for _ in range(2):
        [(found,)] = rows.fetch(sql, [person.pk, event.pk], Participant, "p")
        assert found.given_name == "Wei"

    def prepared(fragment: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return sum(1 for (statement,) in cursor.fetchall() if fragment in statement)

    if connection.vendor == "postgresql":
        assert prepared("AND p.event_id = $2") == 1
        settings.DB_PREPARED = False
        other = sql.replace("p.id = %s AND", "p.id = %s  AND")
        assert rows.fetch(other, [person.pk, event.pk], Participant, "p")[0][0] == found
        assert prepared("$2") == 1  # the unprepared statement was bound by the client
    else:
        with rows.cursor() as cursor:
            cursor.execute("SELECT 1 + %s", [1])
            assert cursor.fetchone() == (2,)
