"""Who watched a session online (``Attendance``) and how many watch it now (the viewer count).

**Attendance** (sync services, called by the live transport from a thread): a participant's connection to
a session's live room opens a visit (:func:`join`) and its end closes it (:func:`leave`). While it is open,
its process refreshes ``seen_at`` every ``LIVE_HEARTBEAT_SECONDS`` (:func:`heartbeat`); a process that
crashed cannot close its visits, so :func:`close_stale` (run when a serving process starts and on each of
its heartbeats) closes every open visit not seen for ``3 × LIVE_HEARTBEAT_SECONDS``, at its last sign of
life. Anonymous viewers of public sessions have no visit (there is nobody to report).

**Viewer count**: every connection counts, anonymous ones included. Each process counts its own
connections per session; without Redis that is the count. With Redis (``SUMMIT_REDIS_URL``) each process
also writes its count into one hash per session, one field per process (``<count>:<unix time>``, rewritten
on every change and every heartbeat; the hash expires when nobody refreshes it), and the count is the sum
of the fields refreshed within ``3 × LIVE_HEARTBEAT_SECONDS`` — a dead process's field stops counting and
is removed. :func:`viewer_count` reads it for pages and the API. When a process's connections to a session
change, the process publishes ``{"kind": "viewers", "count": n}`` on ``session:<id>``, at most once per
second per session (changes within the second are sent together).

**Reports**: :func:`attendance_rows` (one session) and :func:`event_attendance` (the whole event) give one
row per visit for the organizers' CSV/XLSX downloads and the API.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from summit.core import live
from summit.core.tables import csv_chunks, xlsx_bytes
from summit.events.models import Event
from summit.live.models import Attendance
from summit.program.models import Session
from summit.registration.models import Participant

# --- attendance -------------------------------------------------------------------------------------------


def stale_after() -> timedelta:
    """An open visit not refreshed for this long belongs to a dead process."""
    return timedelta(seconds=3 * settings.LIVE_HEARTBEAT_SECONDS)


def join(*, session_id: int, participant: Participant) -> Attendance:
    """Open a visit of ``participant`` to the live room of session ``session_id``."""
    now = timezone.now()
    return Attendance.objects.create(
        session_id=session_id, participant=participant, joined_at=now, seen_at=now
    )


def leave(*, attendance_id: int) -> bool:
    """Close a visit (once: a visit already closed keeps its time). Returns whether it was open."""
    now = timezone.now()
    return bool(
        Attendance.objects.filter(pk=attendance_id, left_at__isnull=True).update(left_at=now, seen_at=now)
    )


def heartbeat(attendance_ids) -> int:
    """This process's open visits are alive: refresh their ``seen_at`` (one statement)."""
    ids = list(attendance_ids)
    if not ids:
        return 0
    return Attendance.objects.filter(pk__in=ids, left_at__isnull=True).update(seen_at=timezone.now())


def close_stale(*, now: datetime | None = None) -> int:
    """Close the open visits whose process stopped refreshing them, at the last time they were seen (one
    statement; a visit never refreshed closes at its join time)."""
    cutoff = (now or timezone.now()) - stale_after()
    stale = Attendance.objects.filter(left_at__isnull=True).filter(
        Q(seen_at__lt=cutoff) | Q(seen_at__isnull=True, joined_at__lt=cutoff)
    )
    return stale.update(left_at=Coalesce("seen_at", "joined_at"))


# --- reports ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceRow:
    participant_id: int
    name: str
    name_latin: str
    email: str
    organization: str
    session_id: int
    session: str
    joined: datetime  # in the event's time zone
    left: datetime | None  # None: still watching
    minutes: int

    def as_list(self) -> list:
        return [
            self.name,
            self.name_latin,
            self.email,
            self.organization,
            self.session_id,
            self.session,
            self.joined,
            self.left,
            self.minutes,
        ]


