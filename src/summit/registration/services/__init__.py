"""Every state change of registration goes through one function here (design.md §2).

Views, the REST API, management commands and tests call these functions; each completes inside one
transaction or raises a :class:`summit.core.errors.SummitError`. The functions live in one module per area
and are all importable from here (``from summit.registration import services``):

- ``people``: checking and normalising a person's data, organizations, categories;
- ``registering``: ``register`` (form, API, CSV import) and ``update_participant``;
- ``decisions``: ``decide`` / ``decide_many``, ``cancel``, ``switch_mode``;
- ``quota``: the on-site quota of each category and its waitlist;
- ``invitations``: invitation codes;
- ``links``: sign-in links and the mails that carry them, the participant behind an API token;
- ``listing``: the participant list with its filters.

On-site quota rules (per category):
- the quota counts *approved on-site* participants;
- an on-site applicant who registers while the quota is full lands on the waitlist (FIFO position);
- approving someone on-site past the quota is refused;
- when an approved on-site participant leaves that state (cancels, switches online, is rejected or
  waitlisted) the first waitlisted person of the category is promoted in the same transaction: to
  *approved* when the category needs no approval, otherwise to *submitted* (back to the review queue).
"""

from summit.core.errors import ValidationFailed
from summit.registration.services.decisions import (
    DECISION_STATUSES,
    cancel,
    check_decision,
    decide,
    decide_many,
    switch_mode,
)
from summit.registration.services.invitations import (
    INVITATION_ACTIVE,
    INVITATION_EXPIRED,
    INVITATION_REVOKED,
    INVITATION_USED_UP,
    MAX_INVITATION_USES,
    check_invitation,
    create_invitation,
    expire_invitation,
    invitation_link,
    invitation_state,
    invitation_state_labels,
    revoked_invitation_ids,
)
from summit.registration.services.links import (
    authenticate_token,
    issue_magic_link,
    link_participant,
    own_registration,
    request_magic_link,
    safe_next_path,
    send_status_mail,
)
from summit.registration.services.listing import filter_participants, overview, status_counts
from summit.registration.services.people import (
    PARTICIPANT_FIELDS,
    PERSON_FIELDS,
    FieldError,
    clean_person,
    field_label,
    get_category,
    raise_if_errors,
    resolve_country,
    to_latin,
)
from summit.registration.services.quota import initial_status, onsite_full, onsite_taken
from summit.registration.services.registering import Entry, add_participants, register, update_participant

__all__ = [
    "own_registration",
    "DECISION_STATUSES",
    "INVITATION_ACTIVE",
    "INVITATION_EXPIRED",
    "INVITATION_REVOKED",
    "INVITATION_USED_UP",
    "MAX_INVITATION_USES",
    "PARTICIPANT_FIELDS",
    "PERSON_FIELDS",
    "Entry",
    "FieldError",
    "ValidationFailed",
    "add_participants",
    "authenticate_token",
    "cancel",
    "check_decision",
    "check_invitation",
    "clean_person",
    "create_invitation",
    "decide",
    "decide_many",
    "expire_invitation",
    "field_label",
    "filter_participants",
    "get_category",
    "initial_status",
    "invitation_link",
    "invitation_state",
    "invitation_state_labels",
    "issue_magic_link",
    "link_participant",
    "onsite_full",
    "onsite_taken",
    "raise_if_errors",
    "register",
    "request_magic_link",
    "resolve_country",
    "revoked_invitation_ids",
    "safe_next_path",
    "send_status_mail",
    "overview",
    "status_counts",
    "switch_mode",
    "to_latin",
    "update_participant",
]
