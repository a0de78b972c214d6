import os

import pytest


@pytest.fixture(autouse=True)
def _test_environment(settings, tmp_path, monkeypatch):
    # Every test starts in the default language: a request in Chinese leaves its language active in the
    # thread, which must not carry over into the next test (the order of tests differs between workers).
    from django.utils import translation

    translation.deactivate()
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Links in mails and on pages are built from SITE_URL (core/http.py): the test client's own address.
    settings.SITE_URL = "http://testserver"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TOKEN_USE_FLUSH_SECONDS = 0  # token use written at once (registration/token_use.py)
    # Jobs and mail delivery run at once, in the test's thread (core/jobs.py: the eager backend).
    settings.JOBS_BACKEND = "eager"
    # Tests run inside one wrapping transaction that never commits: hand mail and jobs over at once instead
    # of on commit (tests of the on-commit behaviour use the `real_commits` fixture).
    monkeypatch.setattr("summit.core.mail.after_commit", lambda fn: fn())
    monkeypatch.setattr("summit.core.jobs.after_commit", lambda fn: fn())
    # Rate limits stay on (core/ratelimit.py), but every test starts with no attempts counted: an
    # in-process cache of its own, empty (never a shared Redis, which clear() would wipe).
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "summit-tests"}
    }
    from django.core.cache import cache

    cache.clear()
    # The live transport's moment-long answers for anonymous viewers (session ids are reused by tests).
    from summit.live import transport

    transport._anonymous.clear()
    # Badge signing keys kept in memory per event id (ids are reused by tests).
    from summit.entry.services import badges

    badges.forget_keys()


@pytest.fixture
def real_commits(monkeypatch):
    """Mail and jobs are handed over on commit again, as outside tests. Use it with pytest-django's
    `django_capture_on_commit_callbacks` (or a `transaction=True` test) to see what a commit hands over."""
    from django.db import transaction

    monkeypatch.setattr("summit.core.mail.after_commit", transaction.on_commit)
    monkeypatch.setattr("summit.core.jobs.after_commit", transaction.on_commit)


@pytest.fixture
def event(db):
    from summit.events.testing import make_event

    return make_event("wic")


@pytest.fixture
def categories(event):
    from summit.registration.testing import make_standard_categories

    return make_standard_categories(event)


@pytest.fixture
def organizer(event):
    from summit.events.testing import make_staff

    return make_staff(event, "organizer", "organizer@example.org")


@pytest.fixture
def officer(event):
    from summit.events.testing import make_staff

    return make_staff(event, "accreditation_officer", "officer@example.org")


@pytest.fixture
def other_event(db):
    from summit.events.testing import make_event
    from summit.registration.testing import make_standard_categories

    ev = make_event("other")
    make_standard_categories(ev)
    return ev


@pytest.fixture
def organizer_client(client, organizer):
    client.force_login(organizer)
    return client


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


# Test files that use the machine's Redis and RabbitMQ (the same databases and queues): `make test` runs the
# suite on several pytest-xdist workers, and these files all go to one worker, one after the other.
SHARED_SERVICES = {
    "src/summit/core/tests/test_celery_workers.py",
    "src/summit/core/tests/test_live.py",
    "src/summit/live/tests/test_attendance.py",
    "tests/test_live_serving.py",
    "tests/test_signin_limits.py",
}


def pytest_collection_modifyitems(config, items):
    """Each test file runs on one worker (its module fixtures are built once); the files that share the
    machine's services run on the same worker (``--dist loadgroup``)."""
    root = config.rootpath

    def path_of(item) -> str:
        return item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else str(item.path)

    for item in items:
        if not item.get_closest_marker("xdist_group"):
            path = path_of(item)
            item.add_marker(pytest.mark.xdist_group("shared-services" if path in SHARED_SERVICES else path))
    # The longest files first (the browser and the shared services), so that no worker is left with one
    # of them at the end while the other waits.
    items.sort(
        key=lambda item: (
            0 if path_of(item) in SHARED_SERVICES or path_of(item).startswith("tests/browser/") else 1
        )
    )


def pytest_sessionfinish(session, exitstatus):
    """With CI=true nothing may be skipped: a skipped test fails the run."""
    if os.environ.get("CI", "").lower() != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(
                f"CI=true: {skipped} test(s) were skipped; nothing may be skipped in CI.", red=True
            )


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests use a file database (WAL, busy timeout), as Summit does, not a shared in-memory one:
    concurrent writers then wait for the lock instead of failing with "table is locked". Each pytest-xdist
    worker has its own (a file in its own temporary folder; on PostgreSQL pytest-django's ``_gw0`` suffix)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")
