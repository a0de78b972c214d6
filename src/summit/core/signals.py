"""Domain signals: how a lower app lets the apps above it react to a change, without importing them
(design.md §11).

An app declares its signals in ``<app>/signals.py``, each with the arguments it sends and what they mean.
The service that makes the change sends the signal *inside its transaction*. Receivers connect in their
app's ``AppConfig.ready()`` with an explicit ``order`` and always run in that order (lowest first): each
does its database work in the sender's transaction, so a receiver that raises rolls the whole change back
and the caller gets the error. Anything outside the database (mail, the live hub, jobs) is queued by the
receiver to run after the commit (``core.mail.send`` and ``core.jobs.enqueue`` already do).

Model signals (``post_save``) are not used for this: bulk and plain-SQL writes bypass them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction


@dataclass(frozen=True)
class Receiver:
    order: int
    name: str
    function: Any


class DomainSignal:
    """A named change with documented arguments; see the module docstring."""

    def __init__(self, name: str, *, arguments: dict[str, str], doc: str = ""):
        self.name = name
        self.arguments = dict(arguments)
        self.__doc__ = doc
        self._receivers: list[Receiver] = []

    def __repr__(self) -> str:
        return f"<DomainSignal {self.name}>"

    def connect(self, function=None, *, order: int):
        """Connect ``function(**arguments)`` to run at ``order``. Usable as ``@signal.connect(order=10)``.

        Two receivers at one order would run in an order nobody chose, so that is refused; connecting the
        same function again changes nothing.
        """

        def add(fn):
            name = f"{fn.__module__}.{fn.__qualname__}"
            for existing in self._receivers:
                if existing.function is fn:
                    return fn
                if existing.order == order:
                    raise ValueError(f"{self.name}: {existing.name} already runs at order {order}")
            self._receivers.append(Receiver(order, name, fn))
            self._receivers.sort(key=lambda r: r.order)
            return fn

        return add(function) if function is not None else add

    def disconnect(self, function) -> None:
        self._receivers = [r for r in self._receivers if r.function is not function]

    @property
    def receivers(self) -> list[Receiver]:
        """The receivers in the order they run."""
        return list(self._receivers)

    def send(self, **arguments) -> list[tuple[str, Any]]:
        """Call every receiver in order with ``arguments`` (exactly the declared ones); return their results.

        Must be called inside the sender's transaction. An exception in a receiver propagates to the sender,
        whose transaction then rolls back.
        """
        if set(arguments) != set(self.arguments):
            missing = sorted(set(self.arguments) - set(arguments))
            extra = sorted(set(arguments) - set(self.arguments))
            raise TypeError(f"{self.name}: missing {missing}, unexpected {extra}")
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError(f"{self.name} must be sent inside the transaction that makes the change")
        return [(r.name, r.function(**arguments)) for r in self._receivers]
