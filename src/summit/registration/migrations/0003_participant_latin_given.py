from anyascii import anyascii
from django.db import migrations, models


def _same(a: str, b: str) -> bool:
    import unicodedata

    def plain(text):
        decomposed = unicodedata.normalize("NFKD", text or "")
        return "".join(c for c in decomposed if not unicodedata.combining(c) and not c.isspace()).casefold()

    return plain(a) == plain(b)


def note_given_latin_names(apps, schema_editor):
    """A stored Latin name that differs from what the machine derived was written by the person."""
    Participant = apps.get_model("registration", "Participant")
    given = []
    rows = Participant.objects.only("pk", "given_name", "family_name", "given_name_latin", "family_name_latin")
    for p in rows.iterator(chunk_size=2000):
        if not (p.given_name_latin or p.family_name_latin):
            continue
        derived = _same(p.given_name_latin, anyascii(p.given_name).strip()) and _same(
            p.family_name_latin, anyascii(p.family_name).strip()
        )
        if not derived:
            given.append(p.pk)
    for start in range(0, len(given), 2000):
        Participant.objects.filter(pk__in=given[start : start + 2000]).update(latin_given=True)


class Migration(migrations.Migration):
    dependencies = [("registration", "0002_tokens_and_links_move_to_accounts")]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="latin_given",
            field=models.BooleanField(default=False, verbose_name="Latin name written by the person"),
        ),
        migrations.RunPython(note_given_latin_names, migrations.RunPython.noop),
    ]
