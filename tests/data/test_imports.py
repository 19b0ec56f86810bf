"""Importing a customer base: the API, the job, dry runs, row errors, idempotent re-runs, balances
as `import` lots, tiers, and the management command."""
import io
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Customer
from loyalty.models import CustomerImport, Entry, Lot, PointsAccount, Tier
from loyalty.services import imports
from loyalty.services.tiers import tier_create
from tests.factories import MerchantFactory, assert_ledger_consistent, client_for, customer_create, row_counts

pytestmark = pytest.mark.django_db

FUTURE = (date.today() + timedelta(days=200)).isoformat()


def csv_bytes(rows, header="phone,name,email,birthday,gender,card_number,balance,balance_expires_on,tier,joined_at") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def upload(client, data: bytes, name="customers.csv", dry_run=False):
    url = "/api/v1/imports" + ("?dry_run=1" if dry_run else "")
    return client.post(url, {"file": SimpleUploadedFile(name, data)}, format="multipart")


def run(client, data: bytes, **kwargs) -> dict:
    response = upload(client, data, **kwargs)
    assert response.status_code == 202, response.content
    import_id = response.json()["id"]
    imports.import_run(import_id=import_id)  # what the worker does after the commit
    result = client.get(f"/api/v1/imports/{import_id}")
    assert result.status_code == 200
    return result.json()


@pytest.fixture
def gold(merchant):
    return tier_create(merchant=merchant, data={"code": "gold", "name": "Gold", "rank": 2, "entry": {"total_spend": "10000.00"}})


def test_a_file_imports_customers_with_balances_expiry_and_tiers_and_no_welcome_bonus(admin_client, merchant, gold):
    data = csv_bytes([
        f"+7 999 000-00-01,Anna,ANNA@example.com,1990-05-01,f,2700000000017,500,{FUTURE},gold,2024-01-15",
        "89990000002,Boris,,01.02.1985,m,,0,,,",
    ])

    result = run(admin_client, data)

    assert {k: result[k] for k in ("status", "rows", "done", "created", "updated", "balances", "errors")} == {
        "status": "done", "rows": 2, "done": 2, "created": 2, "updated": 0, "balances": 1, "errors": []}
    anna = Customer.objects.get(merchant=merchant, phone="+79990000001")
    assert (anna.name, anna.email, anna.birthday, anna.gender, anna.card_number) == ("Anna", "anna@example.com", date(1990, 5, 1), "f", "2700000000017")
    assert anna.created_at.astimezone(ZoneInfo(merchant.timezone)).date() == date(2024, 1, 15)
    assert PointsAccount.objects.get(customer=anna).tier == gold
    [entry] = Entry.objects.filter(customer=anna)
    assert (entry.kind, entry.points) == ("import", 500)
    lot = Lot.objects.get(customer=anna)
    assert (lot.source, lot.points, lot.remaining) == ("import", 500, 500)
    assert lot.expires_at.astimezone(ZoneInfo(merchant.timezone)).date() == date.fromisoformat(FUTURE) + timedelta(days=1)
    boris = Customer.objects.get(merchant=merchant, phone="+79990000002")
    assert not Entry.objects.filter(customer=boris).exists()  # no welcome bonus, no zero entry
    assert PointsAccount.objects.get(customer=boris).tier.code != "gold"
    assert len(boris.card_number) == 13 and boris.referral_code
    assert_ledger_consistent(anna)


def test_a_dry_run_reports_and_writes_nothing(admin_client, merchant):
    data = csv_bytes([f"+79990000001,Anna,,,,,500,{FUTURE},,", "bad-phone,Boris,,,,,,,,"])
    before = row_counts()

    result = run(admin_client, data, dry_run=True)

    assert (result["dry_run"], result["created"], result["balances"]) == (True, 1, 1)
    assert result["errors"] == [{"row": 3, "field": "phone", "message": "bad-phone is not a valid phone number."}]
    after = row_counts()
    assert {k: v for k, v in after.items() if k != "AuditEvent"} == {k: v for k, v in before.items() if k != "AuditEvent"}


