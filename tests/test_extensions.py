"""Extension points (loyalty/extensions.py): another app's loader, steps, after-commit writer and
refund reverser run at their places without loyalty importing it; its menu entries, counter panel
parts and portal sections render without a template naming it."""
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, Store
from loyalty import extensions
from loyalty.checkout import STEPS, explained
from loyalty.extensions import (
    CheckoutExtension,
    MenuEntry,
    PanelPart,
    PortalSection,
    checkout_extensions,
    checkout_register,
    checkout_unregister,
    pipeline_steps,
)
from loyalty.models import Entry, Receipt
from loyalty.services import receipt_calculate, receipt_commit, receipt_refund
from loyalty.texts import message
from tests.factories import MembershipFactory, customer_create, draft, row_counts

pytestmark = pytest.mark.django_db

OFF = Decimal("20.00")


class Throwaway:
    """A stand-in for an app such as promotions: it records what loyalty hands it."""

    def __init__(self):
        self.loads = []
        self.trail = []
        self.commits = []
        self.refunds = []
        self.fail_commit = False

    def load(self, request):
        self.loads.append(request)
        return {"off": OFF}

    def discount(self, calc, ctx):
        # after_tier: the discount total is not summed yet.
        self.trail.append(("after_tier", calc.discount))
        calc.lines[0].discount += ctx.extras["throwaway"]["off"]
        calc.applied.append(explained({"kind": "promotion", "amount": str(OFF)}, name=message("applied.redemption"), detail=[]))

    def before_redemption(self, calc, ctx):
        self.trail.append(("before_redemption", calc.discount, calc.redeemed_points))

    def after_accrual(self, calc, ctx):
        self.trail.append(("after_accrual", calc.accrued_points))

    def after_commit(self, record):
        # Inside the commit's transaction, after the receipt and its ledger entries are written.
        self.commits.append({
            "in_transaction": connection.in_atomic_block,
            "receipt_saved": Receipt.objects.filter(pk=record.receipt.pk).exists(),
            "entries": Entry.objects.filter(receipt=record.receipt).count(),
            "extras": record.context.extras.get("throwaway"),
            "discount": record.calculation.discount,
        })
        if self.fail_commit:
            raise RuntimeError("the app's writer failed")

    def after_refund(self, record):
        self.refunds.append((record.refund.pk, record.fully_returned, connection.in_atomic_block))

    def extension(self, **overrides):
        fields = dict(
            name="throwaway", load=self.load,
            steps={"after_tier": self.discount, "before_redemption": self.before_redemption, "after_accrual": self.after_accrual},
            after_commit=self.after_commit, after_refund=self.after_refund,
        )
        fields.update(overrides)
        return CheckoutExtension(**fields)


@pytest.fixture
def no_extensions(monkeypatch):
    """Whatever other apps registered, these tests see only their own extension."""
    monkeypatch.setattr(extensions, "_checkout", {})
    monkeypatch.setattr(extensions, "_account_holders", {})


@pytest.fixture
def throwaway(no_extensions):
    app = Throwaway()
    checkout_register(app.extension())
    yield app
    checkout_unregister("throwaway")
    assert pipeline_steps() == list(STEPS)


@pytest.fixture
def customer(merchant):
    return customer_create(merchant, phone="+79991234567", name="Anna")  # 300 welcome points


@pytest.fixture
def store(merchant):
    return Store.objects.get(merchant=merchant, code="main")


def milk(redeem=0):
    return draft(("MILK-1", "2", "89.90"), redeem=redeem)


# --- checkout ------------------------------------------------------------------------------------

def test_loader_runs_once_per_calculate_and_per_commit_with_for_commit(throwaway, merchant, customer, store):
    receipt_calculate(merchant=merchant, customer=customer, draft=milk(), store=store)
    assert [(r.for_commit, r.customer, r.store, r.merchant) for r in throwaway.loads] == [(False, customer, store, merchant)]

    receipt_commit(merchant=merchant, store=store, customer=customer, draft=milk(), number="R-1")
    assert [r.for_commit for r in throwaway.loads] == [False, True]
    assert throwaway.loads[1].draft.lines[0].sku == "MILK-1"


