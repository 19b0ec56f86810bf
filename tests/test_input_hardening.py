"""Untrusted input, judged in one place (accounts.inputs, the input guard middleware, the API's JSON parser):
text that cannot be stored, JSON nested too deep, numbers written loosely, unknown keys, chunked bodies
and dates at the edge of the calendar are 400s naming the field, never a 500, and nothing is written."""
import base64
import json
import socket
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django import forms
from django.test import Client
from django.utils import timezone

from loyalty.models import PointsAccount, Receipt
from loyalty.services.tiers import tier_create
from tests.factories import customer_create, row_counts

pytestmark = pytest.mark.django_db

LINE = {"sku": "MILK-1", "name": "Milk", "category": "dairy", "quantity": "1", "price": "10.00"}


def post_raw(client, url, text: str, method: str = "post"):
    """Send JSON text as written (escapes such as \\ud800 and \\u0000 reach the server as sent)."""
    return getattr(client, method)(url, data=text.encode(), content_type="application/json")


def draft_text(*, line_field: str = "", top_field: str = "", value: str = "") -> str:
    line = dict(LINE)
    body: dict = {"lines": [line]}
    if line_field:
        line[line_field] = "@"
    if top_field:
        body[top_field] = "@"
    return json.dumps(body).replace('"@"', value)


@pytest.fixture
def customer(merchant):
    return customer_create(merchant)


@pytest.fixture
def gold(merchant):
    return tier_create(merchant=merchant, data={"code": "gold", "name": "Gold", "rank": 2, "entry": {"total_spend": "10000.00"}})


@pytest.fixture
def sale(pos_client, customer):
    response = pos_client.post("/api/v1/receipts", {"customer": str(customer.pk), "number": "S-1",
                                                    "lines": [LINE, {**LINE, "sku": "BREAD", "price": "5.00"}]}, format="json")
    assert response.status_code == 201
    return response.json()


# --- text that cannot be stored: NUL and lone surrogates ------------------------------------------------

BAD_TEXTS = [pytest.param('"A\\u0000B"', id="nul"), pytest.param('"A\\ud800B"', id="lone-surrogate")]
DRAFT_FIELDS = [("line", "sku"), ("line", "name"), ("line", "category"), ("top", "store"), ("top", "number"), ("top", "phone")]


@pytest.mark.parametrize("bad", BAD_TEXTS)
@pytest.mark.parametrize(("where", "field"), DRAFT_FIELDS)
def test_bad_text_in_a_receipt_is_400_naming_the_field(pos_client, customer, bad, where, field):
    before = row_counts()
    text = draft_text(line_field=field if where == "line" else "", top_field=field if where == "top" else "", value=bad)
    for url in ("/api/v1/receipts/calculate", "/api/v1/receipts"):
        response = post_raw(pos_client, url, text)
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["code"] == "invalid"
        assert (f"lines[0].{field}" if where == "line" else field) in body["fields"]
    assert row_counts() == before


@pytest.mark.parametrize("bad", BAD_TEXTS)
def test_bad_text_in_tiers_and_customers_is_400(admin_client, merchant, gold, bad):
    before = row_counts()
    response = post_raw(admin_client, "/api/v1/tiers", '{"code": "silver", "rank": 5, "name": %s}' % bad)
    assert response.status_code == 400 and "name" in response.json()["fields"]
    response = post_raw(admin_client, "/api/v1/tiers/gold", '{"name": %s}' % bad, method="patch")
    assert response.status_code == 400 and "name" in response.json()["fields"]
    response = post_raw(admin_client, "/api/v1/customers", '{"phone": "+79990001122", "name": %s}' % bad)
    assert response.status_code == 400 and "name" in response.json()["fields"]
    assert row_counts() == before


def test_nul_in_the_path_or_the_query_is_400_in_the_api_shape(admin_client, pos_client, gold):
    for client, url in [(admin_client, "/api/v1/tiers/go%00ld"), (pos_client, "/api/v1/customers/lookup?q=%00"),
                        (pos_client, "/api/v1/receipts/ab%00cd"), (pos_client, "/api/v1/customers/x%00y/entries")]:
        response = client.get(url)
        assert response.status_code == 400, url
        assert set(response.json()) == {"code", "detail", "fields"}
    assert admin_client.delete("/api/v1/tiers/gold%00").status_code == 400
    before = row_counts()
    response = pos_client.post("/api/v1/receipts", {"number": "K-1", "lines": [LINE]}, format="json", HTTP_IDEMPOTENCY_KEY="k\x00")
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["fields"]
    assert row_counts() == before


