"""``summit purge-health-data <event>``: delete an event's health proofs, keeping only counts."""

from django.core.management.base import BaseCommand, CommandError

from summit.core.errors import SummitError
from summit.entry.services import privacy
from summit.events.models import Event


class Command(BaseCommand):
    help = (
        "Delete the proof documents and health details of an event, keeping only counts. Refused before "
        "SUMMIT_HEALTH_PURGE_DAYS after the event ends, unless --force. The job sweep does the same on its own "
        "for every event that is due."
    )

    def add_arguments(self, parser):
        parser.add_argument("event", help="the event's slug")
        parser.add_argument("--force", action="store_true", help="purge now, even before the purge date")

    def handle(self, *args, event, force, **options):
        found = Event.objects.filter(slug=event).first()
        if found is None:
            raise CommandError(f"There is no event {event!r}.")
        try:
            result = privacy.purge_health_data(event=found, force=force)
        except SummitError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{result['proofs']} proofs deleted; kept counts: {result['counts']}")
