"""Badge photos: a participant gives one; it shows on their badge, in the PDF and at the gates.

An upload (JPEG or PNG, at most ``MAX_UPLOAD_BYTES``, checked by content) is decoded and re-encoded as a JPEG
of at most 600 × 800 pixels, turned upright from its EXIF orientation and stripped of every metadata field
(no location, no camera); a 96 × 128 thumbnail goes into the gates' offline package. Images too large to
decode safely are refused.
"""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from summit.core import audit, jobs, ratelimit
from summit.core.errors import ValidationFailed
from summit.core.locking import write_transaction
from summit.core.storage import private_storage, random_name
from summit.core.uploads import check_document
from summit.entry.models import Portrait

FULL = (600, 800)
THUMB = (96, 128)
MAX_PIXELS = 40_000_000


def _jpeg(image: Image.Image, size: tuple[int, int], quality: int) -> bytes:
    copy = image.copy()
    copy.thumbnail(size)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _decode(upload) -> Image.Image:
    content_type, _extension = check_document(upload, field="photo")
    if content_type not in ("image/jpeg", "image/png"):
        raise ValidationFailed(_("The photo must be a JPEG or PNG image."), code="photo_type", field="photo")
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationFailed(
                    _("The photo has too many pixels."), code="photo_too_large", field="photo"
                )
            image = ImageOps.exif_transpose(probe)
            image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        raise ValidationFailed(
            _("The photo could not be read."), code="photo_unreadable", field="photo"
        ) from None
    return image.convert("RGB")


def save_photo(*, participant, upload, actor=None) -> Portrait:
    image = _decode(upload)
    ratelimit.hit("photo", str(participant.pk))
    full, thumb = _jpeg(image, FULL, 85), _jpeg(image, THUMB, 70)
    name = private_storage().save(f"portraits/{random_name('jpg')}", ContentFile(full))
    try:
        with write_transaction():
            portrait = Portrait.objects.filter(participant=participant).first()
            old = portrait.file_name if portrait else None
            if portrait is None:
                portrait = Portrait(participant=participant)
            portrait.file_name, portrait.thumbnail, portrait.updated_at = name, thumb, timezone.now()
            portrait.save()
            audit.record(actor=actor, action="photo.saved", obj=portrait, event=participant.event)
    except BaseException:
        private_storage().delete(name)
        raise
    if old:
        jobs.after_commit(lambda: private_storage().delete(old))
    return portrait


def delete_photo(*, participant, actor=None) -> None:
    portrait = Portrait.objects.filter(participant=participant).first()
    if portrait is None:
        return
    name = portrait.file_name
    with write_transaction():
        audit.record(actor=actor, action="photo.deleted", obj=portrait, event=participant.event)
        portrait.delete()
    jobs.after_commit(lambda: private_storage().delete(name))


def stored_bytes(file_name: str) -> bytes:
    """A stored photo's JPEG bytes."""
    with private_storage().open(file_name, "rb") as handle:
        return handle.read()


def photo_bytes(participant_id: int) -> bytes | None:
    name = Portrait.objects.filter(participant_id=participant_id).values_list("file_name", flat=True).first()
    return stored_bytes(name) if name else None
