"""Importing an existing customer base from a CSV or XLSX file (docs/api.md "Importing customers and webhooks").

`import_create` checks the file (format, size, a `phone` column) and stores it with a queued
CustomerImport; nothing else is written when it is refused. `import_run` (a django-q2 job) reads it,
checks every row, and writes in chunks, set-based: one query finds the chunk's customers, bulk
INSERTs create the new ones and their points accounts, one bulk UPDATE per changed column set
updates the others, and `loyalty.services.ledger.points_import_bulk` credits the balances (one lot and
one `import` entry each). No welcome bonus, no per-row save.

A row with an error is skipped and reported with its row number (the header is row 1), its column
and why. A re-import changes nothing: customers are matched by phone and only cells that differ are
written; a customer's balance is imported once (one who already has an `import` entry keeps it).
A dry run does the same reads and reports what would happen.
"""
from __future__ import annotations

import csv
import io
import re
import secrets
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ApplicationError, NotFound, ValidationError
from accounts.models import Customer, Gender, Merchant, User
from accounts.phones import phone_normalize
from accounts.search import customer_search_text
from accounts.services import CARD_PREFIX, audit_record, ean13_check_digit
from loyalty.models import CustomerImport, Entry, EntryKind, PointsAccount, Tier
from loyalty.services.bulk import rows_insert
from loyalty.services.ledger import account_lock, points_credit, points_import_bulk
from loyalty.services.tiers import tier_base
from loyalty.texts import message, message_render

MAX_BYTES = 50 * 1024 * 1024
COLUMNS = ("phone", "name", "email", "birthday", "gender", "card_number", "balance", "balance_expires_on", "tier", "joined_at")
CHUNK = 5000
MAX_ERRORS_KEPT = 1000
MAX_BALANCE = 10_000_000
_GENDERS = {"m": "m", "male": "m", "м": "m", "муж": "m", "мужской": "m", "f": "f", "female": "f", "ж": "f", "жен": "f", "женский": "f"}
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d")



def _file_error(message_text: str) -> ValidationError:
    return ValidationError({"file": [message_text]})


def file_format(*, name: str, data: bytes) -> str:
    """csv or xlsx, from the content (an XLSX is a zip with a workbook); anything else is refused."""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "xl/workbook.xml" in archive.namelist():
                    return "xlsx"
        except zipfile.BadZipFile:
            pass
        raise _file_error(_("This is not a CSV or XLSX file."))
    lowered = (name or "").lower()
    if lowered.endswith((".xlsx", ".xls", ".xlsm", ".ods", ".pdf", ".zip", ".doc", ".docx")) or b"\x00" in data[:4096]:
        raise _file_error(_("This is not a CSV or XLSX file."))
    return "csv"


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _file_error(_("This is not a CSV or XLSX file."))


def _header_key(value) -> str:
    return re.sub(r"[\s-]+", "_", str(value if value is not None else "").strip().lower())


def file_rows(*, fmt: str, data: bytes):
    """(header keys, iterator of row lists) of the file's first sheet."""
    if fmt == "xlsx":
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            rows = workbook.worksheets[0].iter_rows(values_only=True)
            header = next(rows, None)
        except Exception:  # openpyxl raises many kinds on a damaged file
            raise _file_error(_("This XLSX file could not be read."))
        if header is None:
            raise _file_error(_("The file is empty."))
        return [_header_key(cell) for cell in header], (list(row) for row in rows)
    text = _decode(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader, None)
    except csv.Error:
        raise _file_error(_("This is not a CSV or XLSX file."))
    if not header:
        raise _file_error(_("The file is empty."))
    return [_header_key(cell) for cell in header], reader


def _header_check(header: list[str]) -> None:
    if "phone" not in header:
        raise ValidationError({"file": [_("The file has no phone column; the first row must name the columns (phone, name, email, …).")]})


