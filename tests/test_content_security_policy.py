"""The Content-Security-Policy every page carries, and templates that can live with it."""

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "summit"

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE = re.compile(r"\sstyle\s*=|<style\b", re.I)


def templates():
    return sorted(p for p in SRC.rglob("templates/**/*.html"))


@pytest.mark.parametrize("template", templates(), ids=lambda p: str(p.relative_to(SRC)))
def test_templates_have_no_inline_script_handler_or_style(template):
    text = template.read_text()
    for name, pattern in (("inline <script>", INLINE_SCRIPT), ("on* handler", HANDLER), ("style", STYLE)):
        found = pattern.search(text)
        assert found is None, f"{name} in {template.relative_to(SRC)}: {found.group(0)!r}"


@pytest.mark.django_db
def test_every_page_carries_a_strict_policy(client, event):
    for path in ("/", f"/events/{event.slug}/", f"/events/{event.slug}/register/", "/api/docs", "/nope/"):
        policy = client.get(path)["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy, path
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, path
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy, path
