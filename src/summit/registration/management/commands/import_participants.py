"""``summit import_participants <event-slug> <file.csv> [--category CODE] [--notify]``."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from summit.core.errors import SummitError
from summit.events.services import get_event
from summit.registration import imports, services


class Command(BaseCommand):
    help = (
        "Import a delegation list (CSV, UTF-8) into an event: every row, or nothing when a row has a problem."
    )

    def add_arguments(self, parser):
        parser.add_argument("event", help="slug of the event")
        parser.add_argument("file", help="path of the CSV file (UTF-8, header row; see docs/import.md)")
        parser.add_argument(
            "--category", help="category code for rows whose category column is empty or missing"
        )
        parser.add_argument(
            "--notify", action="store_true", help="send each imported person the registration e-mail"
        )

    def handle(self, *args, **options):
        try:
            event = get_event(options["event"])
        except SummitError as exc:
            raise CommandError(f"No event with the slug {options['event']!r}.") from exc
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        category = None
        if options.get("category"):
            try:
                category = services.get_category(event, options["category"])
            except SummitError as exc:
                raise CommandError(exc.detail) from exc

        console = Console(file=sys.stderr)
        with Progress(
            TextColumn("Importing {task.fields[name]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as bar:
            task = bar.add_task("import", total=None, name=path.name)

            def progress(done, total):
                bar.update(task, completed=done, total=total)

            try:
                result = imports.import_participants(
                    event=event,
                    data=data,
                    actor=None,
                    default_category=category,
                    notify=options["notify"],
                    progress=progress,
                )
            except SummitError as exc:
                bar.stop()
                for e in exc.errors:
                    where = f"row {e['row']}" if e.get("row") else "file"
                    column = f", {e['column']}" if e.get("column") else ""
                    self.stderr.write(f"{where}{column}: {e['detail']} [{e['code']}]")
                raise CommandError(f"{exc.detail} ({len(exc.errors)} problem(s) listed above)") from exc

        counts = ", ".join(f"{status} {n}" for status, n in result.counts.items() if n)
        self.stdout.write(
            self.style.SUCCESS(f"Imported {result.total} participant(s) into {event.slug}: {counts}.")
        )
