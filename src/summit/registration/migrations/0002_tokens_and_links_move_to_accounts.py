"""API tokens and sign-in links moved to the accounts app: copy them over, then drop the old tables.

A sign-in link now names the event it signs in for (it used to name the participant).
"""

from django.db import migrations


def copy_to_accounts(apps, schema_editor):
    OldToken = apps.get_model("registration", "ApiToken")
    OldLink = apps.get_model("registration", "MagicLink")
    ApiToken = apps.get_model("accounts", "ApiToken")
    MagicLink = apps.get_model("accounts", "MagicLink")
    ApiToken.objects.bulk_create(
        ApiToken(
            id=t.id,
            event_id=t.event_id,
            user_id=t.user_id,
            name=t.name,
            prefix=t.prefix,
            token_hash=t.token_hash,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
            revoked_at=t.revoked_at,
        )
        for t in OldToken.objects.all().iterator()
    )
    MagicLink.objects.bulk_create(
        MagicLink(
            id=link.id,
            user_id=link.user_id,
            event_id=link.participant.event_id if link.participant_id else None,
            token_hash=link.token_hash,
            created_at=link.created_at,
            expires_at=link.expires_at,
            used_at=link.used_at,
        )
        for link in OldLink.objects.select_related("participant").iterator()
    )
    _reset_sequences(schema_editor, "accounts_apitoken", "accounts_magiclink")


def copy_back(apps, schema_editor):
    """Migrating back: the tokens and links return to registration (a link to the user's participant record
    in its event, as before)."""
    ApiToken = apps.get_model("accounts", "ApiToken")
    MagicLink = apps.get_model("accounts", "MagicLink")
    OldToken = apps.get_model("registration", "ApiToken")
    OldLink = apps.get_model("registration", "MagicLink")
    Participant = apps.get_model("registration", "Participant")
    OldToken.objects.bulk_create(
        OldToken(
            id=t.id,
            event_id=t.event_id,
            user_id=t.user_id,
            name=t.name,
            prefix=t.prefix,
            token_hash=t.token_hash,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
            revoked_at=t.revoked_at,
        )
        for t in ApiToken.objects.all().iterator()
    )
    people = dict(
        ((event_id, user_id), pk)
        for pk, event_id, user_id in Participant.objects.values_list("pk", "event_id", "user_id")
    )
    OldLink.objects.bulk_create(
        OldLink(
            id=link.id,
            user_id=link.user_id,
            participant_id=people.get((link.event_id, link.user_id)),
            token_hash=link.token_hash,
            created_at=link.created_at,
            expires_at=link.expires_at,
            used_at=link.used_at,
        )
        for link in MagicLink.objects.all().iterator()
    )
    _reset_sequences(schema_editor, "registration_apitoken", "registration_magiclink")
    MagicLink.objects.all().delete()  # moved back, not copied: migrating forward again copies them once
    ApiToken.objects.all().delete()


def _reset_sequences(schema_editor, *tables):
    """After rows were copied with their ids, PostgreSQL's sequences continue after the highest one."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL)"
                f" FROM {table}"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_to_accounts, copy_back),
        migrations.RemoveField(model_name="magiclink", name="participant"),
        migrations.RemoveField(model_name="magiclink", name="user"),
        migrations.DeleteModel(name="ApiToken"),
        migrations.DeleteModel(name="MagicLink"),
    ]
