"""Names in many scripts: a Latin form is asked for where a machine cannot derive it (form, API, CSV import),
derived where it can (pinyin, Cyrillic, Greek), never invented on a page, and shown once when it adds nothing."""

import csv
import importlib
import io
import json

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from summit.accounts import services as accounts
from summit.core.errors import ValidationFailed
from summit.registration import services
from summit.registration.exports import participant_rows
from summit.registration.forms import EditForm
from summit.registration.imports import import_participants
from summit.registration.models import Participant
from summit.registration.testing import form_data as registration_form
from summit.registration.testing import make_participant, person_data

pytestmark = pytest.mark.django_db

ARABIC = {"given_name": "عبد الرزاق", "family_name": "بنو سعد", "country": "AE"}


def form_data(category, **extra):
    return registration_form(
        category, email="abdulrazzaq@example.ae", organization_name="Example Company", **{**ARABIC, **extra}
    )


def register_page(client, event, data):
    return client.post(reverse("registration:register", args=[event.slug]), data, follow=True)


# --- the registration form ------------------------------------------------------------------------------------


def test_form_asks_for_the_passport_spelling_of_an_arabic_name(client, event, categories):
    page = register_page(client, event, form_data(categories["company"]))
    assert page.status_code == 200
    assert not Participant.objects.exists()
    form = page.context["form"]
    for field in ("given_name_latin", "family_name_latin"):
        [error] = form.errors[field]
        assert "Arabic script" in error and "passport" in error
    # The hint is shown without script too, and the script that marks the fields is a static file.
    assert 'id="latin-needed" hidden' not in page.text and 'id="latin-needed"' in page.text
    assert "summit/names.js" in page.text


def test_form_stores_and_shows_the_passport_spelling(client, event, categories):
    data = form_data(categories["company"], given_name_latin="Abdulrazzaq", family_name_latin="Bani Saad")
    register_page(client, event, data)
    p = Participant.objects.get(email="abdulrazzaq@example.ae")
    assert (p.given_name_latin, p.family_name_latin, p.latin_given) == ("Abdulrazzaq", "Bani Saad", True)
    client.force_login(p.user)
    page = client.get(reverse("registration:me", args=[event.slug]))
    assert "<bdi>عبد الرزاق بنو سعد</bdi> (<bdi>Abdulrazzaq BANI SAAD</bdi>)" in page.text


def test_registration_page_hides_the_hint_until_a_name_needs_it(client, event, categories):
    page = client.get(reverse("registration:register", args=[event.slug]))
    assert 'id="latin-needed" hidden' in page.text and "data-latin-names" in page.text


@pytest.mark.parametrize(
    "given, family, country, order, given_latin, family_latin, shown",
    [
        ("伟", "王", "CN", "family_first", "Wei", "Wang", "王伟 (WANG Wei)"),
        ("小明", "欧阳", "CN", "family_first", "Xiaoming", "Ouyang", "欧阳小明 (OUYANG Xiaoming)"),
        ("Анна", "Иванова", "RU", "given_first", "Anna", "Ivanova", "Анна Иванова (Anna IVANOVA)"),
        ("Γιώργος", "Παπαδόπουλος", "GR", "given_first", "Giorgos", "Papadopoulos", None),
    ],
)
def test_latin_form_derived_where_reliable(
    event, categories, given, family, country, order, given_latin, family_latin, shown
):
    p = services.register(
        event=event,
        data=person_data(given_name=given, family_name=family, country=country, name_order=order),
        category=categories["company"],
        actor=None,
        notify=False,
    )
    assert (p.given_name_latin, p.family_name_latin, p.latin_given) == (given_latin, family_latin, False)
    assert p.latin_name
    if shown:
        assert p.display_name == shown


def test_latin_name_repeating_the_name_is_shown_once(organizer_client, event, categories):
    p = make_participant(
        event,
        categories["company"],
        given_name="Geoffrey",
        family_name="Munguti",
        given_name_latin="Geoffrey",
        family_name_latin="MUNGUTI",
        name_order=Participant.GIVEN_FIRST,
        country="KE",
    )
    assert p.display_name == "Geoffrey Munguti"
    page = organizer_client.get(reverse("manage:participants", args=[event.slug])).content.decode()
    assert "<bdi>Geoffrey Munguti</bdi></a>" in page and "(Geoffrey MUNGUTI)" not in page


# --- the API and the CSV import -------------------------------------------------------------------------------


