"""Every error page is the site's own, extends base.html and speaks the viewer's language (DEBUG off): 400,
403, 404, 500 and a refused form (CSRF); under /api/ the same errors are JSON."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django.utils import translation

import summit.urls
from summit.core import views

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("boom")


def _suspicious(request):
    raise SuspiciousOperation("odd")


def _denied(request):
    raise PermissionDenied


# The project's URLs plus three that fail on purpose; this module is the URLconf of the tests below.
urlpatterns = [
    path("test-errors/500/", _boom),
    path("test-errors/400/", _suspicious),
    path("test-errors/403/", _denied),
    path("api/test-errors/500/", _boom),
    *summit.urls.urlpatterns,
]
handler400 = summit.urls.handler400
handler403 = summit.urls.handler403
handler404 = summit.urls.handler404
handler500 = summit.urls.handler500

LANGUAGES = {
    "en": {"lang": '<html lang="en">', "home": "Back to the start page", "404": "Not found"},
    "zh-hans": {"lang": '<html lang="zh-Hans">', "home": "返回首页", "404": "未找到页面"},
}


@pytest.fixture
def debug_off(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


def assert_site_page(response, language, status):
    assert response.status_code == status
    html = response.content.decode()
    expected = LANGUAGES[language]
    assert expected["lang"] in html, html[:300]
    assert '<a class="brand" href="/">Summit</a>' in html  # base.html
    assert "summit/summit.css" in html
    assert expected["home"] in html
    assert f'data-status="{status}"' in html
    return html


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unknown_address_is_the_sites_404_page(client, debug_off, language):
    response = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE=language)
    html = assert_site_page(response, language, 404)
    assert LANGUAGES[language]["404"] in html
    assert "The requested resource was not found on this server" not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unknown_event_page_is_the_sites_404_page(client, debug_off, language):
    response = client.get("/events/no-such-event/manage/participants/nowhere/", HTTP_ACCEPT_LANGUAGE=language)
    assert_site_page(response, language, 404)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_crash_is_the_sites_500_page(debug_off, language):
    client = Client(raise_request_exception=False)
    response = client.get("/test-errors/500/", HTTP_ACCEPT_LANGUAGE=language)
    html = assert_site_page(response, language, 500)
    assert "boom" not in html and "Traceback" not in html
    assert 'data-code="server_error"' in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_bad_and_forbidden_requests_are_the_sites_pages(client, debug_off, language):
    assert_site_page(client.get("/test-errors/400/", HTTP_ACCEPT_LANGUAGE=language), language, 400)
    html = assert_site_page(client.get("/test-errors/403/", HTTP_ACCEPT_LANGUAGE=language), language, 403)
    if language == "zh-hans":
        assert "您无权执行此操作。" in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refused_form_is_the_sites_csrf_page(debug_off, language):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/i18n/setlang/", {"language": "en"}, HTTP_ACCEPT_LANGUAGE=language)
    html = assert_site_page(response, language, 403)
    assert 'data-code="csrf_failed"' in html
    assert "CSRF verification failed" not in html


def test_the_500_page_renders_without_a_request_context_or_the_database():
    # A bare request: no session, no user, no middleware ran; and the page may not query the database.
    request = RequestFactory().get("/anything/")
    with translation.override("en"), CaptureQueriesContext(connection) as queries:
        response = views.server_error(request)
    assert response.status_code == 500 and len(queries) == 0
    html = response.content.decode()
    assert "Back to the start page" in html and "Sign out" not in html


def test_api_addresses_answer_errors_as_json(client, debug_off):
    response = client.get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    crash = Client(raise_request_exception=False).get("/api/test-errors/500/")
    assert crash.status_code == 500 and crash.json()["code"] == "server_error"
