"""The demo conference is built by one builder per app, assembled by ``summit demo`` (design.md §11).

Each app that has demo data keeps it in ``<app>/demo.py`` with:

- ``build(demo: Demo) -> None`` (optional, as every hook): add the app's part, reading what the apps below it built (``demo.event``,
  ``demo.people``...) and leaving what the apps above need on ``demo``;
- optionally ``exists() -> bool``: the app's demo data is already in the database, and ``has_data() ->
  bool``: the database holds data of the app at all (``--if-empty`` then builds nothing);
- optionally ``sheet(sheet: Sheet, site: str) -> None``: add the app's pages, logins and notes to what the
  command prints (also when the demo already exists).

The command runs the builders in ``INSTALLED_APPS`` order, so every app builds on the ones below it, in one
transaction. Nothing here imports an app: builders are found through the app registry.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

from django.apps import apps


@dataclass
class Demo:
    """What the builders share: the seed, the size, "now", what each builder leaves for the next, and one
    line of summary per builder."""

    participants: int
    seed: int
    now: datetime
    rng: random.Random = field(init=False)
    summary: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.rng = random.Random(self.seed)


@dataclass
class Sheet:
    """What ``summit demo`` prints: pages to open, logins, and notes (one-time links...)."""

    urls: list[tuple[str, str]] = field(default_factory=list)
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines = ["", "Summit demo", ""]
        if self.urls:
            width = max(len(label) for label, _ in self.urls)
            lines += [f"  {label.ljust(width)}  {url}" for label, url in self.urls]
        if self.logins:
            lines += ["", "Demo logins (sign in at /admin/ or the site's sign-in page)", ""]
            w1 = max(len(r) for r, _, _ in self.logins)
            w2 = max(len(e) for _, e, _ in self.logins)
            lines.append(f"  {'Role'.ljust(w1)}  {'E-mail'.ljust(w2)}  Password")
            lines.append(f"  {'-' * w1}  {'-' * w2}  {'-' * 16}")
            lines += [
                f"  {role.ljust(w1)}  {email.ljust(w2)}  {password}" for role, email, password in self.logins
            ]
        for note in self.notes:
            lines += ["", note]
        return "\n".join(lines) + "\n"


def builders() -> list[ModuleType]:
    """The ``demo`` module of every installed Summit app that has one, in ``INSTALLED_APPS`` order."""
    found = []
    for config in apps.get_app_configs():
        if config.name.startswith("summit.") and find_spec(f"{config.name}.demo") is not None:
            module = import_module(f"{config.name}.demo")
            if hasattr(module, "build") or hasattr(module, "sheet"):
                found.append(module)
    return found
