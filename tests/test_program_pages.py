"""The program rules and privacy pages: written in the back-office, public in the portal, rendered safely."""
import pytest
from django.test import Client

from accounts.models import AuditEvent, Role
from loyalty.documents import page_render
from loyalty.models import ProgramPage
from tests.factories import MembershipFactory, MerchantFactory

pytestmark = pytest.mark.django_db


def staff(merchant, role) -> Client:
    client = Client()
    client.force_login(MembershipFactory(merchant=merchant, role=role).user)
    return client


def test_page_render_escapes_html_and_keeps_paragraphs_lists_and_bold():
    html = str(page_render("# Rules\n\nFirst <script>alert(1)</script> line\nsecond line\n\n- one\n- **two**\n\n<b onclick=x>hi</b>"))
    assert "<script>" not in html and "<b onclick" not in html
    assert "&lt;script&gt;" in html
    assert "<h2>Rules</h2>" in html
    assert "<p>First &lt;script&gt;alert(1)&lt;/script&gt; line<br>second line</p>" in html
    assert "<ul><li>one</li><li><strong>two</strong></li></ul>" in html


def test_marketer_publishes_rules_and_the_portal_shows_them(merchant):
    client = staff(merchant, Role.MARKETER)
    response = client.post("/office/program/pages/rules/", {"body": "# Our rules\n\nPoints are **5 %** of the price.\n\n<img src=x onerror=alert(1)>"})
    assert response.status_code == 302
    page = Client().get(f"/my/{merchant.slug}/rules/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "<h2>Our rules</h2>" in body and "<strong>5 %</strong>" in body
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    event = AuditEvent.objects.get(merchant=merchant, action="page.updated")
    assert event.target == "rules"


def test_privacy_page_is_public_with_a_default_text(merchant):
    response = Client().get(f"/my/{merchant.slug}/privacy/")
    assert response.status_code == 200
    assert "What we keep" in response.content.decode()


def test_rules_default_summarises_the_program(merchant):
    body = Client().get(f"/my/{merchant.slug}/rules/").content.decode()
    assert "5\u00a0%" in body  # the default accrual
    assert "Points expire 365 days after they are credited." in body


def test_rules_default_in_russian_uses_plurals(merchant):
    body = Client(headers={"accept-language": "ru"}).get(f"/my/{merchant.slug}/rules/").content.decode()
    assert "Баллы сгорают через 365 дней после начисления." in body
    assert "приветственный бонус 300 баллов" in body


def test_pages_are_scoped_by_merchant(merchant):
    other = MerchantFactory()
    staff(merchant, Role.OWNER).post("/office/program/pages/rules/", {"body": "Only for the first shop"})
    assert "Only for the first shop" not in Client().get(f"/my/{other.slug}/rules/").content.decode()
    assert "Only for the first shop" in Client().get(f"/my/{merchant.slug}/rules/").content.decode()


def test_cashier_cannot_edit_pages(merchant):
    response = staff(merchant, Role.CASHIER).post("/office/program/pages/rules/", {"body": "x"})
    assert response.status_code == 403
    assert not ProgramPage.objects.exists()


def test_bad_page_text_is_refused_naming_the_field(merchant):
    response = staff(merchant, Role.OWNER).post("/office/program/pages/privacy/", {"body": "x" * 50_001})
    assert response.status_code == 400
    assert response.context["form"].errors.get("body")
    assert not ProgramPage.objects.exists()


def test_a_nul_character_in_page_text_is_refused_before_the_form(merchant):
    response = staff(merchant, Role.OWNER).post("/office/program/pages/privacy/", {"body": "bad \x00 byte"})
    assert response.status_code == 400
    assert not ProgramPage.objects.exists()


def test_unknown_page_kind_is_404(merchant):
    assert staff(merchant, Role.OWNER).get("/office/program/pages/terms/").status_code == 404


def test_join_form_and_footer_link_to_rules_and_privacy(merchant, settings):
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"  # the join form is offered only where SMS codes can be sent
    body = Client().get(f"/my/{merchant.slug}/join/").content.decode()
    assert f'href="/my/{merchant.slug}/rules/"' in body
    assert f'href="/my/{merchant.slug}/privacy/"' in body
    assert body.count(f'href="/my/{merchant.slug}/rules/"') >= 2  # beside the consent and in the footer
    assert "programme" not in body


def test_program_is_spelt_one_way_in_english_strings_and_readme():
    import pathlib
    import subprocess

    root = pathlib.Path(__file__).resolve().parent.parent
    files = subprocess.run(["git", "ls-files", "*.py", "*.html", "*.md"], cwd=root, capture_output=True, text=True, check=True).stdout.split()
    offenders = [name for name in files if "programme" in (root / name).read_text(encoding="utf-8").lower() and name != "tests/test_program_pages.py"]
    assert offenders == []