@transaction.atomic
def import_create(*, merchant: Merchant, name: str, data: bytes, dry_run: bool = False, actor: User | None = None) -> CustomerImport:
    """Check and store an upload, then queue its job after the commit.

    Raises:
        ValidationError: `file`: too large, not CSV or XLSX, empty, or no phone column. Nothing is written.
    """
    if len(data) > MAX_BYTES:
        raise _file_error(_("The file is larger than 50 MB."))
    if not data:
        raise _file_error(_("The file is empty."))
    fmt = file_format(name=name, data=data)
    header, _rows = file_rows(fmt=fmt, data=data)
    _header_check(header)
    job = CustomerImport.objects.create(merchant=merchant, created_by=actor, filename=(name or "")[:255], file_format=fmt, data=data,
                                        dry_run=dry_run)
    if not dry_run:
        audit_record(merchant=merchant, actor=actor, action="customers.imported", target=job.filename, data={"import": str(job.pk)})
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(import_id) -> None:
    from django_q.tasks import async_task

    async_task("loyalty.jobs.import_run_job", str(import_id))


# --- rows --------------------------------------------------------------------------------------------

@dataclass
class Row:
    number: int
    phone: str
    values: dict = field(default_factory=dict)  # profile fields given in the file (only those)
    balance: int = 0
    expires_at: datetime | None = None
    tier_id: int | None = None
    joined_at: datetime | None = None


_PHONE_PUNCTUATION = str.maketrans("", "", " -().\u00a0")
_E164 = re.compile(r"\+\d{8,15}")
_phone_prefix_ok: dict[tuple, bool] = {}


def phone_clean(text: str, region: str) -> str | None:
    """accounts.phones.phone_normalize, fast for a file of numbers already written in full.

    A number typed as +<digits> (or, in Russia, 8/7 and ten digits) whose first digits and length
    were already seen to be valid and in E.164 form is taken as it is; the validity rules of the
    numbering plans depend on the leading digits only. Anything else goes through phone_normalize.
    """
    compact = text.translate(_PHONE_PUNCTUATION)
    if region == "RU" and len(compact) == 11 and compact[0] in "78" and compact.isdigit():
        compact = "+7" + compact[1:]
    if not _E164.fullmatch(compact):
        return phone_normalize(raw=text, region=region)
    key = (region, compact[:9], len(compact))
    known = _phone_prefix_ok.get(key)
    if known:
        return compact
    normal = phone_normalize(raw=compact, region=region)
    if known is None and normal == compact:
        _phone_prefix_ok[key] = True
    return normal


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date_value(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _cell_text(value)
    if len(text) == 10 and text[4] == "-":
        try:
            parsed = date.fromisoformat(text)
            if date(1900, 1, 1) <= parsed <= date(2999, 12, 31):
                return parsed
        except ValueError:
            pass
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text[:10] if fmt == "%Y-%m-%d" else text, fmt).date()
        except ValueError:
            continue
        if date(1900, 1, 1) <= parsed <= date(2999, 12, 31):
            return parsed
    raise ValueError


class _Context:
    def __init__(self, merchant: Merchant, now: datetime):
        self.merchant = merchant
        self.now = now
        self.zone = ZoneInfo(merchant.timezone)
        self.today = now.astimezone(self.zone).date()
        self.tiers = {}
        for tier in Tier.objects.filter(merchant=merchant):
            self.tiers[tier.code.lower()] = tier.pk
            self.tiers.setdefault(tier.name.strip().lower(), tier.pk)
        self.ttl_days = merchant.program.points_ttl_days

    def midnight(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.zone)