def test_an_error_that_quotes_a_lone_surrogate_still_renders(settings):
    from rest_framework.settings import api_settings

    JSONRenderer = api_settings.DEFAULT_RENDERER_CLASSES[0]
    rendered = JSONRenderer().render({"code": "invalid", "detail": "No store with code '\ud800'.", "fields": {}})
    assert json.loads(rendered)["detail"] == "No store with code '\ud800'."


def test_nul_in_a_screen_form_or_query_is_a_clean_400_page(client, merchant, owner):
    client.force_login(owner.user)
    for response in (client.get("/office/customers/", {"q": "Iv\x00an"}), client.post("/office/stores/", {"code": "b", "name": "B\x00"}),
                     client.get("/office/receipts/", {"number": "\x00"}, HTTP_ACCEPT_LANGUAGE="ru")):
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
    assert "This request could not be accepted" in client.get("/office/customers/", {"q": "\x00"}).content.decode()
    assert merchant.stores.count() == 1
    join = Client().post(f"/my/{merchant.slug}/join/", {"name": "A\x00", "phone": "+79990001133", "email": "a@example.com", "terms": "on"})
    assert join.status_code == 400


# --- structure: JSON nested too deep ----------------------------------------------------------------------

WRITE_ENDPOINTS = [("pos", "post", "/api/v1/receipts/calculate"), ("pos", "post", "/api/v1/receipts"), ("pos", "post", "/api/v1/customers"),
                   ("admin", "patch", "/api/v1/program"), ("admin", "post", "/api/v1/tiers"), ("admin", "patch", "/api/v1/tiers/gold")]


@pytest.mark.parametrize(("scope", "method", "url"), WRITE_ENDPOINTS)
@pytest.mark.parametrize("depth", [40, 1000, 100_000])
def test_json_nested_deep_is_400_on_every_endpoint(pos_client, admin_client, gold, scope, method, url, depth):
    client = pos_client if scope == "pos" else admin_client
    before = row_counts()
    response = post_raw(client, url, '{"lines": ' + "[" * depth + "]" * depth + "}", method=method)
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"
    assert row_counts() == before


def test_json_nested_deep_in_a_refund_is_400(pos_client, sale):
    response = post_raw(pos_client, f"/api/v1/receipts/{sale['id']}/refund", '{"lines": ' + "[" * 1000 + "]" * 1000 + "}")
    assert response.status_code == 400
    assert Receipt.objects.get(pk=sale["id"]).refunded_amount == 0


# --- integers and decimals, strictly and canonically -------------------------------------------------------


@pytest.mark.parametrize("value", ['"--5"', '"\\u00b2"', '"1_000"', '"\\u0661\\u0662"', '"5.0"', '"' + "9" * 5000 + '"', "9" * 5000, "5e0"])
@pytest.mark.parametrize("field", ["welcome_bonus", "pending_days", "points_ttl_days"])
def test_program_integers_written_loosely_are_400_naming_the_field(admin_client, merchant, value, field):
    response = post_raw(admin_client, "/api/v1/program", '{"%s": %s}' % (field, value), method="patch")
    assert response.status_code == 400
    assert response.json()["code"] in ("invalid", "malformed_json")
    if response.json()["code"] == "invalid":
        assert field in response.json()["fields"]
    assert admin_client.get("/api/v1/program").json()["welcome_bonus"] == 300


@pytest.mark.parametrize("value", ["1E+2", "1e2", "1_000", "\u0661\u0662", "--5", "+5", "5.", ".5", "0x10", "5 0", "\u00b2"])
@pytest.mark.parametrize("field", ["price", "quantity"])
def test_numbers_written_loosely_are_400_naming_the_field(pos_client, customer, value, field):
    response = pos_client.post("/api/v1/receipts/calculate", {"lines": [{**LINE, field: value}]}, format="json")
    assert response.status_code == 400
    assert f"lines[0].{field}" in response.json()["fields"]


