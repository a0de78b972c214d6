"""Badge photos: re-encoded without metadata, shown to the owner, the desk and the gates only."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from summit.core.errors import ValidationFailed
from summit.core.storage import private_storage
from summit.core.testing import PDF_BYTES
from summit.entry.models import Portrait
from summit.entry.services import photos
from summit.entry.testing import make_entry_officer, make_gate_staff, make_holder
from summit.events.testing import make_staff

pytestmark = pytest.mark.django_db


def jpeg_with_location(size=(1200, 1600)) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def holder(event, categories):
    return make_holder(event, categories["media"])


def test_a_photo_is_re_encoded_smaller_and_without_its_metadata(holder):
    raw = jpeg_with_location()
    assert b"PhoneMaker" in raw
    portrait = photos.save_photo(participant=holder, upload=SimpleUploadedFile("me.jpg", raw))
    stored = photos.photo_bytes(holder.pk)
    assert b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (600, 800) and not image.getexif()
    with Image.open(io.BytesIO(bytes(portrait.thumbnail))) as thumb:
        assert thumb.size == (96, 128)
    first = portrait.file_name
    photos.save_photo(participant=holder, upload=SimpleUploadedFile("me.png", _png()))
    assert not private_storage().exists(first) and Portrait.objects.count() == 1


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 300), (10, 20, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [(PDF_BYTES, "photo_type"), (b"\xff\xd8\xff\xe0garbage" * 10, "photo_unreadable"), (b"", "file_empty")],
)
def test_bad_photos_are_refused(holder, data, code):
    with pytest.raises(ValidationFailed) as refused:
        photos.save_photo(participant=holder, upload=SimpleUploadedFile("x.jpg", data))
    assert refused.value.code == code and not Portrait.objects.exists()


def test_the_photo_goes_into_the_badge_pdf(holder):
    from summit.entry.jobs import cards_for

    photos.save_photo(participant=holder, upload=SimpleUploadedFile("me.jpg", jpeg_with_location()))
    (card,) = list(cards_for(holder.event, [holder.pk]))
    assert card.photo == photos.photo_bytes(holder.pk)


def test_uploading_and_removing_through_the_page(client, holder):
    client.force_login(holder.user)
    client.post("/events/wic/entry/photo/", {"photo": SimpleUploadedFile("me.jpg", jpeg_with_location())})
    assert Portrait.objects.filter(participant=holder).exists()
    assert 'id="remove-photo"' in client.get("/events/wic/entry/").content.decode()
    response = client.get(f"/events/wic/entry/photos/{holder.pk}.jpg")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    client.post("/events/wic/entry/photo/", {"remove": "1"})
    assert not Portrait.objects.exists()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("owner", True),
        ("organizer", True),
        ("accreditation", True),
        ("gate", True),
        ("entry_officer", False),
        ("other", False),
        ("elsewhere", False),
    ],
)
def test_who_sees_a_photo(client, event, categories, holder, other_event, role, allowed):
    photos.save_photo(participant=holder, upload=SimpleUploadedFile("me.jpg", jpeg_with_location()))
    users = {
        "owner": holder.user,
        "organizer": make_staff(event, "organizer"),
        "accreditation": make_staff(event, "accreditation_officer"),
        "gate": make_gate_staff(event, event.zones.get(code="main")),
        "entry_officer": make_entry_officer(event),
        "other": make_holder(event, categories["company"]).user,
        "elsewhere": make_staff(other_event, "organizer"),
    }
    client.force_login(users[role])
    assert client.get(f"/events/wic/entry/photos/{holder.pk}.jpg").status_code == (200 if allowed else 404)
