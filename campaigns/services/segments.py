"""Segments: create, change, delete (rules checked first, errors keyed by their path)."""
from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import Conflict
from accounts.inputs import text_is_bad
from accounts.models import Merchant
from accounts.services import audit_record
from campaigns import selectors
from campaigns.models import Segment
from campaigns.rules import rules_clean

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
KEYS = {"code", "name", "rules"}


def _check(data: dict, *, creating: bool) -> dict:
    errors: dict = {}
    clean: dict = {}
    for key in sorted(set(data) - KEYS - {"count"}, key=str):
        errors[str(key)] = [_("Unknown field.")]
    if creating or "code" in data:
        code = data.get("code")
        if not creating:
            errors["code"] = [_("A segment's code cannot change.")]
        elif not isinstance(code, str) or not CODE_RE.fullmatch(code) or code == "preview":
            errors["code"] = [_("Use 1 to 64 Latin letters, digits, \"-\" or \"_\".")]
        else:
            clean["code"] = code
    if creating or "name" in data:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200 or text_is_bad(name):
            errors["name"] = [_("Send a name of 1 to 200 characters.")]
        else:
            clean["name"] = name.strip()
    if creating or "rules" in data:
        if "rules" not in data and creating:
            errors["rules"] = [_("Send the rules: {\"all\": [conditions]}.")]
        else:
            try:
                clean["rules"] = rules_clean(data.get("rules"))
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return clean


def segment_create(*, merchant: Merchant, data: dict, actor=None) -> Segment:
    """Raises: ValidationError (bad fields, rule errors by path); Conflict segment_exists."""
    clean = _check(data, creating=True)
    try:
        with transaction.atomic():
            segment = Segment.objects.create(merchant=merchant, created_by=actor, **clean)
            audit_record(merchant=merchant, actor=actor, action="segment.create", target=segment.code)
    except IntegrityError:
        raise Conflict("segment_exists", _("A segment with this code exists.")) from None
    return segment


@transaction.atomic
def segment_update(*, segment: Segment, data: dict, actor=None) -> Segment:
    clean = _check(data, creating=False)
    for key, value in clean.items():
        setattr(segment, key, value)
    segment.updated_at = timezone.now()
    segment.save()
    audit_record(merchant=segment.merchant, actor=actor, action="segment.update", target=segment.code)
    return segment


@transaction.atomic
def segment_delete(*, segment: Segment, actor=None) -> None:
    audit_record(merchant=segment.merchant, actor=actor, action="segment.delete", target=segment.code)
    segment.delete()


def segment_as_dict(segment: Segment, *, with_count: bool = True) -> dict:
    body = {"code": segment.code, "name": segment.name, "rules": segment.rules}
    if with_count:
        body["count"] = selectors.segment_count(merchant=segment.merchant, segment=segment)
    return body
