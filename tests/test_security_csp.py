"""DEBUG is off unless asked for, production needs a SECRET_KEY, and every page carries a strict CSP."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from accounts.models import Role
from tests.factories import MembershipFactory, customer_create

ROOT = Path(__file__).resolve().parent.parent


def settings_in_subprocess(env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "-c", "from loyalty import settings; print('DEBUG', settings.DEBUG)"],
        cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60,
    )


def test_debug_is_off_unless_set():
    result = settings_in_subprocess({"SECRET_KEY": "x" * 50})
    assert result.returncode == 0, result.stderr
    assert "DEBUG False" in result.stdout


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = settings_in_subprocess({})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_on_when_asked_uses_the_development_key():
    result = settings_in_subprocess({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    assert "DEBUG True" in result.stdout


# --- Content-Security-Policy -------------------------------------------------------------------

INLINE = [
    (re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "inline <style>"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def inline_code(html: str) -> list[str]:
    return [f"{label}: {match.group(0)[:80]}" for pattern, label in INLINE for match in pattern.finditer(html)]


def test_no_template_has_inline_scripts_styles_or_handlers():
    """The CSP (script-src/style-src 'self') would break them: behaviour and looks live in static/."""
    found = {}
    for path in sorted((ROOT / "templates").rglob("*.html")) + sorted(ROOT.glob("*/templates/**/*.html")):
        problems = inline_code(path.read_text())
        if problems:
            found[str(path.relative_to(ROOT))] = problems
    assert found == {}


@pytest.fixture
def pages(merchant):
    owner = MembershipFactory(merchant=merchant, role=Role.OWNER)
    cashier = MembershipFactory(merchant=merchant, role=Role.CASHIER)
    customer = customer_create(merchant, phone="+79991234567", email="anna@example.test")
    office, counter, portal = Client(), Client(), Client()
    office.force_login(owner.user)
    counter.force_login(cashier.user)
    session = portal.session
    session["portal"] = {merchant.slug: str(customer.pk)}
    session.save()
    anonymous = Client()
    return [
        (anonymous, "/accounts/login/"), (anonymous, f"/my/{merchant.slug}/login/"), (anonymous, f"/my/{merchant.slug}/join/"),
        (anonymous, "/api/docs/"), (anonymous, "/api/schema/"), (anonymous, "/api/v1/program"),
        (office, "/office/"), (office, "/office/customers/"), (office, "/office/staff/"), (office, "/office/api-keys/"),
        (office, f"/office/customers/{customer.pk}/"), (office, "/office/tiers/"), (office, "/office/program/"),
        (counter, "/counter/"), (counter, f"/counter/customers/{customer.pk}/"),
        (portal, f"/my/{merchant.slug}/"), (portal, f"/my/{merchant.slug}/profile/"),
        (anonymous, "/no-such-page/"),
    ]


@pytest.mark.django_db
def test_every_page_carries_a_strict_content_security_policy(pages):
    for client, url in pages:
        response = client.get(url)
        policy = response.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy, url
        assert "style-src 'self'" in policy, url
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
        assert "frame-ancestors 'none'" in policy, url
        if response.get("Content-Type", "").startswith("text/html") and response.status_code == 200:
            assert inline_code(response.content.decode()) == [], url


@pytest.mark.django_db
def test_api_docs_load_nothing_from_another_origin(client):
    html = client.get("/api/docs/").content.decode()
    assert "cdn" not in html.lower()
    assert re.findall(r'(?:src|href)="(https?:)?//', html) == []
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        if url.startswith(settings.STATIC_URL):
            assert finders.find(url.removeprefix(settings.STATIC_URL)), url
        else:
            response = client.get(url)
            assert response.status_code == 200 and response["Content-Type"].startswith("application/javascript"), url
