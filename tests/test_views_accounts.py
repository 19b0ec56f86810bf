"""Staff sign-in, sign-out and the invitation link."""
import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Role
from accounts.services import staff_invite
from tests.factories import MembershipFactory, MerchantFactory

pytestmark = pytest.mark.django_db


def login(client: Client, email: str, password: str = "pass12345", **extra):
    return client.post("/accounts/login/", {"username": email, "password": password, **extra})


def test_login_page_renders_with_language_switch():
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body and 'action="/i18n/setlang/"' in body


@pytest.mark.parametrize("role,landing", [(Role.OWNER, "/office/"), (Role.MARKETER, "/office/"), (Role.CASHIER, "/counter/")])
def test_login_lands_by_role(role, landing):
    membership = MembershipFactory(role=role)
    response = login(Client(), membership.user.email.upper())
    assert response.status_code == 302
    assert response["Location"] == landing


def test_login_honours_safe_next_and_ignores_foreign_next():
    membership = MembershipFactory(role=Role.OWNER)
    assert login(Client(), membership.user.email, next="/office/customers/")["Location"] == "/office/customers/"
    assert login(Client(), membership.user.email, next="https://evil.example/")["Location"] == "/office/"


def test_login_wrong_password_rerenders_with_error():
    membership = MembershipFactory()
    response = login(Client(), membership.user.email, password="wrong-password")
    assert response.status_code == 200
    assert "The email or password is wrong" in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_login_refused_without_active_membership():
    membership = MembershipFactory(is_active=False)
    response = login(Client(), membership.user.email)
    assert response.status_code == 200
    assert "no role at any business" in response.content.decode()


def test_logout_is_post_only_and_ends_the_session():
    membership = MembershipFactory()
    client = Client()
    client.force_login(membership.user)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/office/")["Location"].startswith("/accounts/login/")


def test_login_is_throttled_after_five_failures(settings):
    settings.AXES_ENABLED = True
    membership = MembershipFactory()
    client = Client()
    for _ in range(5):
        login(client, membership.user.email, password="wrong-password")
    response = login(client, membership.user.email)
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def test_invitation_link_sets_password_and_signs_in(django_capture_on_commit_callbacks):
    merchant = MerchantFactory()
    with django_capture_on_commit_callbacks(execute=True):
        staff_invite(merchant=merchant, email="new@example.test", role=Role.CASHIER, base_url="http://testserver")
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/invite/\S+)", mail.outbox[0].body).group(1)
    client = Client()
    response = client.get(link, follow=True)
    assert response.status_code == 200
    set_url = response.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "a-Strong-pass-91", "new_password2": "a-Strong-pass-91"})
    assert response.status_code == 302
    assert response["Location"] == "/counter/"
    assert Client().post("/accounts/login/", {"username": "new@example.test", "password": "a-Strong-pass-91"}).status_code == 302


def test_root_sends_staff_to_their_screen_and_others_to_login():
    assert Client().get("/")["Location"] == "/accounts/login/"
    client = Client()
    client.force_login(MembershipFactory(role=Role.CASHIER).user)
    assert client.get("/")["Location"] == "/counter/"
