"""Upload checks: type by content (magic bytes), never by file name or browser-supplied type."""

from __future__ import annotations

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from summit.core.errors import ValidationFailed

SIGNATURES = {
    b"%PDF-": ("application/pdf", "pdf"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
}


def extension_of(content_type: str) -> str:
    """The file extension of a type ``check_document`` accepts ("pdf", "jpg", "png"); "bin" otherwise."""
    return next((ext for kind, ext in SIGNATURES.values() if kind == content_type), "bin")


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, kind in SIGNATURES.items():
        if head.startswith(magic):
            return kind
    return None


def check_document(upload, *, field: str) -> tuple[str, str]:
    """Accept a PDF, JPEG or PNG of at most MAX_UPLOAD_BYTES; return (content type, extension)."""
    limit = settings.MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationFailed(
            _("The file is too large (%(size)s); the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="file_too_large",
            field=field,
        )
    if upload.size == 0:
        raise ValidationFailed(_("The file is empty."), code="file_empty", field=field)
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff(head)
    if kind is None:
        raise ValidationFailed(
            _("The file must be a PDF, JPEG or PNG document."), code="file_type", field=field
        )
    return kind