def row_clean(raw: dict, *, number: int, ctx: _Context) -> tuple[Row | None, list[dict]]:
    """A file row checked: the Row to write, or the errors naming row and column."""
    errors: list[dict] = []

    def error(column: str, text: str) -> None:
        errors.append({"row": number, "field": column, "message": text})

    phone_text = _cell_text(raw.get("phone"))
    phone = phone_clean(phone_text, ctx.merchant.country) if phone_text else None
    if not phone_text:
        error("phone", _("The phone is missing."))
    elif phone is None:
        error("phone", _("%(value)s is not a valid phone number.") % {"value": phone_text[:40]})
    row = Row(number=number, phone=phone or "")
    if "name" in raw:
        name = _cell_text(raw["name"])
        if len(name) > 200:
            error("name", _("Keep the name under 200 characters."))
        elif name:
            row.values["name"] = name
    if "email" in raw:
        email = _cell_text(raw["email"]).lower()
        if email:
            try:
                validate_email(email)
                row.values["email"] = email
            except DjangoValidationError:
                error("email", _("%(value)s is not an email address.") % {"value": email[:80]})
    if "birthday" in raw and _cell_text(raw["birthday"]):
        try:
            birthday = _date_value(raw["birthday"])
            if birthday > ctx.today:
                error("birthday", _("The birthday is in the future."))
            else:
                row.values["birthday"] = birthday
        except ValueError:
            error("birthday", _("Write the date as YYYY-MM-DD or DD.MM.YYYY."))
    if "gender" in raw:
        gender = _cell_text(raw["gender"]).lower()
        if gender:
            if gender in _GENDERS:
                row.values["gender"] = _GENDERS[gender]
            else:
                error("gender", _("Use m or f."))
    if "card_number" in raw:
        card = _cell_text(raw["card_number"])
        if card:
            if not card.isdigit() or len(card) > 13:
                error("card_number", _("A card number is up to 13 digits."))
            else:
                row.values["card_number"] = card
    if "balance" in raw and _cell_text(raw["balance"]):
        text = _cell_text(raw["balance"])
        if not re.fullmatch(r"\d{1,9}", text) or int(text) > MAX_BALANCE:
            error("balance", _("The balance is a whole number of points, 0 or more, up to ten million."))
        else:
            row.balance = int(text)
    if "balance_expires_on" in raw and _cell_text(raw["balance_expires_on"]):
        try:
            expires_on = _date_value(raw["balance_expires_on"])
            if expires_on < ctx.today:
                error("balance_expires_on", _("The date is in the past."))
            else:
                row.expires_at = ctx.midnight(expires_on + timedelta(days=1))
        except ValueError:
            error("balance_expires_on", _("Write the date as YYYY-MM-DD or DD.MM.YYYY."))
    if "tier" in raw and _cell_text(raw["tier"]):
        text = _cell_text(raw["tier"])
        tier_id = ctx.tiers.get(text.lower())
        if tier_id is None:
            error("tier", _("There is no tier %(value)s.") % {"value": text[:40]})
        else:
            row.tier_id = tier_id
    if "joined_at" in raw and _cell_text(raw["joined_at"]):
        try:
            joined = _date_value(raw["joined_at"])
            if joined > ctx.today:
                error("joined_at", _("The date is in the future."))
            else:
                row.joined_at = ctx.midnight(joined)
                row.values["created_at"] = row.joined_at
        except ValueError:
            error("joined_at", _("Write the date as YYYY-MM-DD or DD.MM.YYYY."))
    if row.balance and row.expires_at is None and ctx.ttl_days:
        row.expires_at = ctx.now + timedelta(days=ctx.ttl_days)
    return (None if errors else row), errors


# --- the job -------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    balances: int = 0


PROFILE = ("name", "email", "birthday", "gender", "card_number", "created_at")


def _card_number_new() -> str:
    """accounts' card number form (prefix, 10 digits, EAN-13 check digit), made cheaply for many rows."""
    body = CARD_PREFIX + f"{secrets.randbelow(10**10):010d}"
    return body + ean13_check_digit(body)


def _referral_code_new() -> str:
    """An 8-digit referral code without a leading zero (the longest form customer_create makes)."""
    return str(10**7 + secrets.randbelow(9 * 10**7))


