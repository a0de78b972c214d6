"""Domain signals (core/signals.py): receivers run in their order, inside the sender's transaction."""

from __future__ import annotations

import pytest
from django.db import transaction

from summit.core.signals import DomainSignal


def make_signal():
    return DomainSignal("thing_happened", arguments={"thing": "what happened"})


@pytest.mark.django_db
def test_receivers_run_in_their_order_not_the_order_they_connected():
    signal, calls = make_signal(), []

    @signal.connect(order=20)
    def second(*, thing):
        calls.append(("second", thing))
        return "b"

    @signal.connect(order=10)
    def first(*, thing):
        calls.append(("first", thing))
        return "a"

    with transaction.atomic():
        results = signal.send(thing="x")

    assert calls == [("first", "x"), ("second", "x")]
    assert [value for _name, value in results] == ["a", "b"]
    assert [r.order for r in signal.receivers] == [10, 20]


def test_two_receivers_at_one_order_are_refused():
    signal = make_signal()
    signal.connect(lambda *, thing: None, order=10)
    with pytest.raises(ValueError, match="order 10"):
        signal.connect(lambda *, thing: None, order=10)


@pytest.mark.django_db
def test_undeclared_or_missing_arguments_are_refused():
    signal = make_signal()
    with transaction.atomic():
        with pytest.raises(TypeError, match="missing"):
            signal.send()
        with pytest.raises(TypeError, match="unexpected"):
            signal.send(thing=1, other=2)


@pytest.mark.django_db(transaction=True)
def test_a_signal_outside_a_transaction_is_refused():
    """A receiver's writes must commit or roll back with the change that caused them."""
    with pytest.raises(RuntimeError, match="inside the transaction"):
        make_signal().send(thing="x")


def test_connecting_the_same_function_twice_connects_it_once():
    signal = make_signal()

    def receiver(*, thing):
        return thing

    signal.connect(receiver, order=10)
    signal.connect(receiver, order=10)
    assert len(signal.receivers) == 1
