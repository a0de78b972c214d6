"""``summit demo``: build a realistic World Internet Conference-style event to try Summit with.

Each app adds its part (``<app>/demo.py``, see ``core/demo.py``): the event, venue and staff; categories,
organizations, invitations and 2,000 participants; the program and its bookings. Everything is invented.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from summit.core.demo import Demo, Sheet, builders


class Command(BaseCommand):
    help = "Build a demo conference (World Internet Conference Wuzhen Summit 2027) with staff logins and participants."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Only print the demo logins when an event already exists."
        )
        parser.add_argument(
            "--participants", type=int, default=2000, help="Number of participants (default 2000)."
        )
        parser.add_argument("--seed", type=int, default=2027, help="Random seed (same seed, same demo).")

    def handle(self, *args, **options):
        modules = builders()
        if options["if_empty"] and any(getattr(m, "has_data", lambda: False)() for m in modules):
            self.stdout.write("An event already exists; the demo is not rebuilt.")
            self._print_sheet(modules)
            return
        if any(getattr(m, "exists", lambda: False)() for m in modules):
            raise CommandError("The demo event already exists. Use a fresh database (or --if-empty).")
        if options["participants"] < 1:
            raise CommandError("--participants must be at least 1.")
        started = time.monotonic()
        demo = Demo(participants=options["participants"], seed=options["seed"], now=timezone.now())
        with transaction.atomic():
            for module in modules:
                if hasattr(module, "build"):
                    module.build(demo)
        self.stdout.write(
            f"Built the demo in {time.monotonic() - started:.1f} s: " + "; ".join(demo.summary) + "."
        )
        self._print_sheet(modules)

    def _print_sheet(self, modules):
        sheet = Sheet()
        site = settings.SITE_URL.rstrip("/")
        for module in modules:
            if hasattr(module, "sheet"):
                module.sheet(sheet, site)
        self.stdout.write(sheet.render())