def _chunk_apply(*, ctx: _Context, rows: list[Row], dry_run: bool, cards_taken: dict[str, str], codes_taken: set[str],
                 errors: list[dict], base_tier_id: int | None) -> Outcome:
    """Create, update and credit one chunk of clean rows (one transaction). Rows whose card number
    belongs to another customer are reported and skipped."""
    merchant = ctx.merchant
    outcome = Outcome()
    existing = {
        values[1]: values for values in Customer.objects.filter(merchant=merchant, phone__in=[row.phone for row in rows])
        .values_list("id", "phone", *PROFILE)
    }
    kept: list[Row] = []
    for row in rows:
        card = row.values.get("card_number")
        if card:
            owner = cards_taken.get(card)
            if owner is not None and owner != row.phone:
                errors.append({"row": row.number, "field": "card_number", "message": _("Card %(card)s belongs to another customer.") % {"card": card}})
                continue
        kept.append(row)
    for row in kept:
        if row.values.get("card_number"):
            cards_taken[row.values["card_number"]] = row.phone

    new_rows = [row for row in kept if row.phone not in existing]
    old_rows = [row for row in kept if row.phone in existing]
    old_ids = [existing[row.phone][0] for row in old_rows]
    accounts = {
        pk: (tier_id, debt) for pk, tier_id, debt in
        PointsAccount.objects.filter(merchant=merchant, customer_id__in=old_ids).values_list("customer_id", "tier_id", "debt")
    } if old_ids else {}
    imported = set(
        Entry.objects.filter(merchant=merchant, kind=EntryKind.IMPORT, customer_id__in=old_ids).values_list("customer_id", flat=True)
    ) if old_ids else set()

    # Updates: only the cells that differ.
    changed: dict[tuple, list[Customer]] = {}
    tier_moves: list[PointsAccount] = []
    for row in old_rows:
        current = dict(zip(("id", "phone", *PROFILE), existing[row.phone]))
        fields = tuple(sorted(name for name, value in row.values.items() if current[name] != value))
        account = accounts.get(current["id"])
        moved = row.tier_id is not None and account is not None and account[0] != row.tier_id
        if fields or moved:
            outcome.updated += 1
        if fields:
            customer = Customer(**current, merchant=merchant)
            for name in fields:
                setattr(customer, name, row.values[name])
            if {"name", "email"} & set(fields):
                customer.search_text = customer_search_text(name=customer.name, email=customer.email, phone=customer.phone)
                fields = tuple(sorted(set(fields) | {"search_text"}))
            changed.setdefault(fields, []).append(customer)
        if moved:
            tier_moves.append(PointsAccount(customer_id=current["id"], merchant=merchant, tier_id=row.tier_id, tier_since=ctx.now))

    new_customers: list[dict] = []
    for row in new_rows:
        card = row.values.get("card_number") or _fresh(_card_number_new, cards_taken)
        cards_taken[card] = row.phone
        code = _fresh(_referral_code_new, codes_taken)
        codes_taken.add(code)
        values = row.values
        name, email = values.get("name", ""), values.get("email", "")
        new_customers.append({
            "id": uuid.uuid4(), "merchant_id": merchant.pk, "phone": row.phone, "name": name, "email": email,
            "birthday": values.get("birthday"), "gender": values.get("gender", ""), "language": "", "card_number": card,
            "referral_code": code, "consent_email": False, "consent_sms": False, "consent_push": True, "referred_by_id": None,
            "invite_code": "", "joined_store_id": None, "created_at": values.get("created_at", ctx.now),
            "search_text": customer_search_text(name=name, email=email, phone=row.phone),
        })
    outcome.created = len(new_customers)

    credits, indebted = [], []
    for row, customer in zip(new_rows, new_customers):
        if row.balance:
            credits.append((customer["id"], row.balance, row.expires_at))
    for row in old_rows:
        pk = existing[row.phone][0]
        if row.balance and pk not in imported:
            account = accounts.get(pk)
            if account is not None and account[1]:
                indebted.append((pk, row))
            else:
                credits.append((pk, row.balance, row.expires_at))
    outcome.balances = len(credits) + len(indebted)
    if dry_run:
        return outcome

    with transaction.atomic():
        rows_insert(Customer, new_customers)
        rows_insert(PointsAccount, [
            {"customer_id": customer["id"], "merchant_id": merchant.pk, "debt": 0, "updated_at": ctx.now,
             "tier_id": row.tier_id or base_tier_id, "tier_since": (row.joined_at or ctx.now) if (row.tier_id or base_tier_id) else None,
             "override_tier_id": None, "override_until": None, "override_reason": ""}
            for row, customer in zip(new_rows, new_customers)
        ])
        # Existing customers without an account (made outside the program) get one before a credit.
        missing = [pk for pk in old_ids if pk not in accounts]
        if missing:
            PointsAccount.objects.bulk_create(
                [PointsAccount(customer_id=pk, merchant=merchant, tier_id=base_tier_id, tier_since=ctx.now if base_tier_id else None)
                 for pk in missing], batch_size=2000, ignore_conflicts=True,
            )
        for fields, customers in changed.items():
            Customer.objects.bulk_update(customers, list(fields), batch_size=1000)
        if tier_moves:
            PointsAccount.objects.bulk_update(tier_moves, ["tier_id", "tier_since"], batch_size=1000)
        text = message("entry.import")
        description = message_render(text, language=merchant.language)
        points_import_bulk(merchant_id=merchant.pk, credits=credits, at=ctx.now, description=description, text=text)
        for pk, row in indebted:
            customer = Customer.objects.get(pk=pk)
            account = account_lock(customer=customer)
            points_credit(customer=customer, account=account, kind=EntryKind.IMPORT, points=row.balance, text=text, at=ctx.now,
                          ttl_days=None if row.expires_at is None else max(1, (row.expires_at - ctx.now).days))
    return outcome


