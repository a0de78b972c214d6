"""Entry rules at their boundaries: exactly on the window, one second past it, across time zones and DST."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from summit.entry import rules
from summit.entry.models import EntryRule, Proof
from summit.entry.testing import make_rule

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def proof(kind, taken_at, status=Proof.ACCEPTED):
    return Proof(kind=kind, taken_at=taken_at, status=status)


@pytest.fixture
def journalist(event, categories):
    from summit.registration.testing import make_participant

    return make_participant(event, categories["media"])


def test_seven_days_is_met_to_the_second_and_not_one_second_later(event, categories, journalist):
    rule = make_rule(event, kinds=("test",), category=categories["media"])
    taken = datetime(2027, 11, 1, 9, 0, tzinfo=SHANGHAI)
    exactly = rules.evaluate([rule], [proof("test", taken)], journalist, at=taken + timedelta(days=7))
    assert exactly.allowed and exactly.valid_until == taken + timedelta(days=7)
    late = rules.evaluate([rule], [proof("test", taken)], journalist, at=taken + timedelta(days=7, seconds=1))
    assert not late.allowed and [r.rule for r in late.missing] == [rule]


def test_a_test_taken_after_the_check_in_does_not_count(event, categories, journalist):
    rule = make_rule(event, kinds=("test",))
    taken = datetime(2027, 11, 1, 9, 0, tzinfo=SHANGHAI)
    assert not rules.evaluate(
        [rule], [proof("test", taken)], journalist, at=taken - timedelta(seconds=1)
    ).allowed


def test_windows_are_elapsed_time_across_time_zones_and_summer_time(event, categories, journalist):
    """A test taken in Berlin before summer time begins (31 March 2027) and a check-in in Shanghai: seven days
    are 168 hours whatever the clocks on the wall say."""
    rule = make_rule(event, kinds=("test",))
    taken = datetime(2027, 3, 24, 10, 0, tzinfo=BERLIN)  # CET, UTC+1
    # Seven wall-clock days later in Berlin is 10:00 CEST, only 167 hours later: still valid.
    wall = datetime(2027, 3, 31, 10, 0, tzinfo=BERLIN)
    assert wall.astimezone(UTC) - taken.astimezone(UTC) == timedelta(hours=167)
    assert rules.evaluate([rule], [proof("test", taken)], journalist, at=wall).allowed
    # 168 hours after: the same instant written in Shanghai's time is 17:00 (UTC+8).
    limit = datetime(2027, 3, 31, 17, 0, tzinfo=SHANGHAI)
    assert limit.astimezone(UTC) - taken.astimezone(UTC) == timedelta(days=7)
    # Adding seven days in Berlin's own zone would give the wall-clock time instead: one hour short.
    assert (taken + timedelta(days=7)).astimezone(UTC) == wall.astimezone(UTC)
    assert rules.evaluate([rule], [proof("test", taken)], journalist, at=limit).allowed
    assert not rules.evaluate(
        [rule], [proof("test", taken)], journalist, at=limit + timedelta(seconds=1)
    ).allowed


def test_pcr_and_antigen_default_windows(event, categories, journalist):
    rule = make_rule(event, kinds=("pcr", "antigen"))
    taken = datetime(2027, 11, 5, 8, 0, tzinfo=SHANGHAI)
    at = taken + timedelta(hours=60)
    assert rules.evaluate([rule], [proof("pcr", taken)], journalist, at=at).allowed
    assert not rules.evaluate([rule], [proof("antigen", taken)], journalist, at=at).allowed
    assert rules.evaluate(
        [rule], [proof("antigen", taken)], journalist, at=taken + timedelta(hours=48)
    ).allowed


def test_pending_rejected_or_unaccepted_kinds_do_not_count(event, categories, journalist):
    rule = make_rule(event, kinds=("pcr",))
    taken = datetime(2027, 11, 5, 8, 0, tzinfo=SHANGHAI)
    at = taken + timedelta(hours=1)
    status = rules.evaluate(
        [rule],
        [proof("pcr", taken, Proof.PENDING), proof("pcr", taken, Proof.REJECTED), proof("antigen", taken)],
        journalist,
        at=at,
    )
    assert not status.allowed and status.requirements[0].pending


def test_rules_apply_by_category_and_zone_and_all_must_be_met(event, categories, journalist):
    press = event.zones.create(code="press", name_en="Press centre")
    media_rule = make_rule(event, kinds=("test",), category=categories["media"])
    company_rule = make_rule(event, kinds=("pcr",), category=categories["company"])
    press_rule = make_rule(event, kinds=("identity",), zone=press)
    main = event.zones.get(code="main")
    taken = datetime(2027, 11, 5, 8, 0, tzinfo=SHANGHAI)
    at = taken + timedelta(hours=1)
    all_rules = [media_rule, company_rule, press_rule]
    assert rules.applicable(all_rules, journalist, main) == [media_rule]
    assert rules.applicable(all_rules, journalist, press) == [media_rule, press_rule]
    assert rules.evaluate(all_rules, [proof("test", taken)], journalist, at=at, zone=main).allowed
    in_press = rules.evaluate(all_rules, [proof("test", taken)], journalist, at=at, zone=press)
    assert [r.rule for r in in_press.missing] == [press_rule]
    both = rules.evaluate(
        all_rules, [proof("test", taken), proof("identity", taken)], journalist, at=at, zone=press
    )
    assert both.allowed and both.valid_until == taken + timedelta(days=7)  # the identity check never expires


def test_a_rule_that_accepts_nothing_asks_nothing_and_gate_rules_do_not_block(event, categories, journalist):
    free = make_rule(event, kinds=())
    gate = make_rule(event, kinds=("antigen",), stage=EntryRule.GATE)
    status = rules.evaluate([free, gate], [], journalist, at=datetime(2027, 11, 8, tzinfo=SHANGHAI))
    assert status.allowed and [r.rule for r in status.to_check] == [gate]


def test_the_latest_valid_proof_sets_the_limit(event, categories, journalist):
    rule = make_rule(event, kinds=("test",))
    old = datetime(2027, 11, 1, 9, 0, tzinfo=SHANGHAI)
    new = old + timedelta(days=3)
    status = rules.evaluate(
        [rule], [proof("test", old), proof("test", new)], journalist, at=new + timedelta(hours=1)
    )
    assert status.valid_until == new + timedelta(days=7)
