"""The demo event: the World Internet Conference Wuzhen Summit 2027, its venue, zones, rooms and staff logins.

Part of ``summit demo`` (``core/demo.py``): leaves ``demo.event`` and ``demo.staff`` (users by e-mail) for the
apps above.
"""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from summit.events.models import Event, EventRole, Room, Venue, Zone

SLUG = "wic2027"

# (role, e-mail, default password). SUMMIT_DEMO_PASSWORD replaces all four passwords.
LOGINS = [
    ("Organizer", "organizer@summit.example", "summit-organizer"),
    ("Accreditation officer", "officer@summit.example", "summit-officer"),
    ("Superuser (admin)", "admin@summit.example", "summit-admin"),
    ("Delegate (company, approved)", "delegate@summit.example", "summit-delegate"),
]

ZONES = [
    ("main-hall", "Main hall", "主会场"),
    ("forums", "Sub-forums", "分论坛"),
    ("expo", "Light of Internet Expo", "互联网之光博览会"),
    ("press-centre", "Press centre", "新闻中心"),
    ("vip-lounge", "VIP lounge", "贵宾休息室"),
]

ROOMS = [
    ("Main Hall", "主会场", 1200, "main-hall"),
    ("Sub-forum Hall A", "分论坛A厅", 400, "forums"),
    ("Sub-forum Hall B", "分论坛B厅", 300, "forums"),
    ("Sub-forum Hall C", "分论坛C厅", 200, "forums"),
    ("Sub-forum Hall D", "分论坛D厅", 120, "forums"),
    ("Press Centre", "新闻中心", 250, "press-centre"),
    ("Expo Hall 1", "1号展馆", 3000, "expo"),
    ("Expo Hall 2", "2号展馆", 2500, "expo"),
    ("VIP Lounge", "贵宾室", 80, "vip-lounge"),
]


# Invented organizations: (type, name in its own script, Latin form, country).
def demo_passwords() -> dict[str, str]:
    override = os.environ.get("SUMMIT_DEMO_PASSWORD")
    return {email: override or default for _, email, default in LOGINS}


def has_data() -> bool:
    return Event.objects.exists()


def exists() -> bool:
    return Event.objects.filter(slug=SLUG).exists()


def build(demo) -> None:
    tz = ZoneInfo("Asia/Shanghai")
    venue = Venue.objects.create(
        name_en="Wuzhen Internet International Convention Center",
        name_zh="乌镇互联网国际会展中心",
        address="Wuzhen, Tongxiang, Jiaxing, Zhejiang, China",
        city="Wuzhen",
        city_zh="乌镇",
    )
    demo.event = event = Event.objects.create(
        slug=SLUG,
        name_en="World Internet Conference Wuzhen Summit 2027",
        name_zh="2027年世界互联网大会乌镇峰会",
        description_en=(
            "Three days of plenary sessions, sub-forums and the Light of Internet Expo in the water town of "
            "Wuzhen: governments, international organizations, companies, researchers and media discuss "
            "building a community with a shared future in cyberspace."
        ),
        description_zh="在水乡乌镇举行为期三天的全体会议、分论坛和互联网之光博览会，"
        "各国政府、国际组织、企业、科研机构和媒体共商携手构建网络空间命运共同体。",
        start=datetime(2027, 11, 8, 9, 0, tzinfo=tz),
        end=datetime(2027, 11, 10, 18, 0, tzinfo=tz),
        time_zone="Asia/Shanghai",
        venue=venue,
    )
    zones = {
        code: Zone.objects.create(event=event, code=code, name_en=en, name_zh=zh) for code, en, zh in ZONES
    }
    Room.objects.bulk_create(
        Room(event=event, name_en=en, name_zh=zh, capacity=cap, zone=zones[z]) for en, zh, cap, z in ROOMS
    )
    demo.staff = _staff(event)
    demo.summary.append(f"“{event.name_en}”")


def _staff(event) -> dict:
    User = get_user_model()
    passwords = demo_passwords()
    users = {}
    for _role, email, _default in LOGINS:
        user = User.objects.filter(email=email).first() or User(email=email)
        user.set_password(passwords[email])
        user.is_active = True
        if email.startswith("admin@"):
            user.is_staff = user.is_superuser = True
            user.name = "Summit Admin"
        user.save()
        users[email] = user
    organizer, officer = users["organizer@summit.example"], users["officer@summit.example"]
    organizer.name, officer.name = "周敏 (Zhou Min)", "Amina Okafor"
    User.objects.filter(pk=organizer.pk).update(name=organizer.name)
    User.objects.filter(pk=officer.pk).update(name=officer.name)
    EventRole.objects.create(event=event, user=organizer, role=EventRole.ORGANIZER)
    EventRole.objects.create(event=event, user=officer, role=EventRole.ACCREDITATION_OFFICER)
    return users


def sheet(sheet, site: str) -> None:
    if not exists():
        sheet.urls.append(("Home", f"{site}/"))
        sheet.notes.append(f"(the demo event “{SLUG}” is not in this database)")
        return
    sheet.urls += [("Home", f"{site}/"), ("Event page", f"{site}/events/{SLUG}/")]
    passwords = demo_passwords()
    sheet.logins += [(role, email, passwords[email]) for role, email, _ in LOGINS]
