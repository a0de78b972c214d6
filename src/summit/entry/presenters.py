"""What a gate is told about a scan: the one JSON shape of a verdict, for the REST API (``entry/api.py``) and
the gate page (``entry/gate_views.py``) alike."""

from __future__ import annotations

import io

from django.urls import reverse
from django.utils import timezone

from summit.core.storage import file_response
from summit.core.uploads import extension_of
from summit.entry.models import CategoryAccess
from summit.entry.services import gates

#: Refusals that say nothing about whose badge it may be: the code is not a genuine badge of this event.
ANONYMOUS_REASONS = ("malformed", "bad_signature", "wrong_event")


def proof_document(proof, data: bytes, content_type: str):
    """A proof's opened document as a download (``core.storage.file_response``: an attachment that can
    never act as a page of the site), for its owner's page, the officers' page and the API alike."""
    return file_response(
        io.BytesIO(data), filename=f"proof-{proof.pk}.{extension_of(content_type)}", content_type=content_type
    )


def verdict_out(verdict: gates.Verdict, event) -> dict:
    """The verdict with the person (their name, category and its colour; never a proof), the reason in the
        request's language, what gate staff check on the spot, and the address of the person's photo, which gate
    staff compare with the face in front of them."""
    person = verdict.participant
    shown = person is not None and verdict.reason not in ANONYMOUS_REASONS
    colour = verdict.colour
    if shown and colour is None:
        access = CategoryAccess.objects.filter(category_id=person.category_id).first()
        colour = access.colour if access else CategoryAccess.DEFAULT_COLOUR
    photo = None
    if shown and getattr(person, "has_photo", False):
        photo = reverse("entry:photo", args=[event.slug, person.pk])
    return {
        "admitted": verdict.admitted,
        "reason": verdict.reason or None,
        "detail": verdict.reason_text,
        "person": {
            "id": person.pk,
            "name": person.display_name,
            "native": person.native_name,
            "latin": person.latin_name,
            "category": person.category.tr_name,
            "colour": colour,
            "photo": photo,
        }
        if shown
        else None,
        "revision": verdict.revision,
        "valid_until": verdict.status.valid_until if verdict.status else None,
        "to_check": [gates.requirement_text(r, timezone.now()) for r in verdict.to_check],
        "scan": verdict.scan.pk if verdict.scan else None,
        "duplicate": verdict.duplicate,
    }
