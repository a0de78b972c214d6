"""How entry reacts to registration changes (domain signals, ``core/signals.py``).

Connected in ``EntryConfig.ready()``; each runs inside the registration change's transaction. A badge only
opens gates for someone holding an on-site place: when that place ends (the approval ends, or the person
switches to online attendance), every badge revision of theirs is revoked, so gates refuse it at once online
and from their next package offline.
"""

from __future__ import annotations

from summit.entry.services import badges
from summit.registration.models import Participant
from summit.registration.signals import participant_mode_changed, participant_status_changed


@participant_status_changed.connect(order=20)
def revoke_on_status(*, event, changes, actor, base_url):
    revoked = 0
    for change in changes:
        if change.old == Participant.APPROVED and change.new != Participant.APPROVED:
            revoked += badges.revoke_badges(participant=change.participant, actor=actor)
    return revoked


@participant_mode_changed.connect(order=20)
def revoke_on_mode(*, event, participant, old, new, actor, base_url):
    if new == Participant.ONLINE:
        return badges.revoke_badges(participant=participant, actor=actor)
    return 0
