"""Customer search in any alphabet, and staff editing a customer's profile (office, counter, portal)."""
import importlib
from datetime import date

import pytest
from django.apps import apps
from django.test import Client

from accounts.models import AuditEvent, Customer, Role
from accounts.selectors import customer_search
from accounts.services import customer_edit
from tests.factories import MembershipFactory, MerchantFactory, customer_create

pytestmark = pytest.mark.django_db


def client_for(merchant, role) -> Client:
    membership = MembershipFactory(merchant=merchant, role=role)
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def morozova(merchant):
    return customer_create(merchant, phone="+79991112233", name="Анна Морозова", email="Anna.M@Example.test")


# ---------- search ----------

@pytest.mark.parametrize("query", ["морозова", "МОРОЗОВА", "Морозова", "морозова анна", "анна   морозова", "anna.m@example"])
def test_customer_search_ignores_case_in_any_alphabet(merchant, morozova, query):
    customer_create(merchant, name="Иван Петров")
    found = list(customer_search(merchant=merchant, q=query))
    assert found == [morozova]


def test_customer_search_reads_yo_as_ye(merchant):
    fyodorov = customer_create(merchant, name="Пётр Фёдоров")
    assert list(customer_search(merchant=merchant, q="федоров")) == [fyodorov]
    assert list(customer_search(merchant=merchant, q="ФЁДОРОВ")) == [fyodorov]


def test_customer_search_is_scoped_by_merchant(merchant, morozova):
    other = MerchantFactory()
    customer_create(other, name="Анна Морозова")
    assert list(customer_search(merchant=merchant, q="морозова")) == [morozova]


def test_office_customer_list_finds_cyrillic_name_in_lower_case(merchant, morozova):
    response = client_for(merchant, Role.MARKETER).get("/office/customers/", {"q": "морозова"})
    assert response.status_code == 200
    assert "Анна Морозова" in response.content.decode()