def test_steps_run_at_their_places_and_a_discount_reaches_totals_cap_and_accrual(throwaway, merchant, customer):
    # 2 × 89.90 = 179.80; the app takes 20.00 off at after_tier: 159.80 to pay.
    calc = receipt_calculate(merchant=merchant, customer=customer, draft=milk(redeem="max"))

    assert calc.discount == OFF and calc.lines[0].discount == OFF
    # The redemption cap is 100 % of what is left after the discount (no discount: 179).
    assert calc.max_redeem_points == 159 and calc.redeemed_points == 159
    assert calc.total == Decimal("0.80")
    assert [entry["kind"] for entry in calc.applied] == ["promotion", "redemption"]
    # Each step saw the calculation as its place promises.
    assert throwaway.trail == [("after_tier", Decimal("0")), ("before_redemption", OFF, 0), ("after_accrual", 0)]

    throwaway.trail.clear()
    calc = receipt_calculate(merchant=merchant, customer=customer, draft=milk(redeem=100))
    # Accrual is 5 % of the 59.80 paid in money (179.80 − 20.00 − 100.00), rounded down.
    assert (calc.total, calc.accrued_points) == (Decimal("59.80"), 2)
    assert throwaway.trail[-1] == ("after_accrual", 2)


def test_steps_of_several_apps_at_one_place_run_by_order_then_name(no_extensions):
    ran = []
    for name, order in (("b-app", 100), ("a-app", 100), ("early", 5)):
        checkout_register(CheckoutExtension(name=name, order=order, steps={"after_tier": lambda calc, ctx, name=name: ran.append(name)}))
    steps = pipeline_steps()
    tier = STEPS.index(extensions.step_tier)
    assert steps[: tier + 1] == STEPS[: tier + 1] and len(steps) == len(STEPS) + 3
    for step in steps[tier + 1: tier + 4]:
        step(None, None)
    assert ran == ["early", "a-app", "b-app"]


def test_after_commit_writer_runs_inside_the_transaction_and_sees_the_receipt(throwaway, merchant, customer, store):
    receipt, calc = receipt_commit(merchant=merchant, store=store, customer=customer, draft=milk(redeem=100), number="R-1")

    assert throwaway.commits == [{"in_transaction": True, "receipt_saved": True, "entries": 2, "extras": {"off": OFF}, "discount": OFF}]
    assert receipt.discount == OFF and receipt.total == Decimal("59.80")


def test_a_failing_after_commit_writer_leaves_nothing_of_the_receipt(throwaway, merchant, customer, store):
    throwaway.fail_commit = True
    before = row_counts()

    with pytest.raises(RuntimeError):
        receipt_commit(merchant=merchant, store=store, customer=customer, draft=milk(redeem=100), number="R-1")

    assert row_counts() == before
    assert not Receipt.objects.filter(number="R-1").exists()


def test_refund_reverser_is_told_whether_the_receipt_is_now_fully_returned(throwaway, merchant, customer, store):
    receipt, _calc = receipt_commit(merchant=merchant, store=store, customer=customer, draft=milk(), number="R-1")

    first = receipt_refund(receipt=receipt, data={"lines": [{"sku": "MILK-1", "quantity": "1"}]})
    second = receipt_refund(receipt=receipt, data={})

    assert throwaway.refunds == [(first.pk, False, True), (second.pk, True, True)]


def test_registering_the_same_name_twice_does_not_duplicate(throwaway, merchant, customer):
    checkout_register(throwaway.extension())
    checkout_register(throwaway.extension())

    assert [ext.name for ext in checkout_extensions()] == ["throwaway"]
    assert len(pipeline_steps()) == len(STEPS) + 3
    calc = receipt_calculate(merchant=merchant, customer=customer, draft=milk())
    assert len(throwaway.loads) == 1 and calc.discount == OFF


def test_a_step_at_an_unknown_place_is_refused(no_extensions):
    with pytest.raises(ValueError, match="after_everything"):
        checkout_register(CheckoutExtension(name="typo", steps={"after_everything": lambda calc, ctx: None}))
    assert checkout_extensions() == ()


def test_no_extension_adds_no_statement_to_a_commit(no_extensions, merchant, customer, store):
    def statements(number):
        with CaptureQueriesContext(connection) as queries:
            receipt_commit(merchant=merchant, store=store, customer=customer, draft=milk(redeem=100), number=number)
        return len(queries)

    statements("R-0")  # the first commit fills the caches (program, content types)
    with_none = statements("R-1")
    # An extension with steps only (no loader, no writer) asks the database nothing either.
    checkout_register(CheckoutExtension(name="steps-only", steps={"after_accrual": lambda calc, ctx: None}))
    with_steps_only = statements("R-2")

    assert with_steps_only == with_none
    # What a commit with redemption and accrual takes without extensions (no more than before they existed).
    assert with_none == COMMIT_STATEMENTS


# On SQLite and PostgreSQL alike: the savepoint and its release, the lock (with whether a higher tier
# exists), the lots, the receipt, its lines, the spent lot, the accrual lot, both entries in one INSERT.
# (11 before the commit path was trimmed: one INSERT per entry, and the tier list read on every commit.)
COMMIT_STATEMENTS = 9


# --- screens -------------------------------------------------------------------------------------

