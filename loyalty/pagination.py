"""Keyset pagination for long lists: each page is an index range scan, never OFFSET or COUNT(*).

A list ordered newest first by (timestamp, id) hands out opaque cursors for the row after the
last one shown ("after") and before the first one ("before"). With a million customers the tenth
page costs the same as the first.
"""
import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.inputs import DATE_MAX, DATE_MIN

PAGE_SIZE = 50


@dataclass
class Page:
    items: list = field(default_factory=list)
    has_next: bool = False
    has_prev: bool = False
    next_cursor: str = ""
    prev_cursor: str = ""


def _encode(stamp: datetime, pk) -> str:
    raw = json.dumps([stamp.isoformat(), str(pk)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, pk_type) -> tuple[datetime, object] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp_text, pk_text = json.loads(base64.urlsafe_b64decode(padded.encode()))
        stamp = parse_datetime(stamp_text)
        pk = pk_type(pk_text)
    except (ValueError, TypeError, AttributeError, OverflowError, json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return None
    # A forged cursor is a first page, never a 500: an aware moment inside the calendar, a 64-bit id.
    if stamp is None or timezone.is_naive(stamp) or not DATE_MIN.year < stamp.year < DATE_MAX.year:
        return None
    if isinstance(pk, int) and not 0 < pk < 2**63:
        return None
    return stamp, pk


def keyset_page(qs: QuerySet, *, stamp_field: str, after: str = "", before: str = "", size: int = PAGE_SIZE) -> Page:
    """One page of `qs` ordered by (`stamp_field`, pk) descending; a malformed cursor means the first page."""
    pk_type = uuid.UUID if qs.model._meta.pk.get_internal_type() == "UUIDField" else int
    desc = qs.order_by(f"-{stamp_field}", "-pk")
    page = Page()
    after_key = _decode(after, pk_type) if after else None
    before_key = _decode(before, pk_type) if before else None
    if before_key is not None:
        stamp, pk = before_key
        rows = list(
            qs.filter(Q(**{f"{stamp_field}__gt": stamp}) | Q(**{stamp_field: stamp, "pk__gt": pk})).order_by(stamp_field, "pk")[: size + 1]
        )
        page.has_prev = len(rows) > size
        page.items = list(reversed(rows[:size]))
        page.has_next = True
    else:
        if after_key is not None:
            stamp, pk = after_key
            desc = desc.filter(Q(**{f"{stamp_field}__lt": stamp}) | Q(**{stamp_field: stamp, "pk__lt": pk}))
            page.has_prev = True
        rows = list(desc[: size + 1])
        page.has_next = len(rows) > size
        page.items = rows[:size]
    if page.items:
        first, last = page.items[0], page.items[-1]
        page.prev_cursor = _encode(getattr(first, stamp_field), first.pk)
        page.next_cursor = _encode(getattr(last, stamp_field), last.pk)
    else:
        page.has_next = False
    return page
