"""The Content-Security-Policy header is built once, and views that change their policy still get theirs."""

from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory

from summit.core.middleware import ContentSecurityPolicyMiddleware


def answer(response, path="/events/"):
    middleware = ContentSecurityPolicyMiddleware(lambda request: response)
    return middleware(RequestFactory().get(path))


def test_every_response_gets_the_policy_of_the_settings(settings):
    assert answer(HttpResponse("ok"))["Content-Security-Policy"] == build_policy()
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert answer(HttpResponse("ok"))["Content-Security-Policy"] == "default-src 'none'"


def test_a_view_that_changes_its_policy_or_is_exempt_keeps_it():
    changed = HttpResponse("ok")
    changed._csp_update = {"img-src": ["https://tiles.example.org"]}
    header = answer(changed)["Content-Security-Policy"]
    assert "https://tiles.example.org" in header and header != build_policy()
    exempt = HttpResponse("ok")
    exempt._csp_exempt = True
    assert "Content-Security-Policy" not in answer(exempt)
