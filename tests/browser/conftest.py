"""Playwright driving Debian's Chromium against the live test server.

Never downloads a browser. Without /usr/bin/chromium the browser tests are skipped locally, and fail under
CI=true, where nothing may be skipped.
"""

import contextlib
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SUMMIT_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


# axe-core, vendored for these tests only (src/summit/static/vendor/axe-core/README.md). Every rule axe runs by
# default (WCAG 2.0-2.2 A and AA, best practices) plus WCAG 2.2's target size, which axe leaves off by default.
AXE_JS = Path(__file__).resolve().parents[2] / "src/summit/static/vendor/axe-core/axe.min.js"
AXE_RUN = """async () => {
  const result = await axe.run(document, {
    resultTypes: ["violations"], rules: {"target-size": {enabled: true}},
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary})),
    }));
}"""


def axe_violations(page) -> list[dict]:
    """The serious and critical axe-core findings on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, so a Content-Security-Policy does not keep it out.
        page.evaluate(f"() => {{ {AXE_JS.read_text(encoding='utf-8')}\n}}")
    return page.evaluate(AXE_RUN)


def assert_no_serious_axe(page):
    """Fails listing every serious or critical axe-core finding on the page, with the nodes it found."""
    violations = axe_violations(page)
    if violations:
        lines = [f"axe-core on {page.url} ({page.viewport_size}):"]
        for v in violations:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
            for node in v["nodes"]:
                lines.append(f"    {node['target']}: {node['html'][:200]}")
                lines.append("      " + node["summary"].replace("\n", "\n      "))
        pytest.fail("\n".join(lines), pytrace=False)


# A phone (and a laptop) as the browser tests open pages on them.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
LAPTOP = {"viewport": {"width": 1280, "height": 900}}


def sign_in_staff(page, email):
    """Signs in with the e-mail and the test password on the sign-in page."""
    from summit.core.testing import PASSWORD

    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()


def sign_in_participant(page, participant, base_url):
    """Signs the participant in with a sign-in link, landing on their page of the event."""
    from summit.registration.services import issue_magic_link

    page.goto(issue_magic_link(participant=participant, base_url=base_url))
    page.locator("#magic-signin").click()
    page.wait_for_url(f"**/events/{participant.event.slug}/me/")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}; CI must run the browser tests")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    # Playwright's sync API runs an event loop in this thread; the test code itself still uses the ORM.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@contextlib.contextmanager
def page_maker(chromium, url: str):
    """``make(locale=…, mobile=…)``: a page of a new browser context on ``url`` (``make.url``), a phone or a
    laptop; every context is closed at the end."""
    contexts = []

    def make(locale="en-US", mobile=False):
        context = chromium.new_context(locale=locale, base_url=url, **(PHONE if mobile else LAPTOP))
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    make.url = url
    try:
        yield make
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def new_page(chromium, live_server, settings):
    # Links in mails point at SITE_URL: here, the live server the browser talks to.
    settings.SITE_URL = live_server.url
    with page_maker(chromium, live_server.url) as make:
        yield make


@pytest.fixture
def asgi_site(chromium, transactional_db, settings, monkeypatch):
    """Summit's whole ASGI application (pages, API and the live transport under /live/) on a uvicorn
    server of its own event loop, in a thread, with a fresh in-process live hub: the embedded default
    (``make run``), which Django's WSGI ``live_server`` cannot be for WebSockets. Yields a ``new_page``
    for it."""
    import asyncio
    import socket
    import threading

    import uvicorn

    from summit.core import live

    monkeypatch.setattr(live, "_hub", live.LocalHub())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    settings.SITE_URL = url
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from summit.asgi import application

    # Static files from the apps, as the WSGI live server serves them (no collectstatic in tests); the
    # lifespan starts the transport's attendance heartbeat, as in ``make run``.
    app = ASGIStaticFilesHandler(application)
    server = uvicorn.Server(
        # As ``make run`` serves: no per-message compression (the transport writes each frame directly).
        uvicorn.Config(
            app, host="127.0.0.1", port=port, lifespan="on", log_level="warning", ws_per_message_deflate=False
        )
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), name="asgi-site", daemon=True)
    thread.start()
    import time

    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    with page_maker(chromium, url) as make:
        yield make
    server.should_exit = True
    thread.join(10)
