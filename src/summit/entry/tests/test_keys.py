"""Health keys: documents and badge keys stay readable through a key rotation, and only the new key is
needed afterwards; a missing key is an error, never a silent loss."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from summit.core.storage import private_storage
from summit.core.testing import PDF_BYTES
from summit.entry import crypto, tokens
from summit.entry.models import SigningKey
from summit.entry.services import badges
from summit.entry.testing import make_holder, stored_proof, token_of

pytestmark = pytest.mark.django_db


def test_rotation_re_encrypts_everything_with_the_new_key(settings, event, categories):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.HEALTH_KEYS = [old]
    holder = make_holder(event, categories["media"])
    token = token_of(holder)
    proof = stored_proof(holder)
    sealed_before = private_storage().open(proof.file_name, "rb").read()

    settings.HEALTH_KEYS = [new, old]
    badges.forget_keys()
    call_command("rotate-health-key")
    sealed_after = private_storage().open(proof.file_name, "rb").read()
    assert sealed_after != sealed_before

    settings.HEALTH_KEYS = [new]  # the old key is gone
    badges.forget_keys()
    assert crypto.load(proof.file_name) == PDF_BYTES
    again = token_of(holder)
    assert tokens.verify(badges.public_key(event), token) == tokens.verify(badges.public_key(event), again)
    Fernet(new.encode()).decrypt(SigningKey.objects.get(event=event).private_key.encode())


def test_without_the_key_a_document_does_not_open(settings, event, categories):
    settings.HEALTH_KEYS = [Fernet.generate_key().decode()]
    proof = stored_proof(make_holder(event, categories["media"]))
    settings.HEALTH_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.InvalidToken):
        crypto.load(proof.file_name)
