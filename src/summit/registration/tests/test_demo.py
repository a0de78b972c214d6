"""``summit demo``: a realistic conference people can try, built quickly and consistently."""

from __future__ import annotations

import re
import unicodedata
from io import StringIO

import pytest
from django.core.management import call_command
from django.http import HttpRequest

from summit.core.models import AuditEntry, User
from summit.events.models import Event, EventRole
from summit.registration.models import Category, InvitationCode, Participant
from summit.registration.testing import STANDARD_CATEGORIES

pytestmark = pytest.mark.django_db


def run_demo(*args) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def script_of(text: str) -> str:
    letter = next(ch for ch in text if ch.isalpha())
    return unicodedata.name(letter).split()[0]


def printed_password(output: str, email: str) -> str:
    line = next(line for line in output.splitlines() if email in line)
    return line.split()[-1]


def test_demo_builds_a_consistent_conference():
    output = run_demo("--participants", "300")

    event = Event.objects.get(slug="wic2027")
    assert event.name_zh == "2027年世界互联网大会乌镇峰会"
    assert event.venue.name_zh == "乌镇互联网国际会展中心"
    assert event.rooms.count() >= 8
    assert set(event.zones.values_list("code", flat=True)) >= {
        "main-hall",
        "forums",
        "expo",
        "press-centre",
        "vip-lounge",
    }
    assert {o.type for o in event.organizations.all()} == {
        "government",
        "international",
        "company",
        "research",
        "media",
        "other",
    }

    people = Participant.objects.filter(event=event)
    assert people.count() >= 300
    assert set(people.values_list("status", flat=True)) == {s for s, _ in Participant.STATUS_CHOICES}
    assert set(people.values_list("category__code", flat=True)) == {spec[0] for spec in STANDARD_CATEGORIES}
    assert set(people.values_list("attendance_mode", flat=True)) == {Participant.ONSITE, Participant.ONLINE}
    assert set(people.values_list("language", flat=True)) == {"en", "zh-hans"}
    assert not people.filter(search_text="").exists()

    # Names in their own scripts, each with a Latin form.
    non_latin = [p for p in people if script_of(p.given_name) != "LATIN"]
    assert {script_of(p.given_name) for p in non_latin} >= {"CJK", "CYRILLIC"}
    assert len({script_of(p.given_name) for p in non_latin}) >= 4
    for p in non_latin:
        assert p.given_name_latin and p.family_name_latin
        assert script_of(p.given_name_latin) == "LATIN", p.display_name
    assert people.filter(country="CN", name_order=Participant.FAMILY_FIRST).exists()

    # Journalists have an outlet and a press card number.
    media = people.filter(category__code="media")
    assert (
        media.exists()
        and not media.filter(outlet="").exists()
        and not media.filter(press_card_number="").exists()
    )
    assert people.exclude(position="").count() > 250

    # Quotas hold and waitlists are in order.
    for category in Category.objects.filter(event=event):
        if category.onsite_quota is not None:
            taken = people.filter(category=category, status="approved", attendance_mode="onsite").count()
            assert taken <= category.onsite_quota
        waiting = list(
            people.filter(category=category, status="waitlisted")
            .order_by("created_at", "pk")
            .values_list("waitlist_position", flat=True)
        )
        assert waiting == sorted(set(waiting))
        assert category.waitlist_seq == (waiting[-1] if waiting else 0)
    assert not people.exclude(status="waitlisted").filter(waitlist_position__isnull=False).exists()

    codes = {c.code: c for c in InvitationCode.objects.filter(event=event)}
    assert codes["PRESS2027"].max_uses == 500 and not codes["PRESS2027"].is_used_up
    assert any(c.is_expired for c in codes.values())
    assert any(c.is_used_up for c in codes.values())
    assert AuditEntry.objects.filter(event=event, action__startswith="participant.").exists()

    assert EventRole.objects.filter(
        event=event, user__email="organizer@summit.example", role="organizer"
    ).exists()
    assert EventRole.objects.filter(
        event=event, user__email="officer@summit.example", role="accreditation_officer"
    ).exists()
    assert User.objects.get(email="admin@summit.example").is_superuser
    delegate = people.get(email="delegate@summit.example")
    assert (delegate.category.code, delegate.status, delegate.attendance_mode) == (
        "company",
        "approved",
        "onsite",
    )

    for url in [
        "http://testserver/events/wic2027/",  # SUMMIT_SITE_URL in the tests
        "/events/wic2027/register/?code=PRESS2027",
        "/events/wic2027/manage/participants/",
        "/admin/",
        "/api/docs",
    ]:
        assert url in output
    assert re.search(r"/signin/[\w-]+/", output)


def test_full_demo_covers_many_countries():
    run_demo()
    people = Participant.objects.filter(event__slug="wic2027")
    assert people.count() >= 2000
    assert people.values("country").distinct().count() >= 120
    vip = Category.objects.get(event__slug="wic2027", code="vip")
    assert (
        people.filter(category=vip, status="approved", attendance_mode="onsite").count() <= vip.onsite_quota
    )


def test_if_empty_adds_nothing_the_second_time():
    run_demo("--if-empty", "--participants", "50")
    counts = (Event.objects.count(), Participant.objects.count(), User.objects.count())
    assert counts[1] >= 50

    output = run_demo("--if-empty")

    assert (Event.objects.count(), Participant.objects.count(), User.objects.count()) == counts
    assert "organizer@summit.example" in output and "summit-organizer" in output
    assert re.search(r"/signin/[\w-]+/", output)


def test_demo_is_refused_twice_without_if_empty():
    from django.core.management.base import CommandError

    run_demo("--participants", "20")
    with pytest.raises(CommandError):
        run_demo("--participants", "20")


def test_organizer_can_sign_in_with_the_printed_password(client):
    output = run_demo("--participants", "20")
    password = printed_password(output, "organizer@summit.example")
    assert password == "summit-organizer"
    assert client.login(request=HttpRequest(), username="organizer@summit.example", password=password)
    assert client.get("/events/wic2027/manage/participants/").status_code == 200


def test_one_password_for_all_logins_from_the_environment(client, monkeypatch):
    monkeypatch.setenv("SUMMIT_DEMO_PASSWORD", "let-me-in-2027")
    output = run_demo("--participants", "20")
    assert printed_password(output, "admin@summit.example") == "let-me-in-2027"
    for email in [
        "organizer@summit.example",
        "officer@summit.example",
        "admin@summit.example",
        "delegate@summit.example",
    ]:
        assert client.login(request=HttpRequest(), username=email, password="let-me-in-2027")
