"""Promo codes: one public code, or a batch of personal single-use codes (API.md "Promo codes").

Codes are unique per merchant without regard to case (a functional unique index on UPPER(code)).
Generated codes take 8 random characters from an alphabet without look-alikes (no O/0, I/1), after
an optional prefix; a batch is made set-based: candidates are drawn in memory, the taken ones found
with one query per thousand, and the rest written with bulk_create.
"""
from __future__ import annotations

import re
import secrets

from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ValidationError
from accounts.models import User
from accounts.services import audit_record
from loyalty.drafts import unknown_keys_check
from promotions.models import PromoCode, Promotion
from promotions.services.validation import _count, _customer_ids, _strings, moment_parse

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no O/0, no I/1
RANDOM_LENGTH = 8
PUBLIC_CODE = re.compile(r"[A-Za-z0-9_-]{3,64}")
PREFIX = re.compile(r"[A-Za-z0-9_-]{0,16}")
MAX_BATCH = 100_000
BATCH_SIZE = 1000
PUBLIC_KEYS = ("code", "per_customer", "uses", "expires_at")
BATCH_KEYS = ("count", "prefix", "customers", "expires_at")


def code_normalise(code: str) -> str:
    """The form codes are compared in: trimmed, upper case."""
    return code.strip().upper()


def code_generate(*, prefix: str = "") -> str:
    return prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(RANDOM_LENGTH))


def codes_create(*, promotion: Promotion, data, actor: User | None = None) -> int:
    """A public code (`code` given) or a personal batch (`count` and/or `customers`); returns how many were made.

    Raises:
        ValidationError: each bad field named; a code already taken in the merchant (any case).
    """
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    if "count" in data or "customers" in data or "prefix" in data:
        return code_batch_create(promotion=promotion, data=data, actor=actor)
    code_create(promotion=promotion, data=data, actor=actor)
    return 1


