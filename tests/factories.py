"""factory_boy factories. Merchants come through a SubFactory; customers join through the service,
so they get a points account and the welcome bonus exactly as in production."""
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import ApiKey, Membership, Merchant, Role, Store, User
from accounts.services import api_key_create
from loyalty.checkout import Draft, DraftLine
from loyalty.models import Program, Tier
from loyalty.services import customer_join


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"shop{n}")
    name = factory.Sequence(lambda n: f"Shop {n}")
    currency = "RUB"
    timezone = "Europe/Moscow"
    language = "en"
    country = "RU"

    @factory.post_generation
    def setup(obj, create, extracted, **kwargs):
        if create:
            Store.objects.get_or_create(merchant=obj, code="main", defaults={"name": obj.name})
            Program.objects.get_or_create(merchant=obj, defaults=kwargs or {})
            Tier.objects.get_or_create(merchant=obj, code="base", defaults={"name": "Member", "rank": 1, "entry": {}})


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    merchant = factory.SubFactory(MerchantFactory)
    code = factory.Sequence(lambda n: f"s{n}")
    name = factory.Sequence(lambda n: f"Store {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@example.test")
    full_name = factory.Sequence(lambda n: f"Staff {n}")
    password = factory.PostGenerationMethodCall("set_password", "pass12345")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    merchant = factory.SubFactory(MerchantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER


_phone_counter = iter(range(10_000_000))


def next_phone() -> str:
    return f"+7999{next(_phone_counter):07d}"


def customer_create(merchant=None, *, phone: str | None = None, at=None, **profile):
    """A customer who joined through the service (with the program's welcome bonus)."""
    merchant = merchant or MerchantFactory()
    return customer_join(merchant=merchant, phone=phone or next_phone(), at=at or timezone.now(), **profile)


def api_key(merchant, *, scope: str = "pos", store=None) -> tuple[ApiKey, str]:
    return api_key_create(merchant=merchant, scope=scope, store=store)


def draft(*lines: tuple[str, str, str], redeem=0, purchased_at=None) -> Draft:
    """draft(("MILK-1", "2", "89.90"), redeem=100): lines as (sku, quantity, price)."""
    return Draft(
        lines=tuple(DraftLine(sku=sku, quantity=Decimal(q), price=Decimal(p)) for sku, q, p in lines),
        purchased_at=purchased_at or timezone.now(),
        redeem_points=redeem,
    )


def program_set(merchant, **fields) -> Program:
    """Change the merchant's program settings in place (tests set up rules directly)."""
    Program.objects.filter(merchant=merchant).update(**fields)
    merchant.program = Program.objects.get(merchant=merchant)  # services read the merchant's cached program
    return merchant.program


def client_for(merchant, *, scope: str = "pos", store=None):
    from rest_framework.test import APIClient

    _key, secret = api_key(merchant, scope=scope, store=store)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def row_counts() -> dict:
    """Rows of every table a POS call may write, to prove a refused request wrote nothing."""
    from accounts.models import AuditEvent, Customer
    from loyalty.models import Entry, IdempotencyRecord, Lot, PointsAccount, Receipt, ReceiptLine, Refund, RefundLine

    models = [Customer, PointsAccount, Receipt, ReceiptLine, Refund, RefundLine, Lot, Entry, IdempotencyRecord, AuditEvent]
    return {model.__name__: model.objects.count() for model in models}


def ledger_totals(customer) -> dict:
    """The three ways of reading a balance, which must agree (the ledger invariant)."""
    from django.db.models import Sum

    from loyalty.models import Entry, Lot, PointsAccount
    from loyalty.selectors import balance_get

    entries = Entry.objects.filter(customer=customer).aggregate(s=Sum("points"))["s"] or 0
    lots = Lot.objects.filter(customer=customer).aggregate(s=Sum("remaining"))["s"] or 0
    debt = PointsAccount.objects.get(customer=customer).debt
    balance = balance_get(merchant=customer.merchant, customer=customer)
    return {"entries": entries, "lots_less_debt": lots - debt, "balance": balance.available + balance.pending}


def assert_ledger_consistent(customer) -> None:
    totals = ledger_totals(customer)
    assert totals["entries"] == totals["lots_less_debt"] == totals["balance"], totals
