"""The registration rules, through the service layer every entry point uses."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from summit.accounts import services as accounts
from summit.core.errors import Conflict, NotFound, ValidationFailed
from summit.core.models import AuditEntry
from summit.core.testing import EXE_BYTES, PDF_BYTES, PNG_BYTES, expired
from summit.registration import services
from summit.registration.models import Participant
from summit.registration.testing import make_invitation, make_participant, person_data

pytestmark = pytest.mark.django_db


def press_card(content=PDF_BYTES, name="card.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_register_company_delegate_is_submitted_and_mailed(event, categories):
    p = services.register(
        event=event, data=person_data(email="Anna@Example.org"), category=categories["company"]
    )
    assert p.status == Participant.SUBMITTED
    assert p.email == "anna@example.org"
    assert p.organization.name_latin == "Example GmbH"
    assert len(mail.outbox) == 1
    assert "/signin/" in mail.outbox[0].body
    assert AuditEntry.objects.filter(action="participant.registered", object_id=str(p.pk)).exists()


def test_latin_names_are_transliterated_when_missing(event, categories):
    p = services.register(
        event=event,
        data=person_data(given_name="伟", family_name="王", country="CN", name_order="family_first"),
        category=categories["company"],
    )
    assert (p.family_name_latin, p.given_name_latin) == ("Wang", "Wei")
    assert p.display_name == "王伟 (WANG Wei)"


def test_mail_is_in_the_participants_language(event, categories):
    services.register(event=event, data=person_data(language="zh-hans"), category=categories["company"])
    assert "世界互联网大会" in mail.outbox[0].subject


def test_duplicate_email_is_refused(event, categories):
    services.register(event=event, data=person_data(email="dup@example.org"), category=categories["company"])
    with pytest.raises(ValidationFailed) as exc:
        services.register(
            event=event, data=person_data(email="DUP@example.org"), category=categories["company"]
        )
    assert exc.value.errors[0]["code"] == "email_taken"
    assert Participant.objects.filter(email="dup@example.org").count() == 1


def test_same_email_may_register_for_another_event(event, categories, other_event):
    services.register(event=event, data=person_data(email="x@example.org"), category=categories["company"])
    services.register(
        event=other_event,
        data=person_data(email="x@example.org"),
        category=other_event.categories.get(code="company"),
    )
    assert Participant.objects.filter(email="x@example.org").count() == 2


@pytest.mark.parametrize(
    "override, field, code",
    [
        ({"email": "not-an-email"}, "email", "bad_email"),
        ({"email": ""}, "email", "required"),
        ({"given_name": "x" * 101}, "given_name", "too_long"),
        ({"country": "Atlantis"}, "country", "unknown_country"),
        ({"attendance_mode": "hologram"}, "attendance_mode", "bad_choice"),
        ({"organization_name": ""}, "organization", "required"),
    ],
)
def test_bad_person_data_is_refused_with_the_field(event, categories, override, field, code):
    with pytest.raises(ValidationFailed) as exc:
        services.register(event=event, data=person_data(**override), category=categories["company"])
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in exc.value.errors
    ]
    assert not Participant.objects.exists()


def test_government_delegate_requires_position(event, categories):
    with pytest.raises(ValidationFailed) as exc:
        services.register(event=event, data=person_data(position=""), category=categories["government"])
    assert exc.value.errors[0]["field"] == "position"


def test_media_requires_outlet_card_number_and_file(event, categories):
    inv = make_invitation(event, categories["media"])
    with pytest.raises(ValidationFailed) as exc:
        services.register(event=event, data=person_data(), invitation_code=inv.code)
    assert {e["field"] for e in exc.value.errors} == {"outlet", "press_card_number", "press_card_file"}
    p = services.register(
        event=event,
        data=person_data(outlet="Xinhua", press_card_number="PC-1"),
        invitation_code=inv.code,
        press_card=press_card(PNG_BYTES, "card.png"),
    )
    assert p.category == categories["media"]
    assert p.press_card_file.name.endswith(".png")


@pytest.mark.parametrize(
    "content, name, code",
    [(EXE_BYTES, "card.pdf", "file_type"), (b"%PDF-" + b"0" * (5 * 1024 * 1024), "c.pdf", "file_too_large")],
)
def test_press_card_checked_by_content_and_size(event, categories, content, name, code):
    inv = make_invitation(event, categories["media"])
    with pytest.raises(ValidationFailed) as exc:
        services.register(
            event=event,
            data=person_data(outlet="X", press_card_number="1"),
            invitation_code=inv.code,
            press_card=press_card(content, name),
        )
    assert exc.value.errors[0]["code"] == code
    assert not Participant.objects.exists()
    inv.refresh_from_db()
    assert inv.uses == 0


def test_invitation_codes_expire_and_get_used_up(event, categories):
    single = make_invitation(event, categories["vip"], max_uses=1)
    services.register(event=event, data=person_data(), invitation_code=single.code)
    with pytest.raises(ValidationFailed) as exc:
        services.register(event=event, data=person_data(), invitation_code=single.code)
    assert exc.value.code == "invitation_used"
    old = make_invitation(event, categories["vip"], expires_at=expired())
    with pytest.raises(ValidationFailed) as exc:
        services.register(event=event, data=person_data(), invitation_code=old.code)
    assert exc.value.code == "invitation_expired"
    with pytest.raises(ValidationFailed) as exc:
        services.register(event=event, data=person_data(), category=categories["vip"])
    assert exc.value.code == "invitation_required"


def test_full_quota_puts_new_onsite_applicants_on_the_waitlist(event, categories):
    cat = categories["company"]
    cat.onsite_quota = 1
    cat.save()
    first = services.register(event=event, data=person_data(), category=cat)
    services.decide(participant=first, status="approved", actor=None)
    second = services.register(event=event, data=person_data(), category=cat)
    third = services.register(event=event, data=person_data(), category=cat)
    online = services.register(event=event, data=person_data(attendance_mode="online"), category=cat)
    assert (second.status, third.status, online.status) == ("waitlisted", "waitlisted", "submitted")
    assert second.waitlist_position < third.waitlist_position


def test_approving_past_the_quota_is_refused_and_nothing_changes(event, categories, organizer):
    cat = categories["company"]
    cat.onsite_quota = 2
    cat.save()
    people = [make_participant(event, cat) for _ in range(3)]
    with pytest.raises(Conflict) as exc:
        services.decide_many(
            event=event, participant_ids=[p.pk for p in people], status="approved", actor=organizer
        )
    assert exc.value.code == "quota_full"
    assert not Participant.objects.filter(status="approved").exists()
    services.decide_many(
        event=event, participant_ids=[p.pk for p in people[:2]], status="approved", actor=organizer
    )
    with pytest.raises(Conflict):
        services.decide(participant=people[2], status="approved", actor=organizer)
    # Online attendance is not limited by the quota.
    services.switch_mode(participant=people[2], mode="online", actor=organizer)
    services.decide(participant=people[2], status="approved", actor=organizer)


def test_cancelling_an_onsite_place_promotes_the_first_waitlisted(event, categories):
    cat = categories["company"]
    cat.onsite_quota = 1
    cat.needs_approval = False
    cat.save()
    holder = services.register(event=event, data=person_data(), category=cat)
    first = services.register(event=event, data=person_data(), category=cat)
    second = services.register(event=event, data=person_data(), category=cat)
    assert holder.status == "approved" and first.status == second.status == "waitlisted"
    mail.outbox.clear()
    services.cancel(participant=holder, actor=holder.user)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "approved" and first.waitlist_position is None
    assert second.status == "waitlisted"
    assert [m.to for m in mail.outbox] == [[first.email]]


def test_switching_online_frees_the_place_and_back_is_subject_to_quota(event, categories):
    cat = categories["company"]
    cat.onsite_quota = 1
    cat.needs_approval = False
    cat.save()
    a = services.register(event=event, data=person_data(), category=cat)
    b = services.register(event=event, data=person_data(), category=cat)
    services.switch_mode(participant=a, mode="online", actor=None)
    b.refresh_from_db()
    assert b.status == "approved" and b.attendance_mode == "onsite"
    with pytest.raises(Conflict) as exc:
        services.switch_mode(participant=a, mode="onsite", actor=None)
    assert exc.value.code == "quota_full"
    a.refresh_from_db()
    assert a.attendance_mode == "online"


def test_online_only_category_cannot_go_onsite(event, categories):
    with pytest.raises(ValidationFailed):
        services.register(
            event=event, data=person_data(attendance_mode="onsite"), category=categories["online"]
        )
    p = services.register(
        event=event, data=person_data(attendance_mode="online"), category=categories["online"]
    )
    assert p.status == "approved"
    with pytest.raises(Conflict):
        services.switch_mode(participant=p, mode="onsite", actor=None)


def test_decisions_are_audited_with_reason_and_mailed_in_language(event, categories, officer):
    p = make_participant(event, categories["company"], language="zh-hans")
    services.decide(participant=p, status="rejected", actor=officer, reason="Incomplete documents")
    entry = AuditEntry.objects.get(action="participant.rejected")
    assert (entry.actor, entry.reason, entry.data) == (
        officer,
        "Incomplete documents",
        {"from": "submitted", "to": "rejected"},
    )
    assert "Incomplete documents" in mail.outbox[-1].body
    assert "组委会" in mail.outbox[-1].body or "您" in mail.outbox[-1].body


def test_decide_on_participant_of_another_event_is_not_found(event, categories, other_event, officer):
    p = make_participant(other_event, other_event.categories.get(code="company"))
    with pytest.raises(NotFound):
        services.decide_many(event=event, participant_ids=[p.pk], status="approved", actor=officer)


def test_magic_link_works_once_and_expires(event, categories):
    p = make_participant(event, categories["company"])
    url = services.issue_magic_link(participant=p)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    assert accounts.consume_link(token).user == p.user
    with pytest.raises(Conflict) as exc:
        accounts.consume_link(token)
    assert exc.value.code == "link_used"
    url = services.issue_magic_link(participant=p)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    p.user.magic_links.update(expires_at=expired())
    with pytest.raises(Conflict) as exc:
        accounts.consume_link(token)
    assert exc.value.code == "link_expired"
    with pytest.raises(NotFound):
        accounts.consume_link("nonsense")


def test_search_finds_names_in_any_script(event, categories):
    make_participant(
        event,
        categories["company"],
        given_name="伟",
        family_name="王",
        given_name_latin="Wei",
        family_name_latin="Wang",
    )
    make_participant(
        event,
        categories["company"],
        given_name="Анна",
        family_name="Иванова",
        given_name_latin="Anna",
        family_name_latin="Ivanova",
        country="RU",
    )
    for q, expected in [
        ("王伟", "伟"),
        ("wang", "伟"),
        ("иванова", "Анна"),
        ("ИВАНОВА", "Анна"),
        ("anna iv", "Анна"),
    ]:
        qs, _ = services.filter_participants(event, {"q": q})
        assert [p.given_name for p in qs] == [expected], q