def columns() -> list[str]:
    return [
        _("Name"),
        _("Name (Latin)"),
        _("E-mail"),
        _("Organization"),
        _("Session ID"),
        _("Session"),
        _("Joined"),
        _("Left"),
        _("Minutes"),
    ]


def _rows(queryset, tz: ZoneInfo, now: datetime) -> Iterator[AttendanceRow]:
    for visit in queryset.select_related("participant", "participant__organization", "session").order_by(
        "session__start", "session_id", "joined_at", "id"
    ):
        p = visit.participant
        end = visit.left_at or now
        yield AttendanceRow(
            participant_id=p.pk,
            name=p.native_name,
            name_latin=p.latin_name,
            email=p.email,
            organization=p.organization.name if p.organization else "",
            session_id=visit.session_id,
            session=visit.session.tr_title,
            joined=timezone.localtime(visit.joined_at, tz),
            left=timezone.localtime(visit.left_at, tz) if visit.left_at else None,
            minutes=max(0, round((end - visit.joined_at).total_seconds() / 60)),
        )


def attendance_rows(session: Session) -> list[AttendanceRow]:
    """The visits of one session's live room, first joined first (an open visit counts until now)."""
    tz = ZoneInfo(session.event.time_zone)
    return list(_rows(Attendance.objects.filter(session=session), tz, timezone.now()))


def event_attendance(event: Event) -> list[AttendanceRow]:
    """The visits of every live room of ``event``, session by session (one query)."""
    tz = ZoneInfo(event.time_zone)
    return list(_rows(Attendance.objects.filter(session__event=event), tz, timezone.now()))


def attendance_csv(event: Event) -> Iterator[str]:
    return csv_chunks(columns(), (row.as_list() for row in event_attendance(event)))


def attendance_xlsx(event: Event) -> bytes:
    return xlsx_bytes(columns(), (row.as_list() for row in event_attendance(event)), title=_("Attendance"))


# --- viewer count -----------------------------------------------------------------------------------------


VIEWERS_PER_SECOND = 500  # the count's messages a session's publishes may cost per second, at most


def viewers_topic(session_id: int) -> str:
    return f"session:{session_id}"


