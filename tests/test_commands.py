"""Bootstrap and job management commands (docs/api.md "Bootstrap")."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import ApiKey, Merchant, Store
from accounts.services import api_key_hash
from loyalty.models import Entry, JobRun, Program
from loyalty.selectors import balance_get
from tests.factories import StoreFactory, customer_create


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_merchant_creates_its_store_main_and_program(db):
    output = run("create_merchant", "petshop", "--name", "Pet Shop", "--currency", "usd", "--timezone", "Asia/Almaty", "--language", "en")

    merchant = Merchant.objects.get(slug="petshop")
    assert (merchant.name, merchant.currency, merchant.timezone, merchant.language) == ("Pet Shop", "USD", "Asia/Almaty", "en")
    assert list(Store.objects.filter(merchant=merchant).values_list("code", flat=True)) == ["main"]
    assert Program.objects.get(merchant=merchant).welcome_bonus == 300
    assert "petshop" in output


def test_create_merchant_defaults(db):
    run("create_merchant", "shop", "--name", "Shop")

    merchant = Merchant.objects.get(slug="shop")
    assert (merchant.currency, merchant.timezone, merchant.language, merchant.country) == ("RUB", "Europe/Moscow", "ru", "RU")


@pytest.mark.parametrize("args", [["--timezone", "Mars/Olympus"], ["--currency", "RUBLES"]])
def test_create_merchant_refuses_bad_settings_and_writes_nothing(db, args):
    with pytest.raises(CommandError):
        run("create_merchant", "shop", "--name", "Shop", *args)

    assert Merchant.objects.count() == 0


def test_create_merchant_refuses_a_taken_slug(db):
    run("create_merchant", "shop", "--name", "Shop")

    with pytest.raises(CommandError):
        run("create_merchant", "shop", "--name", "Other")
    assert Merchant.objects.get(slug="shop").name == "Shop"


def test_create_api_key_prints_only_the_key(merchant):
    output = run("create_api_key", merchant.slug)

    secret = output.strip()
    assert output == secret + "\n"
    assert " " not in secret
    key = ApiKey.objects.get(merchant=merchant)
    assert key.key_hash == api_key_hash(key=secret)
    assert (key.scope, key.store) == ("pos", None)


def test_a_printed_key_works_against_the_api(merchant, client):
    customer = customer_create(merchant)
    secret = run("create_api_key", merchant.slug).strip()

    response = client.get(f"/api/v1/customers/{customer.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 200


def test_create_api_key_with_scope_and_store(merchant):
    store = StoreFactory(merchant=merchant, code="north")

    secret = run("create_api_key", merchant.slug, "--scope", "admin", "--store", "north").strip()

    key = ApiKey.objects.get(key_hash=api_key_hash(key=secret))
    assert (key.scope, key.store) == ("admin", store)


@pytest.mark.parametrize("args", [["nobody"], ["{slug}", "--store", "nowhere"]])
def test_create_api_key_refuses_unknown_merchant_or_store(merchant, args):
    with pytest.raises(CommandError):
        run("create_api_key", *[a.format(slug=merchant.slug) for a in args])
    assert ApiKey.objects.count() == 0


def test_expire_points_runs_as_of_now(merchant):
    customer = customer_create(merchant, at=timezone.now() - timedelta(days=5))
    before_expiry = (customer.created_at + timedelta(days=13)).isoformat()
    after_expiry = (customer.created_at + timedelta(days=14)).isoformat()

    run("expire_points", "--now", before_expiry)
    assert balance_get(merchant=merchant, customer=customer).available == 300

    output = run("expire_points", "--now", after_expiry)
    assert output.startswith("expire_points: 1 as of ")
    assert balance_get(merchant=merchant, customer=customer).available == 0
    assert run("expire_points", "--now", after_expiry).startswith("expire_points: 0 ")
    assert Entry.objects.filter(kind="expiry").count() == 1


def test_expire_points_accepts_a_z_suffix(merchant):
    customer_create(merchant, at=timezone.now())

    output = run("expire_points", "--now", "2099-01-01T00:00:00Z")

    assert output.startswith("expire_points: 1 as of 2099-01-01T00:00:00+00:00")


def test_run_jobs_runs_every_job_once_as_of_now(merchant):
    customer_create(merchant, at=timezone.now() - timedelta(days=30))

    output = run("run_jobs", "--now", timezone.now().isoformat())

    assert output.splitlines() == ["activate_points: 0", "expire_points: 1", "recalculate_tiers: 0", "purge_idempotency_keys: 0"]
    assert sorted(JobRun.objects.values_list("name", flat=True)) == ["activate_points", "expire_points", "purge_idempotency_keys", "recalculate_tiers"]


@pytest.mark.parametrize("command", ["expire_points", "activate_points", "run_jobs"])
@pytest.mark.parametrize("value", ["tomorrow", "2027-01-01T00:00:00"])
def test_a_bad_or_naive_now_is_refused(db, command, value):
    with pytest.raises(CommandError):
        run(command, "--now", value)
    assert JobRun.objects.count() == 0
