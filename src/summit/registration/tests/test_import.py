"""CSV import of a delegation list: all rows or nothing, with errors a user can act on."""

import csv
import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from summit.core.errors import ValidationFailed
from summit.core.models import AuditEntry
from summit.events.testing import make_staff
from summit.registration.imports import import_participants
from summit.registration.models import Organization, Participant
from summit.registration.testing import make_participant

pytestmark = pytest.mark.django_db

BASE_HEADER = [
    "email",
    "given_name",
    "family_name",
    "country",
    "category",
    "organization",
    "position",
    "attendance_mode",
]
# Rows may leave these out (empty).
HEADER = BASE_HEADER + ["given_name_latin", "family_name_latin", "organization_latin"]


def csv_bytes(rows, header=HEADER, bom=False, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([*row, *[""] * (len(header) - len(row))] for row in rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


GOOD_ROWS = [
    ["wang.wei@example.cn", "伟", "王", "CN", "government", "国家互联网信息办公室", "Director", "onsite"],
    [
        "fatima@example.ae",
        "فاطمة",
        "الزهراء",
        "ARE",
        "company",
        "شركة المثال",
        "CEO",
        "onsite",
        "Fatima",
        "Alzahraa",
        "Example Company",
    ],
    ["ivanova@example.ru", "Анна", "Иванова", "Russia", "research", "Институт", "Researcher", "online"],
]


def errors_of(excinfo):
    assert excinfo.value.code == "import_invalid"
    return excinfo.value.errors


def codes(errors):
    return [(e["row"], e["column"], e["code"]) for e in errors]


@pytest.mark.parametrize("bom", [False, True])
def test_good_csv_in_many_scripts_imports_every_row(event, categories, organizer, bom):
    result = import_participants(event=event, data=csv_bytes(GOOD_ROWS, bom=bom), actor=organizer)
    assert result.total == 3
    assert result.counts["submitted"] == 3
    wang = Participant.objects.get(event=event, email="wang.wei@example.cn")
    assert (wang.given_name, wang.family_name, wang.family_name_latin) == ("伟", "王", "Wang")
    assert wang.organization.name == "国家互联网信息办公室"
    assert wang.status == Participant.SUBMITTED
    fatima = Participant.objects.get(event=event, email="fatima@example.ae")
    assert fatima.given_name == "فاطمة" and str(fatima.country) == "AE"
    anna = Participant.objects.get(event=event, email="ivanova@example.ru")
    assert anna.attendance_mode == Participant.ONLINE and str(anna.country) == "RU"
    # Searchable by every script, like a registered person.
    assert Participant.objects.filter(search_text__contains="иванова").count() == 1
    assert AuditEntry.objects.filter(action="participant.imported", actor=organizer).count() == 3
    assert wang.user.email == "wang.wei@example.cn" and not wang.user.has_usable_password()
    assert len(mail.outbox) == 0


def test_statuses_follow_registration_rules_and_quota_waitlists_in_file_order(event, categories, organizer):
    vip = categories["vip"]
    vip.onsite_quota = 2
    vip.needs_approval = False
    vip.save()
    make_participant(event, vip, status=Participant.APPROVED)  # one place already taken
    rows = [[f"vip{i}@example.org", "Li", "Na", "CN", "vip", "", "", "onsite"] for i in range(4)]
    rows.append(["online@example.org", "Li", "Na", "CN", "vip", "", "", "online"])
    rows.append(["guest@example.org", "Li", "Na", "CN", "online", "", "", ""])
    result = import_participants(event=event, data=csv_bytes(rows), actor=organizer)
    by_email = {p.email: p for p in Participant.objects.filter(event=event)}
    assert by_email["vip0@example.org"].status == Participant.APPROVED
    waitlisted = [by_email[f"vip{i}@example.org"] for i in (1, 2, 3)]
    assert [p.status for p in waitlisted] == [Participant.WAITLISTED] * 3
    positions = [p.waitlist_position for p in waitlisted]
    assert positions == sorted(positions) and len(set(positions)) == 3
    assert by_email["online@example.org"].status == Participant.APPROVED  # online places are not limited
    guest = by_email["guest@example.org"]  # online-only category: attends online without saying so
    assert guest.attendance_mode == Participant.ONLINE and guest.status == Participant.APPROVED
    assert result.counts == {"submitted": 0, "approved": 3, "waitlisted": 3, "rejected": 0, "cancelled": 0}


def test_default_category_and_organizations_shared(event, categories, organizer):
    header = ["Email", "Given_Name", "FAMILY_NAME", "country", "organization", "organization_latin"]
    rows = [
        ["a@example.org", "A", "B", "DE", "Siemens", "Siemens AG"],
        ["b@example.org", "C", "D", "DE", "Siemens", "Siemens AG"],
    ]
    result = import_participants(
        event=event,
        data=csv_bytes(rows, header=header),
        actor=organizer,
        default_category=categories["company"],
    )
    assert result.total == 2
    assert Organization.objects.filter(event=event, name_latin="Siemens AG").count() == 1
    assert {p.category.code for p in result.created} == {"company"}


def test_notify_sends_one_mail_each(event, categories, organizer):
    import_participants(event=event, data=csv_bytes(GOOD_ROWS), actor=organizer, notify=True)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r[0] for r in GOOD_ROWS)


@pytest.mark.parametrize(
    "row, column, code",
    [
        (["x@example.org", "A", "B", "Atlantis", "company", "Org", "", ""], "country", "unknown_country"),
        (["not-an-email", "A", "B", "DE", "company", "Org", "", ""], "email", "bad_email"),
        (["x@example.org", "", "B", "DE", "company", "Org", "", ""], "given_name", "required"),
        (["x@example.org", "A", "B", "DE", "company", "", "", ""], "organization", "required"),
        (["x@example.org", "A", "B", "DE", "nonsense", "Org", "", ""], "category", "unknown_category"),
        (["x@example.org", "A" * 101, "B", "DE", "company", "Org", "", ""], "given_name", "too_long"),
        (
            ["x@example.org", "A", "B", "DE", "company", "Org", "", "somewhere"],
            "attendance_mode",
            "bad_choice",
        ),
    ],
)
def test_bad_row_is_reported_with_row_and_column_and_nothing_is_stored(
    event, categories, organizer, row, column, code
):
    rows = [GOOD_ROWS[0], row, GOOD_ROWS[1]]
    with pytest.raises(ValidationFailed) as excinfo:
        import_participants(event=event, data=csv_bytes(rows), actor=organizer)
    assert (3, column, code) in codes(errors_of(excinfo))
    assert not Participant.objects.filter(event=event).exists()
    assert not AuditEntry.objects.filter(action="participant.imported").exists()


def test_category_required_field_media_outlet(event, categories, organizer):
    header = BASE_HEADER + ["outlet", "press_card_number"]
    rows = [
        ["press@example.org", "Ann", "Lee", "GB", "media", "", "", "", "", "PC1"],
        ["press2@example.org", "Bo", "Li", "CN", "media", "", "", "", "Xinhua", "PC2"],
    ]
    with pytest.raises(ValidationFailed) as excinfo:
        import_participants(event=event, data=csv_bytes(rows, header=header), actor=organizer)
    # The press card file is uploaded later: only the outlet is missing.
    assert codes(errors_of(excinfo)) == [(2, "outlet", "required")]
    assert not Participant.objects.exists()


def test_duplicate_email_in_file_names_both_rows(event, categories, organizer):
    rows = [GOOD_ROWS[0], GOOD_ROWS[1], [GOOD_ROWS[0][0].upper(), *GOOD_ROWS[0][1:]]]
    with pytest.raises(ValidationFailed) as excinfo:
        import_participants(event=event, data=csv_bytes(rows), actor=organizer)
    [error] = errors_of(excinfo)
    assert (error["row"], error["column"], error["code"]) == (4, "email", "duplicate_email")
    assert "2" in error["detail"] and "4" in error["detail"]
    assert not Participant.objects.exists()


def test_email_already_registered(event, categories, organizer):
    make_participant(event, categories["company"], email="fatima@example.ae")
    with pytest.raises(ValidationFailed) as excinfo:
        import_participants(event=event, data=csv_bytes(GOOD_ROWS), actor=organizer)
    assert codes(errors_of(excinfo)) == [(3, "email", "email_taken")]
    assert Participant.objects.filter(event=event).count() == 1


def test_same_email_in_another_event_is_fine(event, categories, other_event, organizer):
    make_participant(other_event, other_event.categories.get(code="company"), email="wang.wei@example.cn")
    assert import_participants(event=event, data=csv_bytes(GOOD_ROWS), actor=organizer).total == 3


@pytest.mark.parametrize("encoding", ["gbk", "latin-1"])
def test_not_utf8(event, categories, organizer, encoding):
    rows = [
        [
            "a@example.org",
            "伟" if encoding == "gbk" else "Jürgen",
            "王" if encoding == "gbk" else "Müller",
            "CN",
            "company",
            "Org",
            "",
            "",
        ]
    ]
    with pytest.raises(ValidationFailed) as excinfo:
        import_participants(event=event, data=csv_bytes(rows, encoding=encoding), actor=organizer)
    [error] = errors_of(excinfo)
    assert error["code"] == "not_utf8" and error["row"] == 2
    assert not Participant.objects.exists()


def test_missing_columns_are_named(event, categories, organizer):
    data = csv_bytes([["a@example.org", "A"]], header=["email", "given_name"])
    with pytest.raises(ValidationFailed) as excinfo:
        import_participants(event=event, data=data, actor=organizer)
    [error] = errors_of(excinfo)
    assert error["code"] == "missing_columns" and error["row"] == 1
    for name in ("family_name", "country", "category"):
        assert name in error["detail"]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n"])
def test_empty_file(event, categories, organizer, data):
    with pytest.raises(ValidationFailed) as excinfo:
        import_participants(event=event, data=data, actor=organizer)
    assert [e["code"] for e in errors_of(excinfo)] == ["missing_columns"]


def test_errors_in_many_rows_are_all_listed(event, categories, organizer):
    rows = [
        ["bad", "A", "B", "XX", "company", "Org", "", ""],
        GOOD_ROWS[0],
        ["c@example.org", "", "B", "DE", "company", "Org", "", ""],
    ]
    with pytest.raises(ValidationFailed) as excinfo:
        import_participants(event=event, data=csv_bytes(rows), actor=organizer)
    assert codes(errors_of(excinfo)) == [
        (2, "email", "bad_email"),
        (2, "country", "unknown_country"),
        (4, "given_name", "required"),
    ]


# --- the back-office page ----------------------------------------------------------------------------------


def upload(client, event, data, **extra):
    url = reverse("manage:import", args=[event.slug])
    return client.post(
        url, {"file": SimpleUploadedFile("list.csv", data, content_type="text/csv"), **extra}, follow=True
    )


def test_page_shows_columns_and_template(organizer_client, event, categories):
    response = organizer_client.get(reverse("manage:import", args=[event.slug]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "press_card_number" in page and "family_first" in page
    template = organizer_client.get(reverse("manage:import_template", args=[event.slug]))
    assert template.status_code == 200 and template["Content-Type"].startswith("text/csv")
    lines = template.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("email,given_name,family_name,country,category")
    # The template itself imports cleanly (once its required media outlet etc. are present).
    result = import_participants(event=event, data=template.content, actor=None)
    assert result.total == 2


def test_page_imports_and_shows_counts(organizer_client, event, categories):
    response = upload(organizer_client, event, csv_bytes(GOOD_ROWS, bom=True))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="import-result"' in page
    assert "3 participants were imported" in page
    assert "Submitted: 3" in page
    assert reverse("manage:participants", args=[event.slug]) in page
    assert Participant.objects.filter(event=event).count() == 3
    assert len(mail.outbox) == 0


def test_page_notify_checkbox_sends_mail(organizer_client, event, categories):
    upload(organizer_client, event, csv_bytes(GOOD_ROWS), notify="on")
    assert len(mail.outbox) == 3


def test_page_shows_error_table_and_stores_nothing(officer_client, event, categories):
    rows = [GOOD_ROWS[0], ["x@example.org", "A", "B", "Atlantis", "company", "Org", "", ""]]
    response = upload(officer_client, event, csv_bytes(rows))
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="import-errors"' in page
    assert 'data-code="unknown_country"' in page and "Atlantis" in page
    assert "nothing was imported" in page
    assert not Participant.objects.exists()


def test_page_default_category(organizer_client, event, categories):
    rows = [["a@example.org", "A", "B", "DE", "Org"]]
    upload(
        organizer_client,
        event,
        csv_bytes(rows, header=["email", "given_name", "family_name", "country", "organization"]),
        default_category="company",
    )
    assert Participant.objects.get(email="a@example.org").category.code == "company"


def test_page_refuses_files_over_10_mb(organizer_client, event, categories):
    data = csv_bytes(GOOD_ROWS) + b"\r\n" * (10 * 1024 * 1024)
    response = upload(organizer_client, event, data)
    assert "too large" in response.content.decode()
    assert not Participant.objects.exists()


def test_staff_of_another_event_gets_404(client, event, categories, other_event):
    stranger = make_staff(other_event, "accreditation_officer")
    client.force_login(stranger)
    assert client.get(reverse("manage:import", args=[event.slug])).status_code == 404
    assert upload(client, event, csv_bytes(GOOD_ROWS)).status_code == 404
    assert client.get(reverse("manage:import_template", args=[event.slug])).status_code == 404
    assert not Participant.objects.exists()


def test_anonymous_gets_404(client, event, categories):
    assert client.get(reverse("manage:import", args=[event.slug])).status_code == 404


# --- the management command --------------------------------------------------------------------------------


def test_command_imports_a_file(event, categories, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(csv_bytes(GOOD_ROWS, bom=True))
    out = io.StringIO()
    call_command("import_participants", event.slug, str(path), stdout=out, stderr=io.StringIO())
    assert "Imported 3 participant(s)" in out.getvalue()
    assert Participant.objects.filter(event=event).count() == 3


def test_command_with_category_and_notify(event, categories, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(
        csv_bytes(
            [["a@example.org", "A", "B", "DE", "Org"]],
            header=["email", "given_name", "family_name", "country", "organization"],
        )
    )
    call_command(
        "import_participants",
        event.slug,
        str(path),
        "--category",
        "company",
        "--notify",
        stdout=io.StringIO(),
    )
    assert Participant.objects.get(email="a@example.org").category.code == "company"
    assert len(mail.outbox) == 1


def test_command_lists_errors_and_fails(event, categories, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(csv_bytes([GOOD_ROWS[0], ["bad", "A", "B", "DE", "company", "Org", "", ""]]))
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_participants", event.slug, str(path), stdout=io.StringIO(), stderr=err)
    assert "nothing was imported" in str(excinfo.value)
    assert "row 3, email:" in err.getvalue() and "[bad_email]" in err.getvalue()
    assert not Participant.objects.exists()


def test_command_exits_non_zero_from_the_shell(event, categories, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(CommandError):
        call_command("import_participants", event.slug, str(path), stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError):
        call_command(
            "import_participants", "no-such-event", str(path), stdout=io.StringIO(), stderr=io.StringIO()
        )