class ViewerCounter:
    """This process's connections per session, shared through Redis when the hub is a ``RedisHub``."""

    def __init__(self, hub: live.Hub):
        self.hub = hub
        self.local: dict[int, int] = {}
        self.field = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lock = threading.Lock()
        self._redis = None
        self.url = getattr(hub, "url", None)
        self.prefix = getattr(hub, "prefix", "summit:live:")
        # Publishing throttle, per session: last publish (monotonic), last count published, pending task.
        self._last: dict[int, float] = {}
        self._published: dict[int, int] = {}
        self._pending: dict[int, asyncio.Task] = {}
        self._dirty: set[int] = set()  # sessions whose count changed since it was last written to Redis
        self._others: dict[int, int] = {}  # the other processes' connections, as last read

    @property
    def shared(self) -> bool:
        return self.url is not None

    def key(self, session_id: int) -> str:
        return f"{self.prefix}viewers:{session_id}"

    def _client(self):
        if self._redis is None:
            import redis

            self._redis = redis.Redis.from_url(self.url, client_name="summit-live")
        return self._redis

    def _write(self, session_id: int, count: int) -> None:
        client = self._client()
        key = self.key(session_id)
        ttl = 3 * settings.LIVE_HEARTBEAT_SECONDS
        pipe = client.pipeline(transaction=False)
        if count:
            pipe.hset(key, self.field, f"{count}:{int(time.time())}")
        else:
            pipe.hdel(key, self.field)
        pipe.expire(key, ttl)
        pipe.execute()

    def change(self, session_id: int, delta: int) -> int:
        """Count a connection in (+1) or out (-1); returns this process's count for the session. In memory
        only, so that a crowd joining costs no thread and no Redis write per connection: the shared count
        is written by :meth:`flush` (before each count read and publish, at most once per
        ``LIVE_VIEWERS_SECONDS``, and on every heartbeat)."""
        with self._lock:
            count = max(0, self.local.get(session_id, 0) + delta)
            if count:
                self.local[session_id] = count
            else:
                self.local.pop(session_id, None)
            if self.shared:
                self._dirty.add(session_id)
        return count

    def flush(self) -> None:
        """Write this process's changed counts into Redis (sync: call it from a thread)."""
        if not self.shared:
            return
        with self._lock:
            for session_id in self._dirty:
                self._write(session_id, self.local.get(session_id, 0))
            self._dirty.clear()

    def refresh(self) -> None:
        """Rewrite this process's fields (with the time) so that they keep counting (each heartbeat)."""
        if not self.shared:
            return
        with self._lock:
            for session_id in self._dirty - self.local.keys():
                self._write(session_id, 0)
            for session_id, count in self.local.items():
                self._write(session_id, count)
            self._dirty.clear()

    def estimate(self, session_id: int) -> int:
        """The count without asking Redis: the other processes' connections as last read, plus this
        process's now (for a new connection's welcome; the published count follows within seconds)."""
        with self._lock:
            return self._others.get(session_id, 0) + self.local.get(session_id, 0)

    def count(self, session_id: int) -> int:
        if not self.shared:
            return self.local.get(session_id, 0)
        self.flush()
        client = self._client()
        key = self.key(session_id)
        fresh_after = time.time() - 3 * settings.LIVE_HEARTBEAT_SECONDS
        total, own, dead = 0, 0, []
        for field, value in client.hgetall(key).items():
            count, _sep, stamp = value.decode().partition(":")
            try:
                alive = float(stamp) >= fresh_after
            except ValueError:
                alive = False
            if alive:
                total += int(count)
                if field.decode() == self.field:
                    own = int(count)
            else:
                dead.append(field)
        if dead:
            client.hdel(key, *dead)
        with self._lock:
            self._others[session_id] = total - own
        return total

    def interval(self, session_id: int) -> float:
        """Seconds between two publishes of the session's count: ``LIVE_VIEWERS_SECONDS``, or longer for a
        large audience, since each publish is a message to every viewer (one second per
        ``VIEWERS_PER_SECOND`` viewers: ten thousand watching get the count every twenty seconds)."""
        return max(float(settings.LIVE_VIEWERS_SECONDS), self.estimate(session_id) / VIEWERS_PER_SECOND)

    async def changed(self, session_id: int) -> None:
        """Publish the session's count, now or once :meth:`interval` has passed since the last publish (on
        the hub's loop; a change meanwhile joins the pending publish)."""
        pending = self._pending.get(session_id)
        if pending is not None and not pending.done():
            return
        wait = max(0.0, self._last.get(session_id, 0.0) + self.interval(session_id) - time.monotonic())
        task = asyncio.get_running_loop().create_task(self._publish_later(session_id, wait))
        self._pending[session_id] = task

    async def _publish_later(self, session_id: int, wait: float) -> None:
        try:
            if wait:
                await asyncio.sleep(wait)
            self._last[session_id] = time.monotonic()
            count = await asyncio.to_thread(self.count, session_id) if self.shared else self.count(session_id)
            if self._published.get(session_id) != count:
                self._published[session_id] = count
                await self.hub.publish(viewers_topic(session_id), {"kind": "viewers", "count": count})
        finally:
            self._pending.pop(session_id, None)

    async def aclose(self) -> None:
        for task in list(self._pending.values()):
            task.cancel()
        if self._redis is not None:
            self._redis.close()
            self._redis = None


_counters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_counters_lock = threading.Lock()


def counter(hub: live.Hub | None = None) -> ViewerCounter:
    """The viewer counter of ``hub`` (the process's hub by default)."""
    hub = hub or live.get_hub()
    with _counters_lock:
        found = _counters.get(hub)
        if found is None:
            found = _counters[hub] = ViewerCounter(hub)
        return found


def viewer_count(session_id: int) -> int:
    """How many connections watch session ``session_id``'s live room now (every process with Redis)."""
    return counter().count(session_id)
