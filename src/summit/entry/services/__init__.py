"""Every state change of the entry app, one module per area (``from summit.entry import services``):

- ``proofs``: entry rules, badge access per category, proofs and their review;
- ``badges``: the event's signing key, badge revisions and tokens;
- ``photos``: badge photos, re-encoded without their metadata;
- ``gates``: checking tokens, recording scans online, merging offline scans, occupancy;
- ``privacy``: purging health data, a person's own data, erasure.
"""

from summit.entry.services import badges, gates, photos, privacy, proofs

__all__ = ["badges", "gates", "photos", "privacy", "proofs"]