def test_numbers_are_answered_in_canonical_form_and_the_stored_receipt_reads_the_same(pos_client, customer):
    body = {"customer": str(customer.pk), "lines": [
        {"sku": "A", "quantity": "1.50", "price": "100"},
        {"sku": "B", "quantity": 2, "price": "-0"},
        {"sku": "C", "quantity": "0.250", "price": 89.9},
    ]}
    priced = pos_client.post("/api/v1/receipts/calculate", body, format="json").json()
    assert [(line["quantity"], line["price"], line["amount"]) for line in priced["lines"]] == [
        ("1.5", "100.00", "150.00"), ("2", "0.00", "0.00"), ("0.25", "89.90", "22.48")]
    committed = pos_client.post("/api/v1/receipts", {**body, "number": "N-1"}, format="json").json()
    stored = pos_client.get(f"/api/v1/receipts/{committed['id']}").json()
    keys = ("sku", "quantity", "price", "amount", "discount", "total", "accrued_points")
    assert [{k: line[k] for k in keys} for line in stored["lines"]] == [{k: line[k] for k in keys} for line in priced["lines"]]
    assert (stored["subtotal"], stored["total"]) == (priced["subtotal"], priced["total"])


def test_tier_and_program_amounts_are_canonical(admin_client, gold):
    response = admin_client.patch("/api/v1/tiers/gold", {"entry": {"total_spend": "8000"}, "accrual_percent": "7.5"}, format="json")
    assert response.status_code == 200
    assert (response.json()["entry"], response.json()["accrual_percent"]) == ({"total_spend": "8000.00"}, "7.50")
    assert admin_client.patch("/api/v1/tiers/gold", {"discount_percent": "1E+1"}, format="json").status_code == 400
    assert admin_client.patch("/api/v1/program", {"point_value": "1e0"}, format="json").status_code == 400


# --- unknown keys in every write body -----------------------------------------------------------------------


def test_a_misspelt_refund_key_refunds_nothing(pos_client, sale):
    before = row_counts()
    response = pos_client.post(f"/api/v1/receipts/{sale['id']}/refund", {"line": [{"sku": "MILK-1", "quantity": "1"}]}, format="json")
    assert response.status_code == 400
    assert "line" in response.json()["fields"]
    response = pos_client.post(f"/api/v1/receipts/{sale['id']}/refund", {"lines": [{"sku": "MILK-1", "qty": "1"}]}, format="json")
    assert response.status_code == 400
    assert "lines[0].qty" in response.json()["fields"]
    assert row_counts() == before
    assert Receipt.objects.get(pk=sale["id"]).refunded_amount == 0