def test_a_re_import_of_the_same_file_changes_nothing(admin_client, merchant, gold):
    data = csv_bytes([f"+79990000{i:03d},Name {i},n{i}@example.com,1990-01-01,m,,{i * 10},{FUTURE},gold,2024-01-01" for i in range(1, 21)])
    first = run(admin_client, data)
    counts = row_counts()
    snapshot = sorted(Customer.objects.filter(merchant=merchant).values_list("phone", "name", "email", "card_number", "referral_code", "created_at"))

    second = run(admin_client, data)

    assert (first["created"], first["balances"]) == (20, 20)
    assert (second["created"], second["updated"], second["balances"], second["errors"]) == (0, 0, 0, [])
    assert {k: v for k, v in row_counts().items() if k != "AuditEvent"} == {k: v for k, v in counts.items() if k != "AuditEvent"}
    assert sorted(Customer.objects.filter(merchant=merchant).values_list("phone", "name", "email", "card_number", "referral_code", "created_at")) == snapshot


def test_an_existing_customer_is_updated_only_where_the_file_differs(admin_client, merchant):
    customer = customer_create(merchant, phone="+79990000001", name="Old name", email="old@example.com")

    result = run(admin_client, csv_bytes(["+79990000001,New name,,,,,250,,,"]))

    customer.refresh_from_db()
    assert (result["created"], result["updated"], result["balances"]) == (0, 1, 1)
    assert (customer.name, customer.email) == ("New name", "old@example.com")
    assert sorted(Entry.objects.filter(customer=customer).values_list("kind", "points")) == [("import", 250), ("welcome", 300)]
    assert_ledger_consistent(customer)


def test_row_errors_name_row_and_field_and_the_rest_is_imported(admin_client, merchant):
    rows = [
        "+79990000001,Good,,,,,,,,",
        "+79990000002,,not-an-email,,,,,,,",
        "+79990000003,,,1990-13-45,,,,,,",
        "+79990000004,,,,x,,,,,",
        "+79990000005,,,,,ABC,,,,",
        "+79990000006,,,,,,-5,,,",
        "+79990000007,,,,,,10,2001-01-01,,",
        "+79990000008,,,,,,,,platinum,",
        "+79990000009,,,,,,,,,2999-01-01",
        "+79990000001,Again,,,,,,,,",
        ",No phone,,,,,,,,",
    ]

    result = run(admin_client, csv_bytes(rows))

    assert result["created"] == 1
    assert [(e["row"], e["field"]) for e in result["errors"]] == [
        (3, "email"), (4, "birthday"), (5, "gender"), (6, "card_number"), (7, "balance"), (8, "balance_expires_on"), (9, "tier"),
        (10, "joined_at"), (11, "phone"), (12, "phone"),
    ]
    assert all(e["message"] for e in result["errors"])
    assert result["errors"][8]["message"] == "This phone is already in row 2."
    assert list(Customer.objects.filter(merchant=merchant).values_list("phone", flat=True)) == ["+79990000001"]


def test_a_card_number_of_another_customer_is_a_row_error(admin_client, merchant):
    other = customer_create(merchant, phone="+79990000050")

    result = run(admin_client, csv_bytes([f"+79990000001,,,,,{other.card_number},,,,"]))

    assert [(e["row"], e["field"]) for e in result["errors"]] == [(2, "card_number")]
    assert result["created"] == 0


@pytest.mark.parametrize("name, data, message", [
    ("customers.csv", b"name,email\nAnna,a@example.com\n", "phone column"),
    ("customers.csv", b"", "empty"),
    ("customers.pdf", b"%PDF-1.4 binary\x00\x01", "not a CSV or XLSX"),
    ("customers.xlsx", b"PK\x03\x04not really a zip", "not a CSV or XLSX"),
])
def test_a_bad_file_is_a_clear_400_and_nothing_is_written(admin_client, name, data, message):
    before = row_counts()

    response = upload(admin_client, data, name=name)

    assert response.status_code == 400
    assert message in response.json()["fields"]["file"][0]
    assert not CustomerImport.objects.exists()
    assert row_counts() == before


def test_a_file_over_50_mb_is_refused(admin_client, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 100)

    response = upload(admin_client, csv_bytes(["+79990000001,Anna,,,,,,,,"] * 10))

    assert response.status_code == 400
    assert "50 MB" in response.json()["fields"]["file"][0]
    assert not CustomerImport.objects.exists()


