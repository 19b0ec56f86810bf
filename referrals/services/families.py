"""Families: members share the owner's points account. Joining moves the member's points into it;
leaving keeps them there (the member starts again from zero)."""
from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ApplicationError, Conflict, ValidationError
from accounts.inputs import DATE_MAX, DATE_MIN, text_is_bad
from accounts.models import Customer, Merchant
from accounts.phones import phone_normalize
from loyalty.models import EntryKind
from loyalty.services import customer_join
from loyalty.services.ledger import account_lock, points_transfer
from loyalty.texts import masked_name, message
from referrals.models import Family, FamilyBirthday, FamilyMember

MAX_MEMBERS = 20


def _already(customer: Customer) -> Conflict:
    return Conflict("already_in_family", _("%(name)s already belongs to a family.") % {"name": masked_name(customer)})


def family_add_parse(data) -> tuple[str, bool, str]:
    """(phone, can_redeem, name) from the body of `POST .../family`.

    Raises: ValidationError naming the field.
    """
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors: dict = {key: [_("Unknown field.")] for key in data if key not in ("phone", "can_redeem", "name")}
    phone = data.get("phone")
    if not isinstance(phone, str) or not phone.strip() or len(phone) > 32:
        errors["phone"] = [_("Send the member's phone.")]
    can_redeem = data.get("can_redeem", False)
    if not isinstance(can_redeem, bool):
        errors["can_redeem"] = [_("Send true or false.")]
    name = data.get("name", "")
    if not isinstance(name, str) or len(name) > 200 or text_is_bad(name):
        errors["name"] = [_("Send the name as text, up to 200 characters.")]
    if errors:
        raise ValidationError(errors)
    return phone.strip(), can_redeem, name.strip()


@transaction.atomic
def family_member_add(*, owner: Customer, phone: str, can_redeem: bool, name: str = "", now: datetime | None = None) -> FamilyMember:
    """Add the customer with `phone` (registered on the spot if new) to `owner`'s family, moving their
    points into the family balance: one `family` entry on each side.

    Raises:
        ValidationError: a bad phone, or the owner's own.
        Conflict: already_in_family (the member, or the owner, belongs to another family).
    """
    now = now or timezone.now()
    merchant = owner.merchant
    normal = phone_normalize(raw=phone, region=merchant.country)
    if normal is None:
        raise ValidationError({"phone": [_("Enter a valid phone number.")]})
    member = Customer.objects.filter(merchant=merchant, phone=normal).first()
    if member is None:
        member = customer_join(merchant=merchant, phone=normal, name=name, at=now)
    if member.pk == owner.pk:
        raise ValidationError({"phone": [_("This is the family owner's own phone.")]})
    # The member's account first, then the owner's: the receipt commit's order (customer, then holder).
    member_account = account_lock(customer=member)
    owner_account = account_lock(customer=owner)
    if FamilyMember.objects.filter(customer=owner).exists():
        raise _already(owner)
    if FamilyMember.objects.filter(customer=member).exists() or Family.objects.filter(owner=member).exists():
        raise _already(member)
    family, _created = Family.objects.get_or_create(owner=owner, defaults={"merchant": merchant, "created_at": now})
    if family.members.count() >= MAX_MEMBERS:
        raise ApplicationError("family_full", _("A family has at most %(n)d members.") % {"n": MAX_MEMBERS})
    try:
        with transaction.atomic():
            added = FamilyMember.objects.create(merchant=merchant, family=family, customer=member, can_redeem=can_redeem, joined_at=now)
    except IntegrityError:
        raise _already(member)
    points_transfer(
        source=member, source_account=member_account, target=owner, target_account=owner_account, kind=EntryKind.FAMILY, now=now,
        text_out=message("entry.family_out", owner=masked_name(owner)), text_in=message("entry.family_in", member=masked_name(member)),
    )
    return added


@transaction.atomic
def family_member_update(*, owner: Customer, member: Customer, can_redeem) -> FamilyMember:
    """Raises: ValidationError (can_redeem not a boolean); NotFound-like None handled by the caller."""
    if not isinstance(can_redeem, bool):
        raise ValidationError({"can_redeem": [_("Send true or false.")]})
    row = FamilyMember.objects.select_for_update().get(family__owner=owner, customer=member)
    row.can_redeem = can_redeem
    row.save(update_fields=["can_redeem"])
    return row


@transaction.atomic
def family_member_remove(*, owner: Customer, member: Customer) -> bool:
    """Take a member out of the family; the points stay in the family balance and the member starts
    again from zero. The family goes when its last member leaves. False if they were not a member."""
    account_lock(customer=member)
    account_lock(customer=owner)
    deleted, _rows = FamilyMember.objects.filter(family__owner=owner, customer=member).delete()
    if deleted:
        Family.objects.filter(owner=owner, members__isnull=True).delete()
    return bool(deleted)


def family_birthdays_set(*, merchant: Merchant, customer: Customer, value) -> None:
    """Replace the profile's `family_birthdays`: a list of {"name", "date": "YYYY-MM-DD"} (at most 20).

    Raises: ValidationError naming `family_birthdays[i].name` or `.date`.
    """
    from datetime import date

    if not isinstance(value, list) or len(value) > 20:
        raise ValidationError({"family_birthdays": [_("Send a list of at most 20 {name, date}.")]})
    errors: dict = {}
    rows = []
    for index, item in enumerate(value):
        key = f"family_birthdays[{index}]"
        if not isinstance(item, dict) or set(item) - {"name", "date"}:
            errors[key] = [_("Each birthday is {name, date}.")]
            continue
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100 or text_is_bad(name):
            errors[f"{key}.name"] = [_("Send a name up to 100 characters.")]
        day = None
        try:
            day = date.fromisoformat(item.get("date")) if isinstance(item.get("date"), str) else None
        except ValueError:
            day = None
        if day is None or not DATE_MIN <= day <= DATE_MAX:
            errors[f"{key}.date"] = [_("Send the date as YYYY-MM-DD.")]
        if not errors:
            rows.append(FamilyBirthday(merchant=merchant, customer=customer, name=name.strip(), date=day))
    if errors:
        raise ValidationError(errors)
    FamilyBirthday.objects.filter(merchant=merchant, customer=customer).delete()
    FamilyBirthday.objects.bulk_create(rows)