def _fresh(make, taken) -> str:
    for _attempt in range(50):
        value = make()
        if value not in taken:
            return value
    raise RuntimeError("No free code left.")


def import_execute(*, merchant: Merchant, fmt: str, data: bytes, dry_run: bool, now: datetime | None = None,
                   progress=None) -> dict:
    """Read, check and apply a file; `progress(done, rows)` is called after each chunk. Returns the
    figures of the import's status (rows, done, created, updated, balances, errors)."""
    now = now or timezone.now()
    ctx = _Context(merchant, now)
    header, reader = file_rows(fmt=fmt, data=data)
    _header_check(header)
    columns = [(index, key) for index, key in enumerate(header) if key in COLUMNS]
    errors: list[dict] = []
    clean: list[Row] = []
    seen: dict[str, int] = {}
    total = 0
    for number, cells in enumerate(reader, start=2):
        if not any(_cell_text(cell) for cell in cells):
            continue
        total += 1
        raw = {key: cells[index] if index < len(cells) else None for index, key in columns}
        row, row_errors = row_clean(raw, number=number, ctx=ctx)
        if row is not None and row.phone in seen:
            row_errors = [{"row": number, "field": "phone", "message": _("This phone is already in row %(row)s.") % {"row": seen[row.phone]}}]
            row = None
        errors.extend(row_errors)
        if row is not None:
            seen[row.phone] = number
            clean.append(row)
    if progress:
        progress(0, total)

    cards_taken = dict(Customer.objects.filter(merchant=merchant).values_list("card_number", "phone"))
    codes_taken = set(Customer.objects.filter(merchant=merchant).values_list("referral_code", flat=True))
    base = tier_base(merchant=merchant)
    totals = Outcome()
    done = total - len(clean)
    for start in range(0, len(clean), CHUNK):
        chunk = clean[start:start + CHUNK]
        outcome = _chunk_apply(ctx=ctx, rows=chunk, dry_run=dry_run, cards_taken=cards_taken, codes_taken=codes_taken, errors=errors,
                               base_tier_id=base.pk if base else None)
        totals.created += outcome.created
        totals.updated += outcome.updated
        totals.balances += outcome.balances
        done += len(chunk)
        if progress:
            progress(done, total)
    errors.sort(key=lambda item: (item["row"], COLUMNS.index(item["field"]) if item["field"] in COLUMNS else 99))
    return {"rows": total, "done": total, "created": totals.created, "updated": totals.updated, "balances": totals.balances,
            "errors": errors}


