import pytest
from django.core.management import call_command

from summit import settings as summit_settings


def test_postgres_url_uses_a_pool_and_no_persistent_connections():
    db = summit_settings.database_from_url("postgres://u:p%40ss@db.example:5433/summit")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "u",
        "p@ss",
        "db.example",
        "5433",
        "summit",
    )
    assert db["CONN_MAX_AGE"] == 0 and "pool" in db["OPTIONS"]
    assert "pool" not in summit_settings.database_from_url("postgres://u@h/x?pool=0")["OPTIONS"]


def test_postgres_connections_bound_every_lock_wait(monkeypatch):
    assert db_options("postgres://u@h/x")["options"] == "-c lock_timeout=5000"
    monkeypatch.setenv("SUMMIT_LOCK_TIMEOUT_MS", "800")
    both = db_options("postgres://u@h/x?options=-c%20statement_timeout%3D9000")["options"]
    assert both == "-c statement_timeout=9000 -c lock_timeout=800"


@pytest.mark.django_db
def test_waiting_for_a_lock_is_bounded_on_the_database_in_use():
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == "5s"
        else:
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 20000


def db_options(url):
    return summit_settings.database_from_url(url)["OPTIONS"]


def test_sqlite_is_wal_with_immediate_transactions():
    db = summit_settings.sqlite_database("/tmp/x.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert "busy_timeout" in db["OPTIONS"]["init_command"]


def test_unknown_database_scheme_is_a_clear_error():
    with pytest.raises(ValueError, match="unsupported scheme"):
        summit_settings.database_from_url("mysql://x/y")


def test_email_urls():
    assert summit_settings.email_from_url(None)["EMAIL_BACKEND"].endswith("console.EmailBackend")
    smtp = summit_settings.email_from_url("smtp+tls://me:secret@mail.example:587")
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_USE_TLS"]) == ("mail.example", 587, True)
    assert summit_settings.email_from_url("file:///tmp/mails")["EMAIL_FILE_PATH"] == "/tmp/mails"


def test_secret_key_is_generated_into_var_once(tmp_path, monkeypatch):
    monkeypatch.setattr(summit_settings, "VAR_DIR", tmp_path)
    first = summit_settings._secret_from_var("k")
    assert len(first) > 40 and (tmp_path / "k").stat().st_mode & 0o777 == 0o600
    assert summit_settings._secret_from_var("k") == first


@pytest.mark.django_db
def test_healthz(client):
    assert client.get("/healthz").json()["ok"] is True


def test_deploy_check_is_clean_with_production_settings(settings, monkeypatch):
    # Browser tests in the same run allow sync ORM calls beside Playwright's loop; production never does.
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    settings.DEBUG = False
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    call_command("check", "--deploy", "--fail-level", "WARNING")
