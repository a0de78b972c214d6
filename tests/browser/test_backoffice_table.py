"""The back office's participant table in Chinese on a 1280 px screen (Debian's Chromium, the demo event):
status pills stay on one line, countries and names do not break into a column of characters, the search
field shows its whole placeholder."""

import os

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = os.environ.get("SUMMIT_SCREENSHOTS")  # a folder: keep screenshots of the pages checked here


def test_participant_table_in_chinese_at_1280_px(chromium, live_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("demo", stdout=open(os.devnull, "w"))
    context = chromium.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    page.goto("/accounts/login/?next=/events/wic2027/manage/participants/")
    page.fill("input[name=username]", "organizer@summit.example")
    page.fill("input[name=password]", "summit-organizer")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/manage/participants/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "participants-zh-1280.png"), full_page=False)

    metrics = page.evaluate(
        """() => {
        // How many lines an element's text takes: the distinct tops of its text's line boxes.
        const lines = (el) => {
          const range = document.createRange();
          range.selectNodeContents(el);
          return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
        };
        const cells = (label) => [...document.querySelectorAll('#participants tbody td')]
          .filter((td) => td.dataset.label === label);
        const search = document.querySelector('#f-q');
        const style = getComputedStyle(search, '::placeholder');
        const probe = document.createElement('span');
        probe.style.font = style.font;
        probe.style.position = 'absolute';
        probe.style.whiteSpace = 'nowrap';
        probe.textContent = search.placeholder;
        document.body.appendChild(probe);
        const placeholderWidth = probe.getBoundingClientRect().width;
        probe.remove();
        const box = getComputedStyle(search);
        const inner = search.clientWidth - parseFloat(box.paddingLeft) - parseFloat(box.paddingRight);
        const row = (label) => cells(label).map((td) => [td.textContent.trim(), lines(td)]);
        return {
          pills: [...document.querySelectorAll('#participants td .badge')].map((el) => [el.textContent, lines(el)]),
          country: row('国家/地区'), category: row('类别'), mode: row('参会方式'), date: row('报名时间'),
          placeholder: [placeholderWidth, inner],
        };
    }"""
    )
    assert len(metrics["pills"]) == 50
    for text, count in metrics["pills"]:
        assert count == 1, f"status pill “{text}” takes {count} lines"
    for column in ("country", "category", "mode", "date"):
        assert len(metrics[column]) == 50, column
        for text, count in metrics[column]:
            # Chinese names are short: one line; a long one may take two, never a column of characters.
            assert count <= (1 if len(text) <= 8 else 2), f"{column} “{text}” takes {count} lines"
    width, room = metrics["placeholder"]
    assert width <= room, f"the search placeholder needs {width}px, the field has {room}px"
    context.close()
