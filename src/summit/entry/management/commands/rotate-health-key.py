"""``summit rotate-health-key``: re-encrypt every proof document and badge signing key with the first key of
``SUMMIT_HEALTH_KEYS`` (docs/operations.md: key rotation)."""

from django.core.management.base import BaseCommand

from summit.entry import crypto
from summit.entry.models import Proof, SigningKey
from summit.entry.services import badges


class Command(BaseCommand):
    help = "Re-encrypt health proofs and badge signing keys with the first of SUMMIT_HEALTH_KEYS."

    def handle(self, *args, **options):
        files = 0
        for name in Proof.objects.exclude(file_name="").values_list("file_name", flat=True).iterator():
            files += crypto.rewrite(name)
        keys = 0
        for row in SigningKey.objects.all():
            fresh = crypto.rotate(row.private_key.encode("ascii")).decode("ascii")
            if fresh != row.private_key:
                SigningKey.objects.filter(pk=row.pk).update(private_key=fresh)
                keys += 1
        badges.forget_keys()
        self.stdout.write(f"{files} proof files and {keys} signing keys re-encrypted with the first key.")
