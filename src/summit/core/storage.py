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
