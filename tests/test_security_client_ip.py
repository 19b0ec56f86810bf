"""Per-address limits see the client behind the configured trusted proxies, not the proxy."""
import pytest
from django.core import mail
from django.test import Client, RequestFactory

from accounts.client_ip import client_ip
from tests.factories import MembershipFactory, customer_create

PROXY = "10.0.0.5"


def request_with(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_with("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_behind_one_proxy_the_client_is_the_entry_the_proxy_appended(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_with(PROXY, "198.51.100.1")) == "198.51.100.1"
    # A client that sends its own X-Forwarded-For cannot choose its address: the proxy appends the real one.
    assert client_ip(request_with(PROXY, "192.0.2.99, 198.51.100.1")) == "198.51.100.1"
    # No header, or garbage where the proxy's entry should be: the proxy's address, never the client's words.
    assert client_ip(request_with(PROXY)) == PROXY
    assert client_ip(request_with(PROXY, "not-an-address")) == PROXY


def test_behind_two_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_with(PROXY, "192.0.2.99, 198.51.100.1, 10.0.0.4")) == "198.51.100.1"
    assert client_ip(request_with(PROXY, "10.0.0.4")) == PROXY


def portal_request(client, merchant, identifier, forwarded):
    return client.post(f"/my/{merchant.slug}/login/", {"identifier": identifier}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.mark.django_db
def test_portal_code_limit_per_client_behind_a_proxy(client, merchant, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PORTAL_CODES_PER_IP = 2
    people = [customer_create(merchant, email=f"p{i}@example.test") for i in range(4)]
    assert portal_request(client, merchant, people[0].email, "198.51.100.1").status_code == 302
    assert portal_request(client, merchant, people[1].email, "198.51.100.1").status_code == 302
    # The first client has used its two codes; a spoofed entry in front of its address does not help.
    response = portal_request(client, merchant, people[2].email, "192.0.2.50, 198.51.100.1")
    assert response.status_code == 422
    assert "Too many codes" in response.content.decode()
    # Another client behind the same proxy is not locked out by the first.
    assert portal_request(Client(), merchant, people[3].email, "198.51.100.2").status_code == 302
    assert len(mail.outbox) == 3


def staff_login(client, email, password, forwarded):
    return client.post("/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.mark.django_db
def test_staff_login_lockout_is_per_client_behind_a_proxy(settings):
    settings.AXES_ENABLED = True
    settings.TRUSTED_PROXY_COUNT = 1
    membership = MembershipFactory()
    membership.user.set_password("right-password-1")
    membership.user.save()
    email = membership.user.email
    attacker = Client()
    for _ in range(5):
        staff_login(attacker, email, "wrong-password", "192.0.2.66")
    # The attacker is locked out, also when it invents a forwarded address in front of its own.
    assert staff_login(attacker, email, "right-password-1", "203.0.113.1, 192.0.2.66").status_code in (403, 429)
    # The real user, behind the same proxy from another address, still signs in.
    owner = Client()
    response = staff_login(owner, email, "right-password-1", "198.51.100.10")
    assert response.status_code == 302
    assert "_auth_user_id" in owner.session