def import_run(*, import_id) -> int:
    """The job: run a queued import once (a second run of the same id does nothing). Returns rows read."""
    with transaction.atomic():
        job = CustomerImport.objects.select_for_update().filter(pk=import_id, status=CustomerImport.Status.QUEUED).first()
        if job is None:
            return 0
        job.status = CustomerImport.Status.RUNNING
        job.save(update_fields=["status"])
    merchant = Merchant.objects.select_related("program").get(pk=job.merchant_id)

    def progress(done: int, rows: int) -> None:
        CustomerImport.objects.filter(pk=job.pk).update(done=done, rows=rows)

    try:
        result = import_execute(merchant=merchant, fmt=job.file_format, data=bytes(job.data), dry_run=job.dry_run, progress=progress)
    except ValidationError as exc:
        CustomerImport.objects.filter(pk=job.pk).update(
            status=CustomerImport.Status.FAILED, failure="; ".join(exc.messages)[:300], finished_at=timezone.now(), data=b"")
        return 0
    except Exception as exc:  # the job must record that it failed, whatever happened
        CustomerImport.objects.filter(pk=job.pk).update(
            status=CustomerImport.Status.FAILED, failure=str(exc)[:300], finished_at=timezone.now(), data=b"")
        raise
    errors = result["errors"]
    CustomerImport.objects.filter(pk=job.pk).update(
        status=CustomerImport.Status.DONE, rows=result["rows"], done=result["done"], created=result["created"], updated=result["updated"],
        balances=result["balances"], errors=errors[:MAX_ERRORS_KEPT], error_count=len(errors), finished_at=timezone.now(),
        # A dry run keeps the file so the owner can run it for real without uploading it again.
        **({} if job.dry_run else {"data": b""}),
    )
    return result["rows"]


@transaction.atomic
def import_from_dry_run(*, job: CustomerImport, actor: User | None = None) -> CustomerImport:
    """Queue the real import of the file a finished dry run checked (its file moves to the new import).

    Raises:
        ApplicationError: import_not_ready when `job` is not a finished dry run that still holds its file.
    """
    job = CustomerImport.objects.select_for_update().get(pk=job.pk)
    data = bytes(job.data)
    if not job.dry_run or job.status != CustomerImport.Status.DONE or not data:
        raise ApplicationError("import_not_ready", _("Only a finished dry run can be run for real, once."))
    real = CustomerImport.objects.create(merchant_id=job.merchant_id, created_by=actor, filename=job.filename, file_format=job.file_format,
                                         data=data, dry_run=False)
    CustomerImport.objects.filter(pk=job.pk).update(data=b"")
    audit_record(merchant=job.merchant, actor=actor, action="customers.imported", target=real.filename, data={"import": str(real.pk)})
    transaction.on_commit(lambda: _enqueue(real.pk))
    return real


def imports_run_queued() -> int:
    """The sweeper: run imports queued more than a minute ago that no worker picked up."""
    stale = timezone.now() - timedelta(minutes=1)
    ids = list(CustomerImport.objects.filter(status=CustomerImport.Status.QUEUED, created_at__lt=stale).values_list("pk", flat=True)[:5])
    return sum(import_run(import_id=pk) for pk in ids)


def import_get(*, merchant: Merchant, import_id) -> CustomerImport:
    try:
        job = CustomerImport.objects.defer("data").filter(merchant=merchant, pk=import_id).first()
    except (ValueError, DjangoValidationError):
        job = None
    if job is None:
        raise NotFound("No import with this id.", code="import_not_found")
    return job


def import_as_dict(job: CustomerImport) -> dict:
    return {
        "id": str(job.pk), "status": job.status, "dry_run": job.dry_run, "filename": job.filename, "rows": job.rows, "done": job.done,
        "created": job.created, "updated": job.updated, "balances": job.balances, "errors": job.errors, "error_count": job.error_count,
        "failure": job.failure, "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
