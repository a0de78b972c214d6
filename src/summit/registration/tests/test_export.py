"""Participant exports: what an organizer gets when opening the file in Excel or a script."""

import csv
import io

import pytest
from django.urls import reverse

from summit.registration.exports import COLUMNS
from summit.registration.models import Participant
from summit.registration.testing import make_organization, make_participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(event, categories):
    org = make_organization(event, name="清华大学", name_latin="Tsinghua University", type="research")
    return [
        make_participant(
            event,
            categories["research"],
            given_name="伟",
            family_name="王",
            given_name_latin="Wei",
            family_name_latin="Wang",
            organization=org,
            country="CN",
            position="教授",
        ),
        make_participant(
            event,
            categories["government"],
            given_name="Иван",
            family_name="Петров",
            country="RU",
            attendance_mode=Participant.ONLINE,
            status=Participant.APPROVED,
        ),
        make_participant(
            event,
            categories["media"],
            given_name='=HYPERLINK("x")',
            family_name="Evil",
            country="DE",
            outlet="Der Spiegel",
            press_card_number="DE-1",
        ),
    ]


def read_csv(response) -> tuple[bytes, list[dict]]:
    body = b"".join(response.streaming_content)
    return body, list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_has_bom_columns_and_all_rows(officer_client, event, people):
    response = officer_client.get(reverse("manage:export_csv", args=[event.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="wic-participants-' in response["Content-Disposition"]
    body, rows = read_csv(response)
    assert body.startswith(b"\xef\xbb\xbf")
    assert list(rows[0].keys()) == COLUMNS
    assert len(rows) == 3
    wang = next(r for r in rows if r["id"] == str(people[0].pk))
    assert (wang["given_name"], wang["family_name"]) == ("伟", "王")
    assert wang["organization"] == "清华大学" and wang["organization_latin"] == "Tsinghua University"
    assert wang["organization_type"] == "research"
    assert (wang["country"], wang["country_name"]) == ("CN", "China")
    assert wang["category"] == "research" and wang["position"] == "教授"
    assert wang["registered_at"].endswith("+08:00")  # event time zone


def test_csv_follows_the_filters_across_all_pages(officer_client, event, categories, people):
    for _i in range(60):
        make_participant(event, categories["company"], country="BR")
    response = officer_client.get(reverse("manage:export_csv", args=[event.slug]) + "?country=BR")
    _body, rows = read_csv(response)
    assert len(rows) == 60
    assert {r["country"] for r in rows} == {"BR"}
    response = officer_client.get(reverse("manage:export_csv", args=[event.slug]) + "?q=петров")
    _body, rows = read_csv(response)
    assert [r["family_name"] for r in rows] == ["Петров"]


def test_csv_neutralises_formulas(officer_client, event, people):
    _body, rows = read_csv(
        officer_client.get(reverse("manage:export_csv", args=[event.slug]) + "?country=DE")
    )
    assert rows[0]["given_name"] == '\'=HYPERLINK("x")'


def test_xlsx_opens_and_has_the_rows(officer_client, event, people):
    from openpyxl import load_workbook

    response = officer_client.get(reverse("manage:export_xlsx", args=[event.slug]) + "?mode=onsite")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'attachment; filename="wic-participants-' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    assert len(rows) == 3  # header + the two on-site participants
    by_id = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}
    wang = by_id[people[0].pk]
    assert (wang["given_name"], wang["family_name"], wang["organization"]) == ("伟", "王", "清华大学")
    assert wang["registered_at"] is not None
    evil = by_id[people[2].pk]
    assert evil["given_name"] == '=HYPERLINK("x")'  # text, not a formula
    assert sheet.cell(row=[r[0] for r in rows].index(people[2].pk) + 1, column=3).data_type == "s"


def test_export_query_count_is_constant(officer_client, event, categories, django_assert_max_num_queries):
    for i in range(30):
        make_participant(
            event, categories["company"], organization=make_organization(event) if i % 2 else None
        )
    with django_assert_max_num_queries(10):
        response = officer_client.get(reverse("manage:export_csv", args=[event.slug]))
        _body, rows = read_csv(response)
    assert len(rows) == 30


def test_bad_filter_is_refused_clearly(officer_client, event, people):
    response = officer_client.get(reverse("manage:export_csv", args=[event.slug]) + "?country=Atlantis")
    assert response.status_code == 422
    assert "Unknown country" in response.content.decode()