def test_a_body_over_50_mb_is_refused_before_it_is_read(admin_client):
    response = admin_client.generic("POST", "/api/v1/imports", b"", content_type="multipart/form-data; boundary=x",
                                    CONTENT_LENGTH=str(60 * 1024 * 1024))

    assert response.status_code == 400
    assert "50 MB" in response.json()["fields"]["file"][0]


def test_no_file_field_is_a_400(admin_client):
    response = admin_client.post("/api/v1/imports", {"other": "x"}, format="multipart")

    assert response.status_code == 400 and "file" in response.json()["fields"]


def test_an_xlsx_file_imports_like_a_csv(admin_client, merchant):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Phone", "Name", "Balance", "Balance expires on", "Birthday"])
    sheet.append([79990000001, "Anna", 120, date.today() + timedelta(days=30), date(1990, 5, 1)])
    buffer = io.BytesIO()
    book.save(buffer)

    result = run(admin_client, buffer.getvalue(), name="base.xlsx")

    assert (result["created"], result["balances"], result["errors"]) == (1, 1, [])
    anna = Customer.objects.get(merchant=merchant)
    assert (anna.phone, anna.name, anna.birthday) == ("+79990000001", "Anna", date(1990, 5, 1))
    assert Entry.objects.get(customer=anna).points == 120


def test_a_semicolon_separated_windows_1251_file_is_read(admin_client, merchant):
    data = "phone;name\n+79990000001;Анна Иванова\n".encode("cp1251")

    result = run(admin_client, data)

    assert result["errors"] == []
    assert Customer.objects.get(merchant=merchant).name == "Анна Иванова"


def test_another_merchants_import_is_404(admin_client):
    other = MerchantFactory()
    response = upload(client_for(other, scope="admin"), csv_bytes(["+79990000001,,,,,,,,,"]))

    assert admin_client.get(f"/api/v1/imports/{response.json()['id']}").status_code == 404
    assert admin_client.get("/api/v1/imports/not-a-uuid").status_code == 404


def test_a_hundred_rows_with_balances_expiry_and_tiers(admin_client, merchant, gold):
    rows = [f"+7999100{i:04d},Customer {i},c{i}@example.com,1980-01-{(i % 28) + 1:02d},{'mf'[i % 2]},,{i * 5},"
            f"{(date.today() + timedelta(days=i + 1)).isoformat()},{'gold' if i % 3 == 0 else ''},2023-06-01" for i in range(100)]

    result = run(admin_client, csv_bytes(rows))

    assert (result["rows"], result["created"], result["balances"], result["errors"]) == (100, 100, 99, [])
    assert Entry.objects.filter(merchant=merchant, kind="import").count() == 99
    assert sum(Entry.objects.filter(merchant=merchant).values_list("points", flat=True)) == sum(i * 5 for i in range(100))
    assert Lot.objects.filter(merchant=merchant, expires_at__isnull=True).count() == 0
    assert PointsAccount.objects.filter(merchant=merchant, tier=gold).count() == 34
    assert Customer.objects.filter(merchant=merchant).values("card_number").distinct().count() == 100
    assert Customer.objects.filter(merchant=merchant).values("referral_code").distinct().count() == 100
    for customer in Customer.objects.filter(merchant=merchant)[:10]:
        assert_ledger_consistent(customer)


def test_the_command_imports_and_dry_runs(merchant, tmp_path):
    path = tmp_path / "base.csv"
    path.write_bytes(csv_bytes(["+79990000001,Anna,,,,,100,,,", "+79990000002,Boris,,,,,,,,"]))
    out = io.StringIO()

    call_command("import_customers", merchant.slug, str(path), "--dry-run", stdout=out, stderr=io.StringIO())
    assert "would have rows 2, created 2" in out.getvalue()
    assert not Customer.objects.filter(merchant=merchant).exists()

    call_command("import_customers", merchant.slug, str(path), stdout=out, stderr=io.StringIO())
    assert Customer.objects.filter(merchant=merchant).count() == 2
    assert Entry.objects.filter(merchant=merchant, kind="import").count() == 1
