"""A pre-recorded video broadcast at a set instant, watched in Debian's Chromium: every viewer stands at the
second the server's clock gives, a skip ahead is put back, the interpretation language is chosen in the
player and remembered, the end of the broadcast; the page passes axe-core and works by keyboard."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from summit.events.testing import make_event, make_staff
from summit.live import streams
from summit.live.video_testing import make_video, upload_of
from summit.program.testing import make_session
from summit.registration.testing import make_standard_categories

from .conftest import assert_no_serious_axe

pytestmark = pytest.mark.django_db(transaction=True)

SECONDS = 20

PLAYING = """() => {
  const v = document.querySelector('[data-player] video');
  return !!v && v.readyState >= 2 && !v.paused && v.currentTime > 0;
}"""
# Where the video stands, and where the broadcast stands by this browser's own clock (the test's clock: both
# run on this machine, unless the page's clock is made wrong on purpose).
POSITION = "() => document.querySelector('[data-player] video').currentTime"
HLS_AUDIO = "() => document.querySelector('[data-player]').summitPlayer.hls.audioTrack"


@pytest.fixture
def broadcast(tmp_path):
    event = make_event("wic")
    make_standard_categories(event)
    organizer = make_staff(event, "organizer", "organizer@example.org")
    session = make_session(event, title_en="Opening address", title_zh="开幕致辞")
    video = make_video(
        tmp_path / "opening.mp4", seconds=SECONDS, languages=("eng", "chi"), subtitles=("eng", "chi")
    )
    stage = streams.attach_video(
        session=session,
        actor=organizer,
        upload=upload_of(video),
        access="public",
        stream_kind="broadcast",
        broadcast_start=timezone.now() + timedelta(days=1),
    )
    assert stage.video_hls, "the packaging job ran"

    def start_at(offset_seconds: float, **extra):
        """Moves the broadcast so that it started ``offset_seconds`` ago; returns the start in epoch s."""
        start = timezone.now() - timedelta(seconds=offset_seconds)
        streams.save_stage(session=session, actor=organizer, broadcast_start=start, **extra)
        return start.timestamp()

    return {"event": event, "session": session, "start_at": start_at}


def live_position(start: float) -> float:
    return timezone.now().timestamp() - start


def open_room(page, broadcast):
    session = broadcast["session"]
    page.goto(f"/events/{session.event.slug}/sessions/{session.pk}/live/")
    page.wait_for_function(PLAYING, timeout=15000)


def test_every_viewer_stands_at_the_live_second(new_page, broadcast):
    start = broadcast["start_at"](5)
    page = new_page()
    open_room(page, broadcast)
    # Shortly after the page loaded, the video stands at the broadcast's second (5 s and the load time).
    position = page.evaluate(POSITION)
    assert position == pytest.approx(live_position(start), abs=1.0)
    assert 4 <= position <= 9

    # Skipping ahead is put back to the live second.
    page.evaluate("() => { const v = document.querySelector('[data-player] video'); v.currentTime += 6; }")
    page.wait_for_timeout(1200)
    assert page.evaluate(POSITION) == pytest.approx(live_position(start), abs=1.0)
    assert "cannot be skipped" in page.locator("#player-status").inner_text()

    # Paused for three seconds, the video resumes at the live second, not where it stopped.
    page.evaluate("() => document.querySelector('[data-player] video').pause()")
    page.wait_for_timeout(3000)
    page.evaluate("() => document.querySelector('[data-player] video').play()")
    page.wait_for_function(PLAYING)
    page.wait_for_timeout(700)
    assert page.evaluate(POSITION) == pytest.approx(live_position(start), abs=1.0)


def test_a_wrong_computer_clock_does_not_move_the_broadcast(new_page, broadcast):
    start = broadcast["start_at"](4)
    page = new_page()
    # This browser's clock is ten minutes fast: the player goes by the server's clock all the same.
    page.add_init_script("(() => { const real = Date.now; Date.now = () => real() + 600000; })()")
    open_room(page, broadcast)
    assert page.evaluate(POSITION) == pytest.approx(live_position(start), abs=1.0)


def test_the_viewer_chooses_the_interpretation_and_it_is_remembered(new_page, broadcast):
    broadcast["start_at"](3)
    page = new_page()
    open_room(page, broadcast)
    choice = page.locator("#player-audio")
    page.wait_for_function("() => document.querySelectorAll('#player-audio option').length === 2")
    assert choice.is_visible()
    labels = page.eval_on_selector_all("#player-audio option", "(os) => os.map((o) => o.textContent)")
    assert sorted(labels) == ["Chinese", "English"]
    # The page is in English: the English channel plays first.
    english = page.eval_on_selector(
        "#player-audio", "(s) => [...s.options].find((o) => o.textContent === 'English').value"
    )
    chinese = page.eval_on_selector(
        "#player-audio", "(s) => [...s.options].find((o) => o.textContent === 'Chinese').value"
    )
    assert choice.input_value() == english and page.evaluate(HLS_AUDIO) == int(english)

    choice.select_option(label="Chinese")
    page.wait_for_function(f"() => ({HLS_AUDIO[6:]}) === {int(chinese)}")
    assert page.evaluate("() => localStorage.getItem('summit.live.audio')") == "zh"
    # The Chinese rendition is what plays: hls.js loads its playlist.
    page.wait_for_function(
        "() => { const h = document.querySelector('[data-player]').summitPlayer.hls;"
        " const t = h.audioTracks[h.audioTrack]; return t.lang === 'chi' && !!t.details; }"
    )

    # Back on the page later, the choice is remembered.
    page.reload()
    page.wait_for_function(PLAYING)
    page.wait_for_function("() => document.querySelectorAll('#player-audio option').length === 2")
    assert page.locator("#player-audio").input_value() == chinese
    assert page.evaluate(HLS_AUDIO) == int(chinese)


SUBTITLE_TRACK = "() => document.querySelector('[data-player]').summitPlayer.hls.subtitleTrack"
SHOWN_CUE = """() => {
  const video = document.querySelector('[data-player] video');
  for (const track of video.textTracks) {
    if (track.mode === 'showing' && track.activeCues && track.activeCues.length) return track.activeCues[0].text;
  }
  return null;
}"""


def test_captions_are_shown_and_chosen_in_the_player(new_page, broadcast):
    broadcast["start_at"](3)
    page = new_page()
    open_room(page, broadcast)
    page.wait_for_function("() => document.querySelectorAll('#player-subtitles option').length === 3")
    labels = page.eval_on_selector_all("#player-subtitles option", "(os) => os.map((o) => o.textContent)")
    assert labels[0] == "Off" and sorted(labels[1:]) == ["Chinese", "English"]
    # On an English page the English captions show, at the video's second.
    # The cue and the video's position are read at the same moment: each cue shows for 0.9 s of its second,
    # so reading them one after the other could fall in the gap between two cues.
    cue, position = page.wait_for_function(
        f"() => {{ const cue = ({SHOWN_CUE})(); return cue && cue.startsWith('eng ') ? [cue, ({POSITION})()] : null; }}",
        timeout=10000,
    ).json_value()
    assert abs(int(cue.split()[1]) - position) <= 1.5
    page.locator("#player-subtitles").select_option(label="Chinese")
    page.wait_for_function(f"() => ({SHOWN_CUE})()?.startsWith('chi ')", timeout=10000)
    page.locator("#player-subtitles").select_option(label="Off")
    page.wait_for_function(f"() => ({SUBTITLE_TRACK[6:]}) === -1")
    page.wait_for_function(f"() => ({SHOWN_CUE})() === null")


def test_a_chinese_page_starts_with_the_chinese_channel(new_page, broadcast):
    broadcast["start_at"](3)
    page = new_page(locale="zh-CN", mobile=True)
    session = broadcast["session"]
    page.goto(f"/events/{session.event.slug}/sessions/{session.pk}/live/")
    assert page.evaluate("document.documentElement.lang").lower() == "zh-hans"
    page.wait_for_function(PLAYING, timeout=15000)
    page.wait_for_function("() => document.querySelectorAll('#player-audio option').length === 2")
    assert (
        page.evaluate(
            "() => { const h = document.querySelector('[data-player]').summitPlayer.hls;"
            " return h.audioTracks[h.audioTrack].lang; }"
        )
        == "chi"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_serious_axe(page)


def test_before_the_start_the_page_counts_down(new_page, broadcast):
    broadcast["start_at"](-120)
    page = new_page()
    session = broadcast["session"]
    page.goto(f"/events/{session.event.slug}/sessions/{session.pk}/live/")
    countdown = page.locator("[data-countdown]")
    countdown.wait_for(state="visible")
    assert "The broadcast starts in 0:01:5" in countdown.inner_text() or "0:02:00" in countdown.inner_text()
    assert not page.locator("[data-player] video").is_visible()
    assert_no_serious_axe(page)


def test_after_the_end_the_broadcast_is_over_or_a_replay(new_page, broadcast):
    broadcast["start_at"](SECONDS + 30)
    page = new_page()
    session = broadcast["session"]
    url = f"/events/{session.event.slug}/sessions/{session.pk}/live/"
    page.goto(url)
    page.wait_for_function(
        "() => document.querySelector('#player-status').textContent.includes('The broadcast has ended.')"
    )
    assert not page.locator("[data-player] video").is_visible()

    broadcast["start_at"](SECONDS + 30, replay=True)
    page.goto(url)
    page.wait_for_function("() => document.querySelector('#player-status').textContent.includes('replay')")
    video = page.locator("[data-player] video")
    video.wait_for(state="visible")
    # A replay may be watched from anywhere: a seek stays where the viewer put it.
    page.wait_for_function("() => document.querySelector('[data-player] video').readyState >= 1")
    page.evaluate("() => { document.querySelector('[data-player] video').currentTime = 12; }")
    page.wait_for_timeout(800)
    assert page.evaluate(POSITION) >= 11.5


def test_the_live_page_passes_axe_and_works_by_keyboard(new_page, broadcast):
    broadcast["start_at"](3)
    page = new_page()
    open_room(page, broadcast)
    page.wait_for_function("() => document.querySelectorAll('#player-audio option').length === 2")
    assert_no_serious_axe(page)
    # The keyboard reaches the language choice, shows where it is and changes the channel.
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "player-audio":
            break
    else:
        pytest.fail("Tab never reached the language choice")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    before = page.evaluate(HLS_AUDIO)
    page.keyboard.press("ArrowDown" if before == 0 else "ArrowUp")
    page.wait_for_function(f"() => ({HLS_AUDIO[6:]}) !== {before}")


def test_the_player_and_the_settings_page_pass_the_policy(new_page, broadcast, live_server):
    from summit.core.testing import PASSWORD

    from .test_content_security_policy import Watch

    broadcast["start_at"](3)
    session = broadcast["session"]
    page = new_page()
    watch = Watch(page)
    open_room(page, broadcast)
    page.wait_for_timeout(1500)  # segments of both renditions loaded through hls.js's blob: media source
    watch.assert_clean("live room")

    staff = new_page()
    watch = Watch(staff)
    watch.visit("/accounts/login/")
    staff.fill("#id_username", "organizer@example.org")
    staff.fill("#id_password", PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    staff.wait_for_load_state("load")
    watch.visit(f"/events/{session.event.slug}/manage/program/sessions/{session.pk}/live/")
    assert "Ready to broadcast" in staff.content()
    assert_no_serious_axe(staff)
    # Only the fields of the chosen stream show: a broadcast's video, not a stream's address.
    expect(staff.locator("#id_video_url")).to_be_visible()
    expect(staff.locator("#id_stream_url")).to_be_hidden()
    expect(staff.locator("#id_embed_url")).to_be_hidden()
    staff.locator("input[name=stream_kind][value=hls]").check()
    expect(staff.locator("#id_stream_url")).to_be_visible()
    expect(staff.locator("#id_video_url")).to_be_hidden()
    expect(staff.locator("#remove-video button")).to_be_visible()
    watch.assert_clean("live settings")


def test_a_stream_that_cannot_be_played_says_so(new_page, broadcast, live_server):
    """hls.js's fatal error: the player says the stream cannot be played (or, before the session's start,
    that it has not started yet) and tries again by itself."""
    session = broadcast["session"]
    organizer = session.event.roles.get(role="organizer").user
    streams.save_stage(
        session=session,
        actor=organizer,
        stream_kind="hls",
        stream_url=f"{live_server.url}/no-such-stream/index.m3u8",
    )
    page = new_page()
    url = f"/events/{session.event.slug}/sessions/{session.pk}/live/"
    page.goto(url)
    page.wait_for_function(
        "() => document.querySelector('#player-status').textContent.includes('not started yet')"
    )
    assert not page.locator("[data-player] video").is_visible()

    session.start = timezone.now() - timedelta(minutes=5)
    session.end = timezone.now() + timedelta(minutes=60)
    session.save()
    page.goto(url)
    page.wait_for_function(
        "() => document.querySelector('#player-status').textContent.includes('cannot be played right now')"
    )
    assert_no_serious_axe(page)
