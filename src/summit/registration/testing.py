"""Factories for registration: categories, organizations, participants, invitations (see ``core.testing``)."""

from __future__ import annotations

from summit.core.testing import make_user, seq
from summit.events.models import Event
from summit.registration.models import Category, InvitationCode, Organization, Participant


def make_category(event: Event, code: str = "company", **extra) -> Category:
    defaults = dict(
        name_en=code.replace("-", " ").title(), name_zh="", required_fields=[], needs_approval=True
    )
    defaults.update(extra)
    return Category.objects.create(event=event, code=code, **defaults)


# The categories of a conference like the World Internet Conference: code, English and Chinese names,
# required fields, on-site quota, needs approval, needs an invitation, on-site allowed. Shared with `summit demo`.
STANDARD_CATEGORIES = [
    ("government", "Government delegate", "政府代表", ["position", "organization"], None, True, False, True),
    ("international", "International organization", "国际组织", ["organization"], None, True, False, True),
    ("company", "Company", "企业", ["organization"], None, True, False, True),
    ("research", "Research institute", "科研机构", ["organization"], None, True, False, True),
    ("media", "Media", "媒体", ["outlet", "press_card_number", "press_card_file"], 300, True, True, True),
    ("exhibitor", "Exhibitor", "参展商", ["organization"], None, True, True, True),
    ("vip", "VIP guest", "贵宾", [], 50, True, True, True),
    ("online", "Online guest", "线上嘉宾", [], None, False, False, False),
]


def standard_categories(event: Event) -> dict[str, Category]:
    """The categories of a conference like the World Internet Conference, unsaved (for bulk_create)."""
    return {
        code: Category(
            event=event,
            code=code,
            name_en=en,
            name_zh=zh,
            required_fields=list(fields),
            onsite_quota=quota,
            needs_approval=approval,
            needs_invitation=invitation,
            allows_onsite=onsite,
            order=order,
        )
        for order, (code, en, zh, fields, quota, approval, invitation, onsite) in enumerate(
            STANDARD_CATEGORIES
        )
    }


def make_standard_categories(event: Event) -> dict[str, Category]:
    categories = standard_categories(event)
    for category in categories.values():
        category.save()
    return categories


def make_organization(event: Event, **extra) -> Organization:
    n = next(seq)
    defaults = dict(
        name=f"Organization {n}", name_latin=f"Organization {n}", type=Organization.COMPANY, country="CN"
    )
    defaults.update(extra)
    return Organization.objects.create(event=event, **defaults)


def make_participant(event: Event, category: Category, **extra) -> Participant:
    """A participant created directly (no quota logic): use services.register to test the rules."""
    n = next(seq)
    email = extra.pop("email", None) or f"p{n}@example.org"
    user = extra.pop("user", None) or make_user(email, password=None)
    defaults = dict(
        given_name="Wei",
        family_name="Wang",
        given_name_latin="Wei",
        family_name_latin="Wang",
        name_order=Participant.FAMILY_FIRST,
        country="CN",
        attendance_mode=Participant.ONSITE,
        language="en",
        status=Participant.SUBMITTED,
    )
    defaults.update(extra)
    return Participant.objects.create(event=event, category=category, user=user, email=email, **defaults)


def make_invitation(event: Event, category: Category, code: str | None = None, **extra) -> InvitationCode:
    return InvitationCode.objects.create(
        event=event, category=category, code=code or f"INV{next(seq):05d}", **extra
    )


def person_data(**overrides) -> dict:
    """Raw registration data as a form or the API would send it."""
    n = next(seq)
    data = {
        "email": f"person{n}@example.org",
        "given_name": "Anna",
        "family_name": "Schmidt",
        "country": "DE",
        "attendance_mode": "onsite",
        "language": "en",
        "organization_name": "Example GmbH",
        "organization_type": "company",
        "position": "Director",
    }
    data.update(overrides)
    return data


def form_data(category: Category, **extra) -> dict:
    """The public registration form's fields for Anna Schmidt of Example GmbH, with ``extra`` on top."""
    data = {
        "email": "anna@example.org",
        "category": str(category.pk),
        "attendance_mode": "onsite",
        "given_name": "Anna",
        "family_name": "Schmidt",
        "name_order": "given_first",
        "country": "DE",
        "language": "en",
        "organization_name": "Example GmbH",
        "organization_type": "company",
        "position": "CTO",
    }
    data.update(extra)
    return data


def make_delegate(event: Event, category: Category | None = None, **extra) -> Participant:
    """An approved on-site participant, ready to book."""
    category = category or Category.objects.filter(event=event).first() or make_category(event)
    extra.setdefault("status", Participant.APPROVED)
    return make_participant(event, category, **extra)
