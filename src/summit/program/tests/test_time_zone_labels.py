"""Times name the event's zone as the reader says it, with its offset, never the raw id ("Asia/Shanghai"), and
Chinese text uses full-width brackets only."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from summit.core.i18n import utc_offset, zone_label
from summit.program.testing import make_forum, make_session

pytestmark = pytest.mark.django_db


def visible_text(html: str) -> str:
    """The page's text without tags and attribute values (data-event-tz keeps the id for the script)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_zone_labels_in_both_languages():
    winter = datetime(2027, 1, 15, 12, tzinfo=UTC)
    summer = datetime(2027, 7, 15, 12, tzinfo=UTC)
    assert zone_label("Asia/Shanghai", winter, "en") == "China Standard Time (UTC+8)"
    assert zone_label("Asia/Shanghai", winter, "zh-hans") == "中国标准时间（UTC+8）"
    assert zone_label("Asia/Shanghai", winter, "zh-hans", inline=True) == "中国标准时间 UTC+8"
    assert zone_label("Europe/Berlin", summer, "en") == "Central European Summer Time (UTC+2)"
    assert utc_offset(winter.astimezone(ZoneInfo("Asia/Kolkata"))) == "UTC+5:30"
    assert utc_offset(winter.astimezone(ZoneInfo("America/St_Johns"))) == "UTC-3:30"
    assert utc_offset(winter) == "UTC"


@pytest.mark.parametrize(
    "language, expected",
    [("en", "China Standard Time (UTC+8)"), ("zh-hans", "中国标准时间（UTC+8）")],
)
def test_program_and_session_pages_name_the_zone(client, event, language, expected):
    session = make_session(event, make_forum(event))
    for page in (
        reverse("program:index", args=[event.slug]),
        reverse("program:session", args=[event.slug, session.pk]),
        reverse("events:home", args=[event.slug]),
    ):
        html = client.get(page, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        text = visible_text(html)
        assert "Asia/Shanghai" not in text, page
        assert expected in text, page
        if language == "zh-hans":
            line = re.search(r'<span class="when".*?</span></span>', html, re.S)
            if line:
                assert "(" not in visible_text(line.group(0)) and ")" not in visible_text(line.group(0))


def test_back_office_pages_name_the_zone(organizer_client, event):
    session = make_session(event, make_forum(event))
    pages = [
        reverse("program_manage:sessions", args=[event.slug]),
        reverse("program_manage:session", args=[event.slug, session.pk]),
        reverse("program_manage:session_edit", args=[event.slug, session.pk]),
        reverse("manage:invitations", args=[event.slug]),
    ]
    for page in pages:
        text = visible_text(organizer_client.get(page).content.decode())
        assert "Asia/Shanghai" not in text, page
        assert "China Standard Time" in text, page
    with translation.override("zh-hans"):
        assert event.tr_time_zone == "中国标准时间（UTC+8）"