def test_api_answers_422_naming_the_latin_fields(client, event, categories, organizer):
    raw = accounts.create_api_token(event=event, user=organizer, name="CRM")[1]
    body = person_data(category="company", **ARABIC)
    response = client.post(
        "/api/events/wic/participants",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 422, response.content
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert errors["given_name_latin"]["code"] == "latin_required"
    assert "Arabic script" in errors["family_name_latin"]["detail"]
    assert not Participant.objects.exists()

    body.update(given_name_latin="Abdulrazzaq", family_name_latin="Bani Saad")
    response = client.post(
        "/api/events/wic/participants",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code in (200, 201), response.content
    out = response.json()
    assert (out["given_name_latin"], out["latin_given"]) == ("Abdulrazzaq", True)
    assert out["display_name"] == "عبد الرزاق بنو سعد (Abdulrazzaq BANI SAAD)"


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    header = [
        "email",
        "given_name",
        "family_name",
        "country",
        "category",
        "given_name_latin",
        "family_name_latin",
    ]
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def test_import_reports_a_missing_latin_name_per_row(event, categories, organizer):
    rows = [
        ["wang@example.cn", "伟", "王", "CN", "vip", "", ""],
        ["a@example.ae", "عبد الرزاق", "بنو سعد", "AE", "vip", "Abdulrazzaq", ""],
        ["cohen@example.il", "שלום", "כהן", "IL", "vip", "Shalom", "Cohen"],
    ]
    with pytest.raises(ValidationFailed) as excinfo:
        import_participants(event=event, data=csv_bytes(rows), actor=organizer)
    problems = [(e["row"], e["column"], e["code"]) for e in excinfo.value.errors]
    assert problems == [(3, "family_name_latin", "latin_required")]
    assert not Participant.objects.exists()

    rows[1][6] = "Bani Saad"
    result = import_participants(event=event, data=csv_bytes(rows), actor=organizer)
    assert result.total == 3
    wang = Participant.objects.get(email="wang@example.cn")
    assert (wang.given_name_latin, wang.family_name_latin, wang.latin_given) == ("Wei", "Wang", False)


# --- stored rows with an invented Latin form -------------------------------------------------------------------


@pytest.fixture
def invented(event, categories):
    """A registration stored before Latin names were asked for: the machine's letters for an Arabic name."""
    return make_participant(
        event,
        categories["vip"],
        given_name="عبد الرزاق",
        family_name="بنو سعد",
        given_name_latin="`bd lrzq",
        family_name_latin="bnw s`d",
        name_order=Participant.GIVEN_FIRST,
        country="AE",
    )


def test_invented_latin_form_is_never_shown(organizer_client, event, invented):
    assert invented.latin_name == "" and invented.display_name == "عبد الرزاق بنو سعد"
    for name in ("participants", "participant"):
        args = [event.slug] if name == "participants" else [event.slug, invented.pk]
        page = organizer_client.get(reverse(f"manage:{name}", args=args)).content.decode()
        assert "lrzq" not in page and "LRZQ" not in page and "bnw" not in page.lower()
        assert "<bdi>عبد الرزاق بنو سعد</bdi>" in page
    assert 'id="latin-missing"' in page
    header, rows = participant_rows(Participant.objects.filter(event=event), event=event)
    [row] = list(rows)
    assert row[header.index("given_name")] == "عبد الرزاق"
    assert row[header.index("given_name_latin")] == "" and row[header.index("family_name_latin")] == ""


def test_invented_latin_form_is_not_offered_back_and_an_edit_asks_for_it(event, invented):
    form = EditForm(participant=invented)
    assert form.initial["given_name_latin"] == "" and form.initial["family_name_latin"] == ""
    with pytest.raises(ValidationFailed) as excinfo:
        services.update_participant(participant=invented, data={"position": "CEO"}, actor=None, staff=True)
    assert {e["field"] for e in excinfo.value.errors} == {"given_name_latin", "family_name_latin"}
    p = services.update_participant(
        participant=invented,
        data={"given_name_latin": "Abdulrazzaq", "family_name_latin": "Bani Saad"},
        actor=None,
        staff=True,
    )
    assert p.latin_given and p.display_name == "عبد الرزاق بنو سعد (Abdulrazzaq BANI SAAD)"


def test_derived_latin_name_follows_a_changed_name(event, categories):
    p = services.register(
        event=event,
        data=person_data(given_name="Анна", family_name="Иванова", country="RU"),
        category=categories["company"],
        actor=None,
        notify=False,
    )
    p = services.update_participant(participant=p, data={"family_name": "Петрова"}, actor=None, staff=True)
    assert p.family_name_latin == "Petrova" and not p.latin_given


def test_migration_notes_latin_names_the_person_wrote(event, categories, invented):
    wrote = make_participant(
        event,
        categories["company"],
        given_name="سارة",
        family_name="علي",
        given_name_latin="Sarah",
        family_name_latin="Ali",
        country="AE",
    )
    migration = importlib.import_module("summit.registration.migrations.0003_participant_latin_given")
    migration.note_given_latin_names(django_apps, None)
    assert Participant.objects.get(pk=wrote.pk).latin_given
    assert not Participant.objects.get(pk=invented.pk).latin_given


def test_an_organization_name_is_not_asked_for_as_in_a_passport(event, categories):
    with pytest.raises(ValidationFailed) as refused:
        services.register(
            event=event,
            data=person_data(
                given_name="Lena",
                family_name="Hoffmann",
                organization_name="شركة الاتصالات",
                country="AE",
            ),
            category=categories["company"],
        )
    errors = {e["field"]: e["detail"] for e in refused.value.errors}
    assert "passport" not in errors["organization_name_latin"]
    assert "organization" in errors["organization_name_latin"].lower()
