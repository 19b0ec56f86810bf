"""The back-office: every page for each role, merchant isolation, and bad input written nowhere."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import ApiKey, AuditEvent, Membership, Role, Store
from loyalty.models import Entry, EntryKind, Program
from loyalty.services import receipt_commit
from tests.factories import MembershipFactory, MerchantFactory, customer_create, draft

pytestmark = pytest.mark.django_db

OFFICE_PAGES = ["/office/", "/office/program/", "/office/customers/", "/office/receipts/", "/office/stores/", "/office/audit/"]
OWNER_PAGES = ["/office/staff/", "/office/api-keys/"]


def client_for(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def customer(merchant):
    return customer_create(merchant, phone="+79991234567", name="Anna Petrova")


@pytest.fixture
def purchase(merchant, customer):
    store = Store.objects.get(merchant=merchant, code="main")
    receipt, _calc = receipt_commit(
        merchant=merchant, store=store, customer=customer, draft=draft(("MILK-1", "2", "500.00"), redeem=100), number="R-1001"
    )
    return receipt


# ---------- access ----------

@pytest.mark.parametrize("url", OFFICE_PAGES + OWNER_PAGES)
def test_office_pages_redirect_anonymous_to_login(url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", OFFICE_PAGES + OWNER_PAGES)
def test_office_pages_render_for_owner(owner, customer, purchase, url):
    response = client_for(owner).get(url)
    assert response.status_code == 200
    assert 'action="/i18n/setlang/"' in response.content.decode()


@pytest.mark.parametrize("url", OFFICE_PAGES)
def test_office_pages_render_for_marketer(marketer, customer, purchase, url):
    assert client_for(marketer).get(url).status_code == 200


@pytest.mark.parametrize("url", OWNER_PAGES)
def test_owner_pages_forbidden_to_marketer(marketer, url):
    assert client_for(marketer).get(url).status_code == 403


@pytest.mark.parametrize("url", OFFICE_PAGES + OWNER_PAGES)
def test_office_pages_forbidden_to_cashier(cashier, url):
    assert client_for(cashier).get(url).status_code == 403


def test_cashier_cannot_change_program(cashier, merchant):
    response = client_for(cashier).post("/office/program/", {"accrual_percent": "50"})
    assert response.status_code == 403
    assert Program.objects.get(merchant=merchant).accrual_percent == Decimal("5.00")


def test_deactivated_staff_is_refused(owner):
    client = client_for(owner)
    Membership.objects.filter(pk=owner.pk).update(is_active=False)
    assert client.get("/office/").status_code == 403


# ---------- merchant isolation ----------

def test_another_merchants_customer_is_404(owner):
    other = customer_create(MerchantFactory())
    client = client_for(owner)
    assert client.get(f"/office/customers/{other.pk}/").status_code == 404
    response = client.post(f"/office/customers/{other.pk}/adjust/", {"points": "100", "reason": "x"})
    assert response.status_code == 404
    assert not Entry.objects.filter(customer=other, kind=EntryKind.ADJUSTMENT).exists()


def test_another_merchants_receipt_key_and_staff_are_404(owner):
    other_merchant = MerchantFactory()
    other_customer = customer_create(other_merchant)
    receipt, _ = receipt_commit(
        merchant=other_merchant, store=Store.objects.get(merchant=other_merchant, code="main"), customer=other_customer,
        draft=draft(("A", "1", "100.00")), number="X-1",
    )
    other_staff = MembershipFactory(merchant=other_merchant, role=Role.CASHIER)
    from accounts.services import api_key_create

    key, _secret = api_key_create(merchant=other_merchant)
    client = client_for(owner)
    assert client.get(f"/office/receipts/{receipt.pk}/").status_code == 404
    assert client.post(f"/office/api-keys/{key.pk}/revoke/").status_code == 404
    assert client.post(f"/office/staff/{other_staff.pk}/deactivate/").status_code == 404
    key.refresh_from_db()
    other_staff.refresh_from_db()
    assert key.revoked_at is None and other_staff.is_active is True


def test_lists_show_only_own_merchant(owner, customer):
    stranger = customer_create(MerchantFactory(), name="Stranger Danger")
    body = client_for(owner).get("/office/customers/").content.decode()
    assert "Anna Petrova" in body
    assert "Stranger Danger" not in body
    body = client_for(owner).get(f"/office/customers/?q={stranger.phone}").content.decode()
    assert "Stranger Danger" not in body


# ---------- dashboard ----------

def test_dashboard_shows_figures(owner, customer, purchase):
    response = client_for(owner).get("/office/")
    board = response.context["board"]
    assert board.members == 1
    assert board.today.receipts == 1
    assert board.today.revenue == purchase.total
    assert board.redeemed_month == 100
    # welcome bonus 300 plus the purchase accrual
    assert board.accrued_month == 300 + purchase.accrued_points
    assert board.liability_points == 300 - 100 + purchase.accrued_points
    assert len(board.chart["days"]) == 30
    assert 'id="daily-chart"' in response.content.decode()


def test_dashboard_query_count_does_not_grow_with_customers(owner, merchant, django_assert_max_num_queries):
    for _ in range(5):
        customer_create(merchant)
    client = client_for(owner)
    with django_assert_max_num_queries(18):
        client.get("/office/")


# ---------- program ----------

def test_program_update_by_marketer_shows_new_economics(marketer, merchant):
    client = client_for(marketer)
    data = {"accrual_percent": "7", "max_redeem_percent": "100", "point_value": "1", "points_ttl_days": "365",
            "pending_days": "0", "welcome_bonus": "300", "welcome_bonus_ttl_days": "14"}
    response = client.post("/office/program/", data, follow=True)
    assert response.status_code == 200
    assert Program.objects.get(merchant=merchant).accrual_percent == Decimal("7.00")
    body = response.content.decode()
    assert "7\u00a0% accrual at an assumed 50\u00a0% redemption rate costs about 3.5\u00a0% of revenue" in body
    assert AuditEvent.objects.filter(merchant=merchant, action="program.updated", actor=marketer.user).exists()


def test_program_economics_uses_measured_rate(owner, merchant, customer, purchase):
    # 300 welcome + accrual issued, 100 redeemed
    issued = 300 + purchase.accrued_points
    response = client_for(owner).get("/office/program/")
    economics = response.context["economics"]
    assert economics.measured is True
    rate = (Decimal(100) * 100 / Decimal(issued)).quantize(Decimal("1"))
    assert economics.redemption_percent == rate
    assert "redemption rate you have had" in response.content.decode()


def test_program_bad_input_rerendered_with_errors_nothing_written(owner, merchant):
    data = {"accrual_percent": "150", "max_redeem_percent": "abc", "point_value": "1", "points_ttl_days": "",
            "pending_days": "0", "welcome_bonus": "300", "welcome_bonus_ttl_days": "14"}
    response = client_for(owner).post("/office/program/", data)
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"accrual_percent", "max_redeem_percent"}
    assert 'class="field-error"' in response.content.decode()
    assert Program.objects.get(merchant=merchant).accrual_percent == Decimal("5.00")
    assert not AuditEvent.objects.filter(merchant=merchant, action="program.updated").exists()


def test_program_economics_partial(owner):
    response = client_for(owner).get("/office/program/economics/?accrual_percent=10")
    assert response.status_code == 200
    assert "costs about 5\u00a0%" in response.content.decode()


# ---------- customers ----------

@pytest.mark.parametrize("query", ["8 (999) 123-45-67", "+7 999 123 45 67", "anna", "Petrova"])
def test_customer_search(owner, customer, query):
    customer_create(customer.merchant, name="Boris")
    response = client_for(owner).get("/office/customers/", {"q": query})
    names = [c.name for c, _balance in response.context["rows"]]
    assert names == ["Anna Petrova"]


def test_customer_search_by_card(owner, customer):
    response = client_for(owner).get("/office/customers/", {"q": customer.card_number})
    assert [c.pk for c, _ in response.context["rows"]] == [customer.pk]


def test_customer_search_htmx_returns_partial(owner, customer):
    response = client_for(owner).get("/office/customers/", {"q": "anna"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Anna Petrova" in body and "<html" not in body


def test_customer_list_empty_states(owner):
    client = client_for(owner)
    assert "No customers yet" in client.get("/office/customers/").content.decode()
    assert "No customer matches" in client.get("/office/customers/?q=nobody").content.decode()


def test_customer_list_keyset_pages(owner, merchant, django_assert_max_num_queries):
    start = timezone.now() - timedelta(days=1)
    created = [customer_create(merchant, at=start + timedelta(minutes=i)) for i in range(55)]
    client = client_for(owner)
    with django_assert_max_num_queries(10):
        first = client.get("/office/customers/")
    page = first.context["page"]
    assert len(page.items) == 50 and page.has_next and not page.has_prev
    second = client.get("/office/customers/", {"after": page.next_cursor}).context["page"]
    assert [c.pk for c in second.items] == [c.pk for c in reversed(created[:5])]
    back = client.get("/office/customers/", {"before": second.prev_cursor}).context["page"]
    assert [c.pk for c in back.items] == [c.pk for c in page.items]


def test_customer_page_shows_balance_expiry_history_receipts(owner, customer, purchase):
    response = client_for(owner).get(f"/office/customers/{customer.pk}/")
    assert response.status_code == 200
    assert response.context["balance"].available == 300 - 100 + purchase.accrued_points
    body = response.content.decode()
    assert ">Welcome bonus</span>" in body  # the kind's badge; the words beside it do not repeat it
    assert "R-1001" in body and "MILK-1" in body
    assert response.context["expiring"]


def test_customer_adjust_writes_entry_and_audit(owner, customer):
    response = client_for(owner).post(f"/office/customers/{customer.pk}/adjust/", {"points": "-50", "reason": "Complaint refund"})
    assert response.status_code == 302
    entry = Entry.objects.get(customer=customer, kind=EntryKind.ADJUSTMENT)
    assert entry.points == -50 and entry.staff == owner.user
    event = AuditEvent.objects.get(action="points.adjusted")
    assert event.actor == owner.user and event.reason == "Complaint refund"


@pytest.mark.parametrize("data,field", [
    ({"points": "0", "reason": "x"}, "points"),
    ({"points": "abc", "reason": "x"}, "points"),
    ({"points": "10", "reason": ""}, "reason"),
    ({"points": "-100000", "reason": "too much"}, "points"),
])
def test_customer_adjust_bad_input_rerendered_nothing_written(owner, customer, data, field):
    response = client_for(owner).post(f"/office/customers/{customer.pk}/adjust/", data)
    assert response.status_code == 400
    assert field in response.context["adjust_form"].errors
    assert 'class="field-error"' in response.content.decode()
    assert not Entry.objects.filter(customer=customer, kind=EntryKind.ADJUSTMENT).exists()
    assert not AuditEvent.objects.filter(action="points.adjusted").exists()


# ---------- receipts ----------

def test_receipts_list_and_filters(owner, merchant, purchase):
    client = client_for(owner)
    assert [r.number for r in client.get("/office/receipts/").context["page"].items] == ["R-1001"]
    assert client.get("/office/receipts/", {"number": "nope"}).context["page"].items == []
    today = timezone.now().date()
    assert len(client.get("/office/receipts/", {"date_from": str(today - timedelta(days=1))}).context["page"].items) == 1
    assert client.get("/office/receipts/", {"date_to": str(today - timedelta(days=2))}).context["page"].items == []
    response = client.get("/office/receipts/", {"date_from": "2025-05-10", "date_to": "2025-05-01"})
    assert "date_to" in response.context["form"].errors


def test_receipt_detail(owner, purchase):
    response = client_for(owner).get(f"/office/receipts/{purchase.pk}/")
    assert response.status_code == 200
    assert "MILK-1" in response.content.decode()


# ---------- stores ----------

def test_store_create_and_duplicate(owner, merchant):
    client = client_for(owner)
    response = client.post("/office/stores/", {"code": "mall-2", "name": "Mall", "address": "Main st 1"})
    assert response.status_code == 302
    assert Store.objects.filter(merchant=merchant, code="mall-2").exists()
    response = client.post("/office/stores/", {"code": "mall-2", "name": "Again"})
    assert response.status_code == 400
    assert "code" in response.context["form"].errors
    assert Store.objects.filter(merchant=merchant, code="mall-2").count() == 1
    response = client.post("/office/stores/", {"code": "bad code!", "name": ""})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"code", "name"}


# ---------- staff ----------

def test_staff_invite_sends_email_with_link(owner, merchant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post("/office/staff/", {"email": "Kate@Example.test", "full_name": "Kate", "role": "cashier"})
    assert response.status_code == 302
    membership = Membership.objects.get(merchant=merchant, user__email="kate@example.test")
    assert membership.role == Role.CASHIER
    assert len(mail.outbox) == 1
    assert re.search(r"/accounts/invite/[^/]+/[^/]+/", mail.outbox[0].body)


def test_staff_invite_bad_input(owner, merchant):
    response = client_for(owner).post("/office/staff/", {"email": "not-an-email", "role": "boss"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"email", "role"}
    assert Membership.objects.filter(merchant=merchant).count() == 1
    assert len(mail.outbox) == 0


def test_staff_role_change_and_deactivate(owner, cashier):
    client = client_for(owner)
    client.post(f"/office/staff/{cashier.pk}/role/", {"role": "marketer"})
    cashier.refresh_from_db()
    assert cashier.role == Role.MARKETER
    client.post(f"/office/staff/{cashier.pk}/deactivate/")
    cashier.refresh_from_db()
    assert cashier.is_active is False
    assert AuditEvent.objects.filter(action="staff.deactivated", actor=owner.user).exists()


def test_owner_cannot_deactivate_self(owner):
    client_for(owner).post(f"/office/staff/{owner.pk}/deactivate/")
    owner.refresh_from_db()
    assert owner.is_active is True


def test_staff_actions_forbidden_to_marketer(marketer, cashier):
    client = client_for(marketer)
    assert client.post(f"/office/staff/{cashier.pk}/deactivate/").status_code == 403
    assert client.post("/office/staff/", {"email": "x@example.test", "role": "owner"}).status_code == 403
    cashier.refresh_from_db()
    assert cashier.is_active is True


# ---------- API keys ----------

def test_api_key_created_shown_once_and_revoked(owner, merchant):
    client = client_for(owner)
    response = client.post("/office/api-keys/", {"name": "Till 1", "scope": "pos", "store": "main"})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("lk_pos_") and secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    key = ApiKey.objects.get(merchant=merchant)
    assert key.store.code == "main"
    assert secret not in client.get("/office/api-keys/").content.decode()
    client.post(f"/office/api-keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_api_key_bad_scope(owner, merchant):
    response = client_for(owner).post("/office/api-keys/", {"name": "x", "scope": "root"})
    assert response.status_code == 400
    assert "scope" in response.context["form"].errors
    assert not ApiKey.objects.filter(merchant=merchant).exists()


def test_api_keys_forbidden_to_marketer(marketer, merchant):
    assert client_for(marketer).post("/office/api-keys/", {"scope": "admin"}).status_code == 403
    assert not ApiKey.objects.filter(merchant=merchant).exists()


# ---------- audit ----------

def test_audit_log_lists_staff_actions(owner, customer):
    client = client_for(owner)
    client.post(f"/office/customers/{customer.pk}/adjust/", {"points": "10", "reason": "Birthday gift"})
    body = client.get("/office/audit/").content.decode()
    assert "Points adjusted" in body and "Birthday gift" in body


# ---------- language ----------

def test_office_in_russian(owner, customer, purchase):
    client = client_for(owner)
    client.post("/i18n/setlang/", {"language": "ru", "next": "/office/"})
    body = client.get("/office/").content.decode()
    assert 'lang="ru"' in body
    assert "Покупатели" in body