def test_counter_search_by_name_lists_matches(merchant, morozova):
    customer_create(merchant, name="Мария Морозова")
    customer_create(merchant, name="Иван Петров")
    response = client_for(merchant, Role.CASHIER).get("/counter/", {"q": "морозова"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Анна Морозова" in body and "Мария Морозова" in body and "Иван Петров" not in body
    assert f"/counter/customers/{morozova.pk}/" in body


def test_search_text_migration_fills_existing_customers(merchant, morozova):
    Customer.objects.filter(pk=morozova.pk).update(search_text="")
    assert list(customer_search(merchant=merchant, q="морозова")) == []
    migration = importlib.import_module("accounts.migrations.0003_customer_search_text")
    migration.fill_search_text(apps, None)
    assert list(customer_search(merchant=merchant, q="морозова")) == [morozova]


# ---------- staff edit: the service ----------

def test_customer_edit_normalises_phone_and_audits_each_change(merchant, morozova):
    owner = MembershipFactory(merchant=merchant, role=Role.OWNER).user
    customer_edit(customer=morozova, actor=owner, data={"name": "Анна Смирнова", "phone": "8 (999) 765-43-21", "consent_sms": True,
                                                         "email": "anna.m@example.test"})
    morozova.refresh_from_db()
    assert morozova.phone == "+79997654321"
    assert morozova.name == "Анна Смирнова"
    event = AuditEvent.objects.get(merchant=merchant, action="customer.updated")
    assert event.actor == owner
    assert event.data["changes"] == {
        "name": ["Анна Морозова", "Анна Смирнова"], "phone": ["+79991112233", "+79997654321"], "consent_sms": [False, True],
    }
    # The search follows the new name and phone.
    assert list(customer_search(merchant=merchant, q="смирнова")) == [morozova]
    assert list(customer_search(merchant=merchant, q="морозова")) == []


def test_customer_edit_refuses_another_customers_phone_and_writes_nothing(merchant, morozova):
    customer_create(merchant, phone="+79990001122")
    owner = MembershipFactory(merchant=merchant, role=Role.OWNER).user
    from accounts.errors import ValidationError

    with pytest.raises(ValidationError) as error:
        customer_edit(customer=morozova, actor=owner, data={"phone": "+7 999 000-11-22", "name": "X"})
    assert "phone" in error.value.message_dict
    morozova.refresh_from_db()
    assert (morozova.phone, morozova.name) == ("+79991112233", "Анна Морозова")
    assert not AuditEvent.objects.filter(action="customer.updated").exists()


# ---------- staff edit: the office page ----------

def form_data(customer, **changes) -> dict:
    data = {
        "profile-name": customer.name, "profile-phone": customer.phone, "profile-email": customer.email,
        "profile-birthday": customer.birthday.isoformat() if customer.birthday else "", "profile-gender": customer.gender,
        "profile-language": customer.language,
    }
    for name in ("consent_email", "consent_sms", "consent_push"):
        if getattr(customer, name):
            data[f"profile-{name}"] = "on"
    data.update({f"profile-{key}": value for key, value in changes.items()})
    return data


def test_office_customer_page_has_the_profile_form(merchant, morozova):
    response = client_for(merchant, Role.MARKETER).get(f"/office/customers/{morozova.pk}/")
    body = response.content.decode()
    assert f'action="/office/customers/{morozova.pk}/profile/"' in body
    assert 'name="profile-phone"' in body


def test_office_profile_edit_saves_and_is_audited(merchant, morozova):
    client = client_for(merchant, Role.MARKETER)
    response = client.post(f"/office/customers/{morozova.pk}/profile/", form_data(morozova, birthday="1990-05-01", gender="f"))
    assert response.status_code == 302
    morozova.refresh_from_db()
    assert morozova.birthday == date(1990, 5, 1)
    assert morozova.gender == "f"
    assert AuditEvent.objects.get(action="customer.updated").data["changes"]["birthday"] == ["", "1990-05-01"]


@pytest.mark.parametrize("field,value", [("phone", "12"), ("birthday", "9999-12-31"), ("birthday", "0001-01-01"),
                                          ("birthday", "31.02.1990"), ("email", "not-an-email"), ("gender", "x"), ("language", "xx")])
def test_office_profile_edit_refuses_bad_input_naming_the_field(merchant, morozova, field, value):
    response = client_for(merchant, Role.OWNER).post(f"/office/customers/{morozova.pk}/profile/", form_data(morozova, **{field: value}))
    assert response.status_code == 400
    assert response.context["edit_form"].errors.get(field)
    assert not AuditEvent.objects.filter(action="customer.updated").exists()


def test_office_profile_edit_is_scoped_by_merchant(merchant, morozova):
    stranger = client_for(MerchantFactory(), Role.OWNER)
    response = stranger.post(f"/office/customers/{morozova.pk}/profile/", form_data(morozova, name="Hacked"))
    assert response.status_code == 404
    morozova.refresh_from_db()
    assert morozova.name == "Анна Морозова"


def test_cashier_cannot_use_the_office_profile_form(merchant, morozova):
    response = client_for(merchant, Role.CASHIER).post(f"/office/customers/{morozova.pk}/profile/", form_data(morozova, name="X"))
    assert response.status_code == 403


# ---------- staff edit: the counter ----------

def test_counter_panel_links_to_the_profile_form_and_it_saves(merchant, morozova):
    client = client_for(merchant, Role.CASHIER)
    panel = client.get(f"/counter/customers/{morozova.pk}/").content.decode()
    assert f'href="/counter/customers/{morozova.pk}/profile/"' in panel
    page = client.get(f"/counter/customers/{morozova.pk}/profile/")
    assert page.status_code == 200 and 'name="profile-phone"' in page.content.decode()
    response = client.post(f"/counter/customers/{morozova.pk}/profile/", form_data(morozova, phone="+7 999 555-44-33"))
    assert response.status_code == 302
    morozova.refresh_from_db()
    assert morozova.phone == "+79995554433"
    event = AuditEvent.objects.get(action="customer.updated")
    assert event.data["changes"]["phone"] == ["+79991112233", "+79995554433"]


def test_counter_profile_refuses_a_taken_phone(merchant, morozova):
    customer_create(merchant, phone="+79990001122")
    client = client_for(merchant, Role.CASHIER)
    response = client.post(f"/counter/customers/{morozova.pk}/profile/", form_data(morozova, phone="89990001122"))
    assert response.status_code == 400
    assert "Another customer already has this phone number." in response.content.decode()


# ---------- the portal ----------

def portal_client(customer) -> Client:
    client = Client()
    session = client.session
    session["portal"] = {customer.merchant.slug: str(customer.pk)}
    session.save()
    return client


def test_portal_locked_birthday_is_text_not_an_input(merchant):
    customer = customer_create(merchant, name="Anna", email="anna@example.test", birthday=date(1990, 5, 1))
    body = portal_client(customer).get(f"/my/{merchant.slug}/profile/").content.decode()
    assert 'name="birthday"' not in body
    assert 'data-testid="birthday-locked"' in body
    assert "ask at the counter" in body


def test_portal_birthday_not_yet_set_is_an_input(merchant):
    customer = customer_create(merchant, name="Anna", email="anna@example.test")
    body = portal_client(customer).get(f"/my/{merchant.slug}/profile/").content.decode()
    assert 'name="birthday"' in body
