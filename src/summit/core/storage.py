"""Private file storage: uploads (press cards, speaker photos, job results) live outside static files.

Files are stored under ``PRIVATE_MEDIA_ROOT`` and are only ever served through a view that checks
permission; the storage has no public URL. The location is read from settings on every use, so tests can
point it at a temporary directory.
"""

from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse


class PrivateStorage(FileSystemStorage):
    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None


_private_storage = PrivateStorage()


def private_storage() -> PrivateStorage:
    return _private_storage


def random_name(extension: str) -> str:
    """A file name nobody can guess, with ``extension``."""
    return f"{secrets.token_hex(16)}.{extension}"


#: The policy of a served upload: nothing in it may run, load or be framed, even if a browser renders it.
FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def file_response(handle, *, filename: str, content_type: str, cache: str = "private, no-store"):
    """Serve an uploaded or generated file so that it can never act as a page of this site: always as an
    attachment (a PDF or an image a person uploaded is downloaded, not opened inline), with
    ``X-Content-Type-Options: nosniff`` and a sandboxing Content-Security-Policy of its own. Images served
    this way still show in an ``<img>`` on our pages."""
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = cache
    return response