@transaction.atomic
def code_create(*, promotion: Promotion, data, actor: User | None = None) -> PromoCode:
    """One public code: `{"code": "SPRING30", "per_customer": 1, "uses": null, "expires_at": null}`.

    Raises:
        ValidationError: each bad field named; the code taken (in any case) by another code of the merchant.
    """
    errors: dict = {}
    unknown_keys_check(data, PUBLIC_KEYS, errors=errors)
    code = data.get("code")
    if not isinstance(code, str) or not PUBLIC_CODE.fullmatch(code.strip()):
        errors["code"] = [_("Use 3 to 64 letters, digits, - or _.")]
        code = None
    else:
        code = code.strip()
    per_customer = _count(data.get("per_customer"), field="per_customer", errors=errors, minimum=1)
    uses = _count(data.get("uses"), field="uses", errors=errors, minimum=1)
    expires_at = moment_parse(data.get("expires_at"), field="expires_at", errors=errors)
    if code and _taken(promotion=promotion, codes=[code]):
        errors["code"] = [_("This code is already taken (codes are compared without regard to case).")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            row = PromoCode.objects.create(merchant_id=promotion.merchant_id, promotion=promotion, code=code, kind=PromoCode.Kind.PUBLIC,
                                           per_customer=per_customer, max_uses=uses, expires_at=expires_at)
    except IntegrityError:  # a parallel request took it between the check and the insert
        raise ValidationError({"code": [_("This code is already taken (codes are compared without regard to case).")]})
    audit_record(merchant=promotion.merchant, actor=actor, action="promotion.code_created", target=promotion.code,
                 data={"code": code, "per_customer": per_customer, "uses": uses})
    return row


@transaction.atomic
def code_batch_create(*, promotion: Promotion, data, actor: User | None = None) -> int:
    """Personal single-use codes: one bound to each of `customers`, or `count` unbound ones.

    Raises:
        ValidationError: each bad field named (`count` out of range or not matching `customers`, an unknown customer).
    """
    merchant = promotion.merchant
    errors: dict = {}
    unknown_keys_check(data, BATCH_KEYS, errors=errors)
    prefix = data.get("prefix", "")
    if prefix is None:
        prefix = ""
    if not isinstance(prefix, str) or not PREFIX.fullmatch(prefix.strip()):
        errors["prefix"] = [_("Use up to 16 letters, digits, - or _.")]
        prefix = ""
    prefix = prefix.strip().upper()
    customers: list[str] = []
    if data.get("customers") is not None:
        ids = _strings(data["customers"], field="customers", errors=errors, max_length=64, max_items=MAX_BATCH)
        if ids:
            customers = _customer_ids(ids, merchant=merchant, field="customers", errors=errors)
        elif ids is not None and "customers" not in errors:
            errors["customers"] = [_("Name at least one customer, or send count instead.")]
    count = None
    if "count" in data:
        count = _count(data["count"], field="count", errors=errors, minimum=1, maximum=MAX_BATCH, nullable=False)
        if count is not None and customers and count != len(customers):
            errors["count"] = [_("With customers, count must equal the number of customers (or be left out).")]
    elif not customers and "customers" not in errors:
        errors["count"] = [_("This field is required.")]
    expires_at = moment_parse(data.get("expires_at"), field="expires_at", errors=errors)
    if errors:
        raise ValidationError(errors)
    bound = customers or [None] * count
    now = timezone.now()
    for attempt in range(5):
        try:
            with transaction.atomic():
                codes = _fresh_codes(promotion=promotion, prefix=prefix, count=len(bound))
                rows = [PromoCode(merchant_id=merchant.pk, promotion=promotion, code=code, kind=PromoCode.Kind.PERSONAL,
                                  customer_id=customer, expires_at=expires_at, created_at=now)
                        for code, customer in zip(codes, bound)]
                PromoCode.objects.bulk_create(rows, batch_size=BATCH_SIZE)
            break
        except IntegrityError:  # a parallel batch drew one of the same codes: draw again
            if attempt == 4:
                raise
    audit_record(merchant=merchant, actor=actor, action="promotion.codes_generated", target=promotion.code,
                 data={"count": len(bound), "prefix": prefix, "bound": bool(customers)})
    return len(bound)


def _fresh_codes(*, promotion: Promotion, prefix: str, count: int) -> list[str]:
    """`count` distinct new codes no code of the merchant has (compared in upper case)."""
    chosen: set[str] = set()
    while len(chosen) < count:
        wanted = count - len(chosen)
        candidates = set()
        while len(candidates) < wanted:
            candidate = code_generate(prefix=prefix)
            if candidate not in chosen:
                candidates.add(candidate)
        taken = _taken(promotion=promotion, codes=list(candidates))
        chosen |= candidates - taken
    return sorted(chosen)


def _taken(*, promotion: Promotion, codes: list[str]) -> set[str]:
    """Which of `codes` (in upper case) the merchant already has, in any case."""
    upper = {code_normalise(code): code for code in codes}
    taken: set[str] = set()
    keys = list(upper)
    for start in range(0, len(keys), BATCH_SIZE):
        chunk = keys[start:start + BATCH_SIZE]
        found = (PromoCode.objects.filter(merchant_id=promotion.merchant_id).annotate(upper=Upper("code"))
                 .filter(upper__in=chunk).values_list("upper", flat=True))
        taken |= {upper[value] for value in found}
    return taken



def codes_issue_personal(*, promotion: Promotion, customer_ids, expires_at=None) -> dict[str, str]:
    """A fresh personal single-use code of `promotion` bound to each of `customer_ids` (campaigns), set-based.

    Returns {customer id: code}. Call inside a transaction.
    """
    ids = [str(pk) for pk in customer_ids]
    if not ids:
        return {}
    now = timezone.now()
    for attempt in range(5):
        try:
            with transaction.atomic():
                codes = _fresh_codes(promotion=promotion, prefix="", count=len(ids))
                PromoCode.objects.bulk_create([
                    PromoCode(merchant_id=promotion.merchant_id, promotion=promotion, code=code, kind=PromoCode.Kind.PERSONAL,
                              customer_id=pk, expires_at=expires_at, created_at=now) for code, pk in zip(codes, ids)], batch_size=BATCH_SIZE)
            return dict(zip(ids, codes))
        except IntegrityError:  # a parallel batch drew one of the same codes: draw again
            if attempt == 4:
                raise
    return {}
