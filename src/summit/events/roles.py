"""The one place that decides who may do what. Views and the API both ask here.

Roles (design.md §5) are per event: an organizer of event A has no rights on event B. They live with the
event (``EventRole``), so this module is in ``events``, the lowest app that knows events; every app above
asks here.
"""

from __future__ import annotations

from summit.core import rows
from summit.core.errors import Forbidden, NotFound
from summit.events.models import Event, EventRole, Zone

ORGANIZER = "organizer"
ACCREDITATION_OFFICER = "accreditation_officer"
ENTRY_OFFICER = "entry_officer"
GATE_STAFF = "gate_staff"


_ROLES_SQL = (
    f"SELECT r.role, z.zone_id FROM {EventRole._meta.db_table} r"
    f" LEFT OUTER JOIN {EventRole.zones.through._meta.db_table} z ON z.eventrole_id = r.id"
    " WHERE r.user_id = %s AND r.event_id = %s"
)


def _load_roles(user, event) -> None:
    """The user's roles on ``event`` and, for gate staff, their zones: one query, kept on the user object
    for the request."""
    with rows.cursor() as cursor:  # asked on most staff requests: plain SQL, no query building
        cursor.execute(_ROLES_SQL, [user.pk, event.pk])
        _remember_roles(user, event, cursor.fetchall())


def _remember_roles(user, event, found) -> None:
    """Keep ``(role, gate zone id)`` pairs (``role`` None: no role at all) on the user for the request."""
    if getattr(user, "_summit_roles", None) is None:
        user._summit_roles, user._summit_gate_zones = {}, {}
    roles, zones = set(), set()
    for role, zone in found:
        if role is not None:
            roles.add(role)
        if role == GATE_STAFF and zone is not None:
            zones.add(zone)
    user._summit_roles[event.pk] = roles
    user._summit_gate_zones[event.pk] = zones


def scannable_zone(user, event, code: str) -> Zone | None:
    """The event's zone ``code`` if ``user`` may scan at its gates (:func:`can_scan`), else None. Every scan
    asks: one plain statement reads the zone and the user's roles on the event (kept as :func:`event_roles`
    keeps them)."""
    found = rows.fetch(
        f"SELECT {{columns}}, r.role, rz.zone_id FROM {Zone._meta.db_table} z"
        f" LEFT OUTER JOIN {EventRole._meta.db_table} r ON r.event_id = z.event_id AND r.user_id = %s"
        f" LEFT OUTER JOIN {EventRole.zones.through._meta.db_table} rz ON rz.eventrole_id = r.id"
        " WHERE z.event_id = %s AND z.code = %s",
        [user.pk, event.pk, code],
        Zone,
        "z",
    )
    if not found:
        return None
    _remember_roles(user, event, [(role, zone_id) for _zone, role, zone_id in found])
    zone = found[0][0]
    zone.event = event
    return zone if can_scan(user, event, zone) else None


def event_roles(user, event) -> set[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    if event.pk not in (getattr(user, "_summit_roles", None) or {}):
        _load_roles(user, event)
    return user._summit_roles[event.pk]


def is_organizer(user, event) -> bool:
    return bool(getattr(user, "is_superuser", False)) or ORGANIZER in event_roles(user, event)


def can_accredit(user, event) -> bool:
    """Organizers and accreditation officers see and decide on participants."""
    return is_organizer(user, event) or ACCREDITATION_OFFICER in event_roles(user, event)


def is_staff_of(user, event) -> bool:
    return can_accredit(user, event)


def can_review_proofs(user, event) -> bool:
    """Entry officers review health and identity proofs and open their documents. Organizers set the rules
    but see only decisions: a document opens for an entry officer (or a superuser) alone, and each opening
    is in the audit log."""
    return bool(getattr(user, "is_superuser", False)) or ENTRY_OFFICER in event_roles(user, event)


def gate_zone_ids(user, event) -> set[int] | None:
    """The zones whose gates ``user`` may scan at: ``None`` means every zone (organizers), an empty set none.
    Gate staff scan at their own zones only; they never see a proof."""
    if is_organizer(user, event):
        return None
    if GATE_STAFF not in event_roles(user, event):
        return set()
    return set(user._summit_gate_zones[event.pk])


def can_scan(user, event, zone) -> bool:
    zones = gate_zone_ids(user, event)
    return zones is None or zone.pk in zones


def passed_second_factor(user, event) -> bool:
    """Staff of an event that requires a second factor (``Event.staff_two_factor``) act for it only once
    they gave a code in this session (django-otp's ``is_verified``); other events ask nothing more."""
    return not event.staff_two_factor or getattr(user, "is_verified", lambda: False)()


def require(allowed: bool, *, hide: bool = True) -> None:
    """Raise unless allowed. Staff pages of an event the user has no role on are 404, never 403: they leak nothing."""
    if not allowed:
        raise NotFound() if hide else Forbidden()


def organizer_event(request, slug: str) -> Event:
    """The event ``slug`` for a page only its organizers may open; 404 for anyone else (see ``require``)."""
    from summit.events.services import get_event

    event = get_event(slug)
    require(is_organizer(request.user, event))
    return event


def staff_events(user):
    """The events whose back office ``user`` may open (:func:`is_staff_of`)."""
    return _events_with(user, [ORGANIZER, ACCREDITATION_OFFICER])


def gate_events(user):
    """The events whose gates ``user`` may scan at (gate staff, organizers; see :func:`gate_zone_ids`)."""
    return _events_with(user, [ORGANIZER, GATE_STAFF])


def _events_with(user, role_names: list[str]):
    if getattr(user, "is_superuser", False):
        return Event.objects.all()
    if not getattr(user, "is_authenticated", False):
        return Event.objects.none()
    return Event.objects.filter(roles__user=user, roles__role__in=role_names).distinct()


def token_event(request, slug: str, *, staff: bool = False, organizer: bool = False):
    """The event ``slug`` if the API request's token (``request.auth``: an ``accounts.ApiToken``) may see it;
    404 otherwise.

    A token acts on its own event only. ``staff`` requires :func:`can_accredit`, ``organizer`` requires
    :func:`is_organizer`. A missing role is 404 too: the API leaks nothing about events or objects the caller
    may not see.
    """
    token = request.auth
    event = token.event
    if event.slug != slug:
        raise NotFound()
    if staff:
        require(can_accredit(token.user, event))
    if organizer:
        require(is_organizer(token.user, event))
    return event
