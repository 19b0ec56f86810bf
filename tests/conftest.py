import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Role
from tests.factories import MembershipFactory, MerchantFactory, api_key


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need row locks; on SQLite they are skipped, visibly, with a reason."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _settings_for_tests(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AXES_ENABLED = False
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def merchant(db):
    return MerchantFactory()


@pytest.fixture
def pos_client(merchant):
    _key, secret = api_key(merchant, scope="pos")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def admin_client(merchant):
    _key, secret = api_key(merchant, scope="admin")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def owner(merchant):
    return MembershipFactory(merchant=merchant, role=Role.OWNER)


@pytest.fixture
def marketer(merchant):
    return MembershipFactory(merchant=merchant, role=Role.MARKETER)


@pytest.fixture
def cashier(merchant):
    return MembershipFactory(merchant=merchant, role=Role.CASHIER)


@pytest.fixture(autouse=True)
def _fresh_promotions_cache():
    """Compiled promotions are cached per process by merchant; a test's rolled-back merchant id may be
    reused by the next test, so each test starts with an empty cache."""
    from promotions.services.checkout import promotions_cache_clear

    promotions_cache_clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_django_cache():
    """Webhook subscriptions are cached per merchant (Django's cache); a rolled-back merchant id may be
    reused by the next test, so each test starts with an empty cache."""
    from django.core.cache import cache

    cache.clear()
    yield