@pytest.mark.parametrize(("url", "body", "field"), [
    ("/api/v1/receipts/calculate", {"lines": [LINE], "reedem_points": 5}, "reedem_points"),
    ("/api/v1/receipts/calculate", {"lines": [{**LINE, "qty": "2"}]}, "lines[0].qty"),
    ("/api/v1/receipts", {"lines": [LINE], "number": "U-1", "numbr": "U-1"}, "numbr"),
    ("/api/v1/customers", {"phone": "+79990002233", "nmae": "Ivan"}, "nmae"),
])
def test_unknown_keys_in_pos_writes_are_400_naming_the_key(pos_client, url, body, field):
    before = row_counts()
    response = pos_client.post(url, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert row_counts() == before


def test_unknown_keys_in_admin_writes_are_400_naming_the_key(admin_client, gold):
    assert "colour" in admin_client.patch("/api/v1/program", {"colour": "red"}, format="json").json()["fields"]
    assert "colour" in admin_client.patch("/api/v1/tiers/gold", {"colour": "red"}, format="json").json()["fields"]
    assert "entry.spend" in admin_client.patch("/api/v1/tiers/gold", {"entry": {"spend": "1.00"}}, format="json").json()["fields"]


# --- chunked bodies -----------------------------------------------------------------------------------------


def test_a_chunked_body_from_a_server_that_de_chunks_is_read(pos_client, customer):
    # gunicorn de-chunks the body and says so with wsgi.input_terminated; there is no Content-Length.
    body = json.dumps({"customer": str(customer.pk), "lines": [LINE]}).encode()
    import io

    response = pos_client.generic("POST", "/api/v1/receipts/calculate", b"", content_type="application/json",
                                  HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True,
                                                                        "CONTENT_LENGTH": ""})
    assert response.status_code == 200, response.content
    assert response.json()["subtotal"] == "10.00"


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_the_server_cannot_read_is_refused_with_411(live_server, merchant):
    from tests.factories import api_key

    _key, secret = api_key(merchant, scope="pos")
    url = urlparse(live_server.url)
    body = json.dumps({"lines": [LINE]}).encode()
    request = (f"POST /api/v1/receipts/calculate HTTP/1.1\r\nHost: {url.hostname}\r\nAuthorization: Bearer {secret}\r\n"
               "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    request += f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    answer = b""
    for _attempt in range(3):
        # All of it at once: the server answers without reading the body, and closing on unread bytes
        # may reset the connection before the answer is read; then try again.
        try:
            with socket.create_connection((url.hostname, url.port), timeout=10) as connection:
                connection.sendall(request)
                answer = b""
                while chunk := connection.recv(65536):
                    answer += chunk
            break
        except ConnectionResetError:
            continue
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.split()[1] == b"411", head
    assert json.loads(payload)["code"] == "length_required"


# --- dates at the edge of the calendar -------------------------------------------------------------------------


def test_an_override_until_the_end_of_the_calendar_is_a_form_error(owner, merchant, gold):
    member = customer_create(merchant)
    client = Client()
    client.force_login(owner.user)
    for until in ("9999-12-31", "0001-01-01"):
        response = client.post(f"/office/customers/{member.pk}/tier/", {"tier": "gold", "until": until, "reason": "VIP"})
        assert response.status_code == 400
        assert "until" in response.context["override_form"].errors
    assert PointsAccount.objects.get(customer=member).override_tier is None


def test_a_receipts_filter_at_the_end_of_the_calendar_is_a_form_error(owner):
    client = Client()
    client.force_login(owner.user)
    for params in ({"date_to": "9999-12-31"}, {"date_from": "0001-01-01"}, {"date_from": "0001-01-01", "date_to": "9999-12-31"}):
        response = client.get("/office/receipts/", params)
        assert response.status_code == 200
        assert response.context["form"].errors


@pytest.mark.parametrize("cursor", [
    ["9999-12-31T23:59:59-14:00", "1"], ["0001-01-01T00:00:00+14:00", "1"], ["2026-01-01T00:00:00", "1"],
    ["2026-01-01T00:00:00+00:00", str(2**70)], ["2026-01-01T00:00:00+00:00", 5], [[[[]]], "1"],
])
def test_a_forged_page_cursor_is_the_first_page(owner, cursor):
    client = Client()
    client.force_login(owner.user)
    token = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode().rstrip("=")
    for url in ("/office/receipts/", "/office/customers/", "/office/audit/"):
        assert client.get(url, {"after": token}).status_code == 200
        assert client.get(url, {"before": token}).status_code == 200


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "1899-12-31T00:00:00+00:00"])
def test_a_purchase_time_at_the_edge_of_the_calendar_is_400(pos_client, moment):
    response = pos_client.post("/api/v1/receipts/calculate", {"lines": [LINE], "purchased_at": moment}, format="json")
    assert response.status_code == 400
    assert "purchased_at" in response.json()["fields"]


@pytest.mark.parametrize("birthday", ["9999-12-31", "0001-01-01"])
def test_a_birthday_at_the_edge_of_the_calendar_is_400(pos_client, birthday):
    before = row_counts()
    response = pos_client.post("/api/v1/customers", {"phone": "+79990003344", "birthday": birthday}, format="json")
    assert response.status_code == 400
    assert "birthday" in response.json()["fields"]
    assert row_counts() == before


def test_every_date_field_of_every_form_is_bounded():
    """A form added later with a plain forms.DateField would bring the 9999-12-31 overflow back."""
    from accounts import inputs
    import importlib
    import pkgutil

    import accounts
    import loyalty

    found = []
    for package in (accounts, loyalty):
        for module_info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" in module_info.name or module_info.name.endswith(("settings", "wsgi")) or ".management" in module_info.name:
                continue
            module = importlib.import_module(module_info.name)
            for value in vars(module).values():
                if isinstance(value, type) and issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                    for name, field in value.base_fields.items():
                        if isinstance(field, forms.DateField):
                            found.append(name)
                            assert isinstance(field, inputs.DateField), f"{value.__module__}.{value.__name__}.{name}"
    assert found


def test_the_parsers_refuse_what_they_should():
    from accounts import inputs

    assert inputs.decimal_parse("-0", places=2) == Decimal("0.00") and str(inputs.decimal_parse("-0", places=2)) == "0.00"
    assert inputs.integer_parse(" 42 ") == 42
    with pytest.raises(inputs.InputError):
        inputs.integer_parse("--5")
    with pytest.raises(inputs.InputError):
        inputs.date_check(timezone.now().date().replace(year=9999))
    assert inputs.date_check(timezone.now().date() + timedelta(days=1))
