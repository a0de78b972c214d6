"""The history on a participant's back-office page reads as sentences in the reader's language, with the
statuses, attendance modes and countries by their labels, never the stored codes."""

import re

import pytest
from django.urls import reverse

from summit.core import audit
from summit.core.models import AuditEntry
from summit.registration import services
from summit.registration.models import Participant
from summit.registration.testing import make_participant

pytestmark = pytest.mark.django_db


def details_cells(response) -> list[str]:
    html = response.content.decode()
    return [re.sub(r"\s+", " ", cell) for cell in re.findall(r'class="audit-details">(.*?)</td>', html, re.S)]


def test_a_decision_reads_as_a_sentence_with_translated_statuses(
    organizer_client, organizer, event, categories
):
    person = make_participant(event, categories["company"])
    services.decide(participant=person, status=Participant.APPROVED, actor=organizer, notify=False)
    page = reverse("manage:participant", args=[event.slug, person.pk])

    chinese = details_cells(organizer_client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert len(chinese) == 1
    assert "“已提交”" in chinese[0] and "“已批准”" in chinese[0]
    assert "submitted" not in chinese[0] and "approved" not in chinese[0] and "from:" not in chinese[0]

    english = details_cells(organizer_client.get(page))
    assert english == ["Status changed from “Submitted” to “Approved”."]


def test_mode_switch_registration_and_edits_read_as_sentences(organizer_client, organizer, event, categories):
    person = make_participant(event, categories["company"], status=Participant.APPROVED, country="CN")
    services.switch_mode(participant=person, mode=Participant.ONLINE, actor=organizer)
    audit.record(
        actor=None,
        action="participant.imported",
        obj=person,
        data={"status": "submitted", "category": "company", "mode": "onsite", "row": 7},
    )
    audit.record(
        actor=organizer,
        action="participant.updated",
        obj=person,
        data={"country": {"from": "CN", "to": "DE"}, "position": {"from": "", "to": "Engineer"}},
    )
    page = reverse("manage:participant", args=[event.slug, person.pk])
    text = " | ".join(details_cells(organizer_client.get(page)))
    assert "Attendance changed to “Online”." in text
    assert "Status “Submitted”, category “Company”, attendance “On-site”." in text
    assert "Row 7 of the imported file." in text
    assert "Country changed from “China” to “Germany”." in text
    assert "Position changed from “—” to “Engineer”." in text
    chinese = " | ".join(details_cells(organizer_client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans")))
    assert "“线上参会”" in chinese and "“企业”" in chinese and "“中国”" in chinese and "“德国”" in chinese
    assert "onsite" not in chinese and "CN" not in chinese


def test_an_entry_in_an_unknown_shape_still_shows_its_data(event, categories):
    person = make_participant(event, categories["company"])
    entry = audit.record(actor=None, action="participant.approved", obj=person, data={"odd": 1})
    assert AuditEntry.objects.get(pk=entry.pk).details == ["odd: 1"]
