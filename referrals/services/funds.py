"""Charity: funds (created and edited by the marketer) and donations of points to them."""
from __future__ import annotations

import re
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ApplicationError, Conflict, ValidationError
from accounts.inputs import InputError, integer_parse, text_is_bad
from accounts.models import Customer, Merchant
from loyalty.models import EntryKind
from loyalty.money import money_quantize
from loyalty.services.ledger import holder_lock, points_debit
from loyalty.texts import message
from referrals.models import Donation, Fund

CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
FUND_FIELDS = ("code", "name", "description", "active")
MAX_DONATION = 10_000_000


def _text(data: dict, key: str, *, required: bool, limit: int, errors: dict) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            errors[key] = [_("This field is required.")]
        return None
    if not isinstance(value, str):
        errors[key] = [_("Send text.")]
        return None
    value = value.strip()
    if required and not value:
        errors[key] = [_("This field may not be blank.")]
    elif len(value) > limit:
        errors[key] = [_("At most %(n)d characters.") % {"n": limit}]
    elif text_is_bad(value):
        errors[key] = [_("Remove the control characters.")]
    return value


def _fund_fields(data, *, creating: bool) -> dict:
    """The fund's fields from a request body, validated.

    Raises:
        ValidationError: unknown keys, a bad code, a blank name, a non-boolean `active`.
    """
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors: dict = {key: [_("Unknown field.")] for key in data if key not in FUND_FIELDS}
    fields: dict = {}
    if creating or "code" in data:
        code = data.get("code")
        if not isinstance(code, str) or not CODE.fullmatch(code.strip()):
            errors["code"] = [_("Use 1 to 32 letters, digits, dashes or underscores.")]
        else:
            fields["code"] = code.strip()
    if creating or "name" in data:
        name = _text(data, "name", required=True, limit=200, errors=errors)
        if "name" not in errors:
            fields["name"] = name
    if "description" in data:
        description = _text(data, "description", required=False, limit=2000, errors=errors)
        if "description" not in errors:
            fields["description"] = description or ""
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors["active"] = [_("Send true or false.")]
        else:
            fields["active"] = data["active"]
    if errors:
        raise ValidationError(errors)
    return fields


def fund_create(*, merchant: Merchant, data) -> Fund:
    """Raises: ValidationError (bad fields), Conflict fund_exists (the code is taken)."""
    fields = _fund_fields(data, creating=True)
    try:
        with transaction.atomic():
            return Fund.objects.create(merchant=merchant, **fields)
    except IntegrityError:
        raise Conflict("fund_exists", _("A fund with code %(code)s already exists.") % {"code": fields["code"]})


def fund_update(*, fund: Fund, data) -> Fund:
    """Change a fund's name, description or `active`; the code is its address and stays.

    Raises: ValidationError (bad fields, or another code).
    """
    fields = _fund_fields(data, creating=False)
    if "code" in fields and fields.pop("code") != fund.code:
        raise ValidationError({"code": [_("A fund's code cannot be changed.")]})
    for key, value in fields.items():
        setattr(fund, key, value)
    if fields:
        fund.save(update_fields=list(fields))
    return fund


def donation_parse(data) -> tuple[str, int]:
    """(fund code, points) from a donation body.

    Raises: ValidationError naming the field.
    """
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors: dict = {key: [_("Unknown field.")] for key in data if key not in ("fund", "points")}
    code = data.get("fund")
    if not isinstance(code, str) or not CODE.fullmatch(code.strip()):
        errors["fund"] = [_("Send the fund's code.")]
    points = None
    try:
        points = integer_parse(data.get("points"), max_digits=9)
    except InputError as exc:
        errors["points"] = [str(exc)]
    else:
        if not 1 <= points <= MAX_DONATION:
            errors["points"] = [_("Give a whole number of points from 1 to %(max)d.") % {"max": MAX_DONATION}]
    if errors:
        raise ValidationError(errors)
    return code.strip(), points


@transaction.atomic
def donation_create(*, customer: Customer, fund_code: str, points: int, now: datetime | None = None) -> Donation:
    """Give `points` of the customer's balance to a fund: spent like a redemption, soonest-expiring
    first, as one `donation` entry naming the fund. A family member gives from the family balance,
    if they may spend it.

    Raises:
        ValidationError: no such fund (field `fund`).
        ApplicationError: fund_inactive, redeem_not_allowed, insufficient_points; nothing is written.
    """
    from loyalty.extensions import account_holder_get

    now = now or timezone.now()
    merchant = customer.merchant
    fund = Fund.objects.filter(merchant=merchant, code=fund_code).first()
    if fund is None:
        raise ValidationError({"fund": [_("There is no fund %(code)s.") % {"code": fund_code}]})
    if not fund.active:
        raise ApplicationError("fund_inactive", _("The fund %(name)s no longer collects points.") % {"name": fund.name},
                               fields={"fund": [_("This fund is not active.")]})
    holder, account = holder_lock(customer=customer)
    if holder.pk != customer.pk and not account_holder_get(customer).may_redeem:
        raise ApplicationError("redeem_not_allowed", _("This family member may not spend the family's points."))
    if account.debt > 0:
        raise ApplicationError("insufficient_points", _("The balance owes points from a return; nothing can be given until it is repaid."))
    entry = points_debit(customer=holder, points=points, kind=EntryKind.DONATION, now=now, text=message("entry.donation", fund=fund.name))
    amount = money_quantize(points * merchant.program.point_value, merchant.currency)
    return Donation.objects.create(merchant=merchant, fund=fund, customer=customer, points=points, amount=amount, entry=entry, at=now)
