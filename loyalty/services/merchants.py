"""Setting up a merchant: the tenant, its default store, its program and base tier, in one transaction."""
from django.db import transaction

from accounts.models import Merchant
from accounts.services import merchant_create
from loyalty.services.program import program_create
from loyalty.services.tiers import tier_base_create


@transaction.atomic
def merchant_setup(*, slug: str, name: str, currency: str = "RUB", timezone_name: str = "Europe/Moscow", language: str = "ru", country: str = "RU") -> Merchant:
    merchant = merchant_create(slug=slug, name=name, currency=currency, timezone_name=timezone_name, language=language, country=country)
    program_create(merchant=merchant)
    tier_base_create(merchant=merchant)
    return merchant
