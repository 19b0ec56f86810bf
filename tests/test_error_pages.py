"""Error pages look like the rest of the site, the favicon exists, and the log says each thing once."""
import io
import logging

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from accounts.models import Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def cashier_client(merchant) -> Client:
    client = Client()
    client.force_login(MembershipFactory(merchant=merchant, role=Role.CASHIER).user)
    return client


@pytest.mark.parametrize("language, heading", [("en", "This page is not open to you"), ("ru", "Эта страница вам недоступна")])
def test_403_uses_the_site_template_in_both_languages(merchant, language, heading):
    client = cashier_client(merchant)
    client.cookies["django_language"] = language
    response = client.get("/office/")
    body = response.content.decode()
    assert response.status_code == 403
    assert "/static/css/app.css" in body and heading in body
    assert f'<html lang="{language}">' in body


@pytest.mark.parametrize("language, heading", [("en", "There is no such page"), ("ru", "Такой страницы нет")])
def test_404_uses_the_site_template(settings, language, heading):
    settings.DEBUG = False
    client = Client()
    client.cookies["django_language"] = language
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert heading in response.content.decode()


@pytest.mark.parametrize("language, heading", [("en", "Sign-in paused"), ("ru", "Вход приостановлен")])
def test_lockout_page_uses_the_site_template(settings, language, heading):
    settings.AXES_ENABLED = True
    membership = MembershipFactory()
    client = Client()
    client.cookies["django_language"] = language
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": membership.user.email, "password": "wrong-password"})
    response = client.post("/accounts/login/", {"username": membership.user.email, "password": "wrong-password"})
    body = response.content.decode()
    assert response.status_code == 429
    assert heading in body and "/static/css/app.css" in body
    assert 'data-testid="lockout"' in body


def test_favicon_is_linked_and_served(merchant):
    body = Client().get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg"' in body
    assert finders.find("favicon.svg") is not None
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"


@pytest.fixture
def console():
    """What the log handlers print for `django.request` and the root logger, gathered in one buffer.

    Every stream handler a record can reach (walking up while loggers propagate) writes here for the test.
    """
    buffer = io.StringIO()
    swapped = []
    for name in ("django.request", "loyalty.anything"):
        logger = logging.getLogger(name)
        while logger is not None:
            for handler in logger.handlers:
                if type(handler) is logging.StreamHandler and handler not in (h for h, _s in swapped):
                    swapped.append((handler, handler.setStream(buffer)))
            if not logger.propagate:
                break
            logger = logger.parent
    yield buffer
    for handler, stream in swapped:
        handler.setStream(stream)


def test_403_is_one_warning_line_without_traceback(merchant, console):
    cashier_client(merchant).get("/office/")
    err = console.getvalue()
    lines = [line for line in err.splitlines() if "Forbidden" in line]
    assert len(lines) == 1, err
    assert "WARNING" in lines[0] and "/office/" in lines[0]
    assert "Traceback" not in err


def test_each_error_line_is_logged_once(settings, console):
    # Django's own console handler prints only while DEBUG is on (as under `make run`).
    settings.DEBUG = True
    logging.getLogger("django.request").error("Internal Server Error: /probe-once/")
    logging.getLogger("loyalty.anything").error("probe-root-once")
    err = console.getvalue()
    assert err.count("/probe-once/") == 1, err
    assert err.count("probe-root-once") == 1, err
