"""Printing badges: any filtered list as one PDF through a background job, one badge at once, a reprint."""

import pytest

from summit.core.models import Job
from summit.core.storage import private_storage
from summit.entry.models import Badge
from summit.entry.services import badges
from summit.entry.testing import make_entry_officer, make_gate_staff, make_holder
from summit.events.testing import make_staff
from summit.registration.models import Participant
from summit.registration.testing import make_participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def holders(event, categories):
    people = [
        make_holder(event, categories["media"], given_name="Анна", family_name="Иванова"),
        make_participant(
            event,
            categories["media"],
            status=Participant.APPROVED,
            given_name="محمد",
            family_name="عبد الله",
            given_name_latin="",
            family_name_latin="",
        ),
        make_participant(
            event, categories["company"], status=Participant.APPROVED, given_name="伟", family_name="王"
        ),
    ]
    make_participant(event, categories["media"])  # not approved: no badge
    make_participant(event, categories["media"], status=Participant.APPROVED, attendance_mode="online")
    return people


def test_a_filtered_list_prints_as_one_pdf_through_a_job(client, event, holders, organizer):
    client.force_login(organizer)
    page = client.get("/events/wic/manage/entry/badges/?category=media")
    assert page.status_code == 200 and page.context["count"] == 2
    response = client.post("/events/wic/manage/entry/badges/?category=media", {"size": "A7"})
    job = Job.objects.get(kind="entry.badges_pdf")
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert job.state == Job.SUCCEEDED and job.progress_done == 2
    with private_storage().open(job.result_file, "rb") as handle:
        pdf = handle.read()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1
    assert Badge.objects.filter(participant__in=holders[:2], revision=1, revoked_at=None).count() == 2
    assert not Badge.objects.filter(participant=holders[2]).exists()  # not in the filtered list
    assert client.get(f"/jobs/{job.pk}/").status_code == 200


def test_one_badge_and_a_reprint(client, event, holders, organizer):
    client.force_login(make_staff(event, "accreditation_officer"))
    pdf = client.get(f"/events/wic/manage/entry/badges/{holders[0].pk}/pdf/")
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    client.post(f"/events/wic/manage/entry/badges/{holders[0].pk}/reprint/")
    assert badges.current_badge(holders[0]).revision == 2
    assert badges.revocations(event) == [(holders[0].pk, 1)]


def test_bad_sizes_and_empty_lists_are_refused(client, event, holders, organizer):
    client.force_login(organizer)
    assert client.post("/events/wic/manage/entry/badges/", {"size": "B0"}).status_code == 422
    assert client.post("/events/wic/manage/entry/badges/?q=nobody-at-all", {"size": "A6"}).status_code == 422
    assert client.get("/events/wic/manage/entry/badges/?category=nope").status_code == 422
    assert not Job.objects.exists()


@pytest.mark.parametrize("role", ["gate", "entry_officer", "participant", "elsewhere"])
def test_only_the_desk_prints_badges(client, event, categories, holders, other_event, role):
    users = {
        "gate": make_gate_staff(event, event.zones.get(code="main")),
        "entry_officer": make_entry_officer(event),
        "participant": holders[0].user,
        "elsewhere": make_staff(other_event, "organizer"),
    }
    client.force_login(users[role])
    assert client.get("/events/wic/manage/entry/badges/").status_code == 404
    assert client.post("/events/wic/manage/entry/badges/", {"size": "A6"}).status_code == 404
    assert client.get(f"/events/wic/manage/entry/badges/{holders[0].pk}/pdf/").status_code == 404
    assert client.post(f"/events/wic/manage/entry/badges/{holders[0].pk}/reprint/").status_code == 404
    assert not Job.objects.exists() and badges.current_badge(holders[0]).revision == 1


def test_the_job_and_its_file_are_hidden_from_a_desk_member_who_lost_the_role(client, event, holders):
    officer = make_staff(event, "accreditation_officer")
    client.force_login(officer)
    client.post("/events/wic/manage/entry/badges/", {"size": "A6"})
    job = Job.objects.get()
    officer.event_roles.all().delete()
    officer = type(officer).objects.get(pk=officer.pk)
    client.force_login(officer)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
