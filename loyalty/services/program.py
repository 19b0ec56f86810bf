"""Program settings: the base rules of a merchant's loyalty program."""
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ValidationError
from accounts.inputs import InputError, decimal_parse, integer_parse
from accounts.models import Merchant, User
from accounts.services import audit_record
from loyalty.models import Program
from loyalty.money import currency_places

PROGRAM_FIELDS = (
    "accrual_percent",
    "max_redeem_percent",
    "point_value",
    "points_ttl_days",
    "pending_days",
    "welcome_bonus",
    "welcome_bonus_ttl_days",
    "max_receipt_amount",
    "counter_confirm_amount",
    "max_marketing_per_week",
)
# Money settings: a positive amount at the currency's precision, or null for "off".
PROGRAM_MONEY_FIELDS = ("max_receipt_amount", "counter_confirm_amount")
MONEY_LIMIT_HIGH = Decimal(10) ** 12


def program_create(*, merchant: Merchant, **fields) -> Program:
    return Program.objects.create(merchant=merchant, **fields)


def _decimal(value, *, field: str, low: Decimal, high: Decimal, low_inclusive: bool, errors: dict) -> Decimal | None:
    if value is None:
        errors[field] = [_("Enter a number as a string, such as \"5.00\".")]
        return None
    try:
        number = decimal_parse(value, places=2)
    except InputError as exc:
        errors[field] = [exc.message]
        return None
    if (number < low if low_inclusive else number <= low) or number > high:
        errors[field] = [_("Enter a value from %(low)s to %(high)s.") % {"low": low, "high": high}]
        return None
    return number


def _integer(value, *, field: str, low: int, high: int, nullable: bool, errors: dict) -> int | None:
    if value is None:
        if nullable:
            return None
        errors[field] = [_("This field cannot be empty.")]
        return None
    try:
        value = integer_parse(value)
    except InputError as exc:
        errors[field] = [exc.message]
        return None
    if value < low or value > high:
        errors[field] = [_("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}]
        return None
    return value


def _money_or_null(value, *, field: str, currency: str, errors: dict) -> Decimal | None:
    """A positive amount at the currency's precision ("1000" for JPY, "1000.00" for RUB), or null."""
    if value is None:
        return None
    try:
        number = decimal_parse(value, places=currency_places(currency))
    except InputError as exc:
        errors[field] = [exc.message]
        return None
    high = MONEY_LIMIT_HIGH - 1
    if number <= 0 or number > high:
        errors[field] = [_("Enter a value from %(low)s to %(high)s.") % {"low": 0, "high": high}]
        return None
    return number


def program_validate(changes: dict, *, currency: str = "RUB") -> dict:
    """Check a partial set of program settings; return them cleaned.

    Raises:
        ValidationError: with a message per bad or unknown field.
    """
    errors: dict = {}
    clean: dict = {}
    for name in set(changes) - set(PROGRAM_FIELDS):
        errors[name] = [_("Unknown setting.")]
    rules = {
        "accrual_percent": lambda v: _decimal(v, field="accrual_percent", low=Decimal(0), high=Decimal(100), low_inclusive=True, errors=errors),
        "max_redeem_percent": lambda v: _decimal(v, field="max_redeem_percent", low=Decimal(0), high=Decimal(100), low_inclusive=True, errors=errors),
        "point_value": lambda v: _decimal(v, field="point_value", low=Decimal(0), high=Decimal(1_000_000), low_inclusive=False, errors=errors),
        "points_ttl_days": lambda v: _integer(v, field="points_ttl_days", low=1, high=36_500, nullable=True, errors=errors),
        "pending_days": lambda v: _integer(v, field="pending_days", low=0, high=365, nullable=False, errors=errors),
        "welcome_bonus": lambda v: _integer(v, field="welcome_bonus", low=0, high=1_000_000, nullable=False, errors=errors),
        "welcome_bonus_ttl_days": lambda v: _integer(v, field="welcome_bonus_ttl_days", low=1, high=36_500, nullable=True, errors=errors),
        "max_receipt_amount": lambda v: _money_or_null(v, field="max_receipt_amount", currency=currency, errors=errors),
        "counter_confirm_amount": lambda v: _money_or_null(v, field="counter_confirm_amount", currency=currency, errors=errors),
        "max_marketing_per_week": lambda v: _integer(v, field="max_marketing_per_week", low=0, high=1000, nullable=True, errors=errors),
    }
    for name in PROGRAM_FIELDS:
        if name in changes:
            value = rules[name](changes[name])
            if name not in errors:
                clean[name] = value
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def program_update(*, merchant: Merchant, changes: dict, actor: User | None = None) -> Program:
    """Change program settings; takes effect from the next receipt. Audited.

    Raises:
        ValidationError: a field is unknown or out of range; nothing is written.
    """
    from loyalty.extensions import program_sections

    changes = dict(changes)
    sections = [(section, changes.pop(section.name)) for section in program_sections() if section.name in changes]
    errors: dict = {}
    try:
        clean = program_validate(changes, currency=merchant.currency)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        clean = {}
    section_clean = []
    for section, value in sections:
        try:
            section_clean.append((section, section.validate(merchant=merchant, value=value)))
        except ValidationError as exc:
            found = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            for key, messages in found.items():
                errors[section.name if key == "non_field_errors" else f"{section.name}.{key}"] = messages
    if errors:
        raise ValidationError(errors)
    program = Program.objects.select_for_update().get(merchant=merchant)
    before = {name: str(getattr(program, name)) for name in clean}
    for name, value in clean.items():
        setattr(program, name, value)
    program.updated_at = timezone.now()
    program.save()
    merchant.program = program  # keep the caller's merchant in step: pricing reads merchant.program
    for section, value in section_clean:
        section.update(merchant=merchant, clean=value, actor=actor)
    if clean:
        audit_record(
            merchant=merchant, actor=actor, action="program.updated", target=merchant.slug,
            data={"before": before, "after": {name: str(value) for name, value in clean.items()}},
        )
    return program