def office_client(merchant, role) -> Client:
    client = Client()
    client.force_login(MembershipFactory(merchant=merchant, role=role).user)
    return client


@pytest.fixture
def registries(monkeypatch):
    """Copies of the UI registries, so what a test registers is gone after it."""
    monkeypatch.setattr(extensions, "_office_menu", dict(extensions._office_menu))
    monkeypatch.setattr(extensions, "_counter_panel", dict(extensions._counter_panel))
    monkeypatch.setattr(extensions, "_portal_sections", dict(extensions._portal_sections))


def test_an_office_menu_entry_shows_for_its_roles_only(registries, merchant):
    extensions.office_menu_register(MenuEntry("reports", "Stamp reports", "office:audit", roles=(Role.OWNER,), order=35))

    owner_page = office_client(merchant, Role.OWNER).get("/office/").content.decode()
    marketer_page = office_client(merchant, Role.MARKETER).get("/office/").content.decode()

    assert "Stamp reports" in owner_page and "Stamp reports" not in marketer_page
    # In its order: after Receipts (30), before Program (40).
    nav = re.findall(r'<li><a href="[^"]*"[^>]*>([^<]+)</a></li>', owner_page)
    assert nav[nav.index("Receipts") + 1] == "Stamp reports" and nav[nav.index("Stamp reports") + 1] == "Program"
    # loyalty's own owner-only entries still follow the role.
    assert "API keys" in owner_page and "API keys" not in marketer_page


def test_the_current_menu_entry_is_marked(merchant):
    page = office_client(merchant, Role.OWNER).get("/office/customers/").content.decode()
    assert re.search(r'href="/office/customers/" aria-current="page">Customers<', page)
    assert not re.search(r'href="/office/" aria-current="page"', page)


def test_a_counter_panel_part_renders_with_its_context(registries, merchant, customer):
    seen = []

    def context(request, panel_customer):
        seen.append((request.user.is_authenticated, panel_customer))
        return {"title": f"Stamps of {panel_customer.name}: 3 of 5"}

    extensions.counter_panel_register(PanelPart("stamps", "components/empty.html", context, order=25))

    page = office_client(merchant, Role.CASHIER).get(f"/counter/customers/{customer.pk}/").content.decode()

    assert seen == [(True, customer)]
    assert "Stamps of Anna: 3 of 5" in page
    # Between the balance (20) and the expiring points (30).
    assert page.index('data-testid="balance"') < page.index("Stamps of Anna") < page.index("Expiring in")


def test_a_portal_section_renders_with_its_context(registries, client, merchant):
    customer = customer_create(merchant, phone="+79991234567", name="Anna", email="anna@example.test")
    extensions.portal_section_register(
        PortalSection("offers", "components/empty.html", lambda request, who: {"title": f"Offers for {who.name}"}, order=35)
    )
    client.post(f"/my/{merchant.slug}/login/", {"identifier": "anna@example.test"}, REMOTE_ADDR="10.0.0.1")
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    client.post(f"/my/{merchant.slug}/login/code/", {"code": code})

    page = client.get(f"/my/{merchant.slug}/").content.decode()

    assert "Offers for Anna" in page
    assert page.index('data-testid="balance"') < page.index("Offers for Anna") < page.index('data-testid="card-number"')
    assert customer.card_number in page


def in_order(keys, registered) -> list:
    return [item.key for item in registered if item.key in keys]


def test_loyalty_registers_its_own_screens():
    menu = ["dashboard", "customers", "receipts", "program", "tiers", "stores", "staff", "api_keys", "audit", "counter"]
    assert in_order(menu, extensions.office_menu()) == menu
    assert in_order(["staff", "api_keys", "counter"], extensions.office_menu(Role.MARKETER)) == []
    panel = ["identity", "balance", "expiring", "recent"]
    assert in_order(panel, extensions.counter_panel()) == panel
    sections = ["messages", "balance", "tier", "card", "history"]
    assert in_order(sections, extensions.portal_sections()) == sections


def test_an_unknown_place_or_bad_step_never_reaches_the_pipeline(no_extensions):
    with pytest.raises(ValueError):
        checkout_register(CheckoutExtension(name="bad", steps={"after_tier": "not callable"}))
    with pytest.raises(ValueError):
        checkout_register(CheckoutExtension(name=""))
    assert pipeline_steps() == list(STEPS)


def test_steps_may_be_a_sequence_at_one_place(no_extensions):
    ran = []
    checkout_register(CheckoutExtension(name="two", steps={"after_accrual": (lambda c, x: ran.append(1), lambda c, x: ran.append(2))}))
    for step in pipeline_steps()[len(STEPS):]:
        step(None, None)
    assert ran == [1, 2]
