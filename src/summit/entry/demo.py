"""The demo event's entry (part of ``summit demo``, after the registrations).

Journalists show a negative test taken at most 7 days before check-in, checked before arrival; the VIP lounge
asks for an identity document at its gate. Each category gets a badge colour and its zones; every approved
on-site participant has a badge. A few journalists' tests wait for review, some were accepted. An entry
officer and a gate staff member (main hall and sub-forums) sign in with a password.
"""

from __future__ import annotations

import os
from datetime import timedelta

from summit.core.models import User
from summit.entry import crypto
from summit.entry.models import DEFAULT_WINDOWS, Badge, CategoryAccess, EntryRule, Proof
from summit.events.demo import SLUG
from summit.events.models import EventRole
from summit.registration.models import Participant

LOGINS = [
    ("Entry officer", "entry@summit.example", "summit-entry"),
    ("Gate staff (main hall, sub-forums)", "gate@summit.example", "summit-gate"),
]
# A stand-in for an uploaded test result: a one-page PDF saying what it is.
SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
    b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n4 0 obj<</Length 58>>stream\n"
    b"BT /F1 24 Tf 72 760 Td (Demo test result: negative) Tj ET\nendstream endobj\n"
    b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
# category code: (colour, zone codes; empty = every zone)
ACCESS = {
    "government": ("#1d3b5a", []),
    "international": ("#2a6f97", ["main-hall", "forums", "expo"]),
    "company": ("#2e7d32", ["main-hall", "forums", "expo"]),
    "research": ("#6a4c93", ["main-hall", "forums", "expo"]),
    "media": ("#c62828", ["main-hall", "forums", "expo", "press-centre"]),
    "exhibitor": ("#ef6c00", ["expo", "forums"]),
    "vip": ("#b8860b", []),
}


def has_data() -> bool:
    return EntryRule.objects.exists() or Badge.objects.exists()


def build(demo) -> None:
    event = demo.event
    zones = {z.code: z for z in event.zones.all()}
    categories = {c.code: c for c in event.categories.all()}
    media = categories.get("media")
    EntryRule.objects.create(
        event=event,
        category=media,
        stage=EntryRule.REVIEW,
        accepted=[{"kind": "test", "seconds": DEFAULT_WINDOWS["test"]}],
    )
    if "vip-lounge" in zones:
        EntryRule.objects.create(
            event=event,
            zone=zones["vip-lounge"],
            stage=EntryRule.GATE,
            accepted=[{"kind": "identity", "seconds": None}],
        )
    for code, (colour, zone_codes) in ACCESS.items():
        if code in categories:
            access = CategoryAccess.objects.create(category=categories[code], colour=colour)
            access.zones.set([zones[z] for z in zone_codes if z in zones])
    holders = Participant.objects.filter(
        event=event, status=Participant.APPROVED, attendance_mode=Participant.ONSITE
    )
    Badge.objects.bulk_create(
        [
            Badge(event=event, participant_id=pk, revision=1, issued_at=demo.now)
            for pk in holders.values_list("pk", flat=True)
        ]
    )
    journalists = list(holders.filter(category=media).order_by("pk")[:12]) if media else []
    proofs = []
    for n, person in enumerate(journalists):
        accepted = n % 3 != 0
        taken = demo.now - timedelta(days=demo.rng.randint(1, 5), hours=demo.rng.randint(0, 12))
        proofs.append(
            Proof(
                event=event,
                participant=person,
                kind="test",
                taken_at=taken,
                file_name=crypto.store(SAMPLE_PDF),
                content_type="application/pdf",
                size=len(SAMPLE_PDF),
                status=Proof.ACCEPTED if accepted else Proof.PENDING,
                decided_at=demo.now if accepted else None,
                valid_until=taken + timedelta(days=7) if accepted else None,
                created_at=taken + timedelta(hours=3),
            )
        )
    Proof.objects.bulk_create(proofs)
    override = os.environ.get("SUMMIT_DEMO_PASSWORD")
    for _role, email, password in LOGINS:
        user = User.objects.filter(email=email).first() or User(email=email)
        user.set_password(override or password)
        user.is_active = True
        user.save()
        staff_role = EventRole.objects.create(
            event=event,
            user=user,
            role=EventRole.ENTRY_OFFICER if email.startswith("entry") else EventRole.GATE_STAFF,
        )
        if staff_role.role == EventRole.GATE_STAFF:
            staff_role.zones.set([zones[z] for z in ("main-hall", "forums") if z in zones])
    demo.summary.append(f"{holders.count()} badges, {len(proofs)} entry proofs")


def sheet(sheet, site: str) -> None:
    if not EntryRule.objects.filter(event__slug=SLUG).exists():
        return
    sheet.urls += [
        ("Entry rules and occupancy", f"{site}/events/{SLUG}/manage/entry/"),
        ("Proofs to review", f"{site}/events/{SLUG}/manage/entry/review/"),
        ("My entry and badge", f"{site}/events/{SLUG}/entry/"),
        ("Gate scanner", f"{site}/events/{SLUG}/gate/"),
    ]
    override = os.environ.get("SUMMIT_DEMO_PASSWORD")
    sheet.logins += [(role, email, override or password) for role, email, password in LOGINS]
