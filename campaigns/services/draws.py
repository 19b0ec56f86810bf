"""Prize draws that anyone can check.

At creation a secret seed is drawn and its SHA-256 (the commitment) is published. When the draw runs
(`POST /api/v1/draws/<code>/run` or the job at `draw_at`), the segment's members at that moment are
frozen as the participants; each is ranked by SHA-256 of `seed + ":" + customer id` (lower-case hex,
ascending) and the first `winners` win. The seed and the list are then published, so anyone can check
that sha256(seed) is the commitment and recompute the winners (`draw_winners`). Prizes are credited
once: the draw row is locked and a run of a finished draw returns its result again.
"""
from __future__ import annotations

import hashlib
import heapq
import re
import secrets
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.errors import Conflict
from accounts.inputs import InputError, decimal_parse, integer_parse, text_is_bad
from accounts.models import Customer
from accounts.services import audit_record
from campaigns import selectors
from campaigns.models import Draw, DrawParticipant
from loyalty.models import EntryKind
from loyalty.services.ledger import points_earn
from promotions.services.validation import moment_parse

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
KEYS = {"code", "name", "segment", "winners", "prize", "draw_at"}
MAX_WINNERS = 1000


def commitment_of(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def draw_rank(seed: str, customer_id) -> str:
    """A participant's rank key: SHA-256 hex of `seed:customer-id` (the id as lower-case text with hyphens)."""
    return hashlib.sha256(f"{seed}:{customer_id}".encode()).hexdigest()


def draw_winners(seed: str, participant_ids, winners: int) -> list[str]:
    """The winners among the participants: the `winners` lowest rank keys, best first. Pure: anyone can run it."""
    return [customer_id for _rank, customer_id in
            heapq.nsmallest(winners, ((draw_rank(seed, str(customer_id)), str(customer_id)) for customer_id in participant_ids))]


def _prize_clean(value, errors: dict) -> dict | None:
    if not isinstance(value, dict) or len(value) == 0:
        errors["prize"] = [_("Send {\"points\": 1000, \"ttl_days\": 30} or {\"gift\": {\"name\", \"sku\", \"quantity\"}}.")]
        return None
    if "gift" in value:
        if set(value) != {"gift"}:
            errors["prize"] = [_("A gift prize has only the key gift.")]
            return None
        gift = value["gift"]
        if not isinstance(gift, dict):
            errors["prize.gift"] = [_("Send {\"name\", \"sku\", \"quantity\"}.")]
            return None
        clean = {}
        for key in sorted(set(gift) - {"name", "sku", "quantity"}, key=str):
            errors[f"prize.gift.{key}"] = [_("Unknown field.")]
        for key, limit in (("name", 200), ("sku", 64)):
            text = gift.get(key)
            if not isinstance(text, str) or not text.strip() or len(text) > limit or text_is_bad(text):
                errors[f"prize.gift.{key}"] = [_("Send a text of 1 to %(n)d characters.") % {"n": limit}]
            else:
                clean[key] = text.strip()
        try:
            quantity = decimal_parse(gift.get("quantity", "1"), places=3, integer_digits=6)
            if quantity <= 0:
                raise InputError(_("Must be greater than zero."))
            clean["quantity"] = f"{quantity:.3f}".rstrip("0").rstrip(".")
        except InputError as exc:
            errors["prize.gift.quantity"] = [exc.message]
        return {"gift": clean}
    for key in sorted(set(value) - {"points", "ttl_days"}, key=str):
        errors[f"prize.{key}"] = [_("Unknown field.")]
    clean = {"points": None, "ttl_days": None}
    try:
        points = integer_parse(value.get("points"), max_digits=9)
        if not 1 <= points <= 1_000_000:
            raise InputError(_("Send 1 to %(n)d points.") % {"n": 1_000_000})
        clean["points"] = points
    except InputError as exc:
        errors["prize.points"] = [exc.message]
    if value.get("ttl_days") is not None:
        try:
            ttl = integer_parse(value["ttl_days"], max_digits=6)
            if not 1 <= ttl <= 3650:
                raise InputError(_("Send 1 to %(n)d days, or null for points that never expire.") % {"n": 3650})
            clean["ttl_days"] = ttl
        except InputError as exc:
            errors["prize.ttl_days"] = [exc.message]
    return clean


def draw_create(*, merchant, data: dict, actor=None) -> Draw:
    """Raises: ValidationError by field; Conflict draw_exists."""
    errors: dict = {}
    for key in sorted(set(data) - KEYS - {"commitment", "status"}, key=str):
        errors[str(key)] = [_("Unknown field.")]
    code = data.get("code")
    if not isinstance(code, str) or not CODE_RE.fullmatch(code):
        errors["code"] = [_("Use 1 to 64 Latin letters, digits, \"-\" or \"_\".")]
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or text_is_bad(name):
        errors["name"] = [_("Send a name of 1 to 200 characters.")]
    segment = None
    segment_code = data.get("segment")
    if segment_code is not None:
        segment = selectors.segment_get(merchant=merchant, code=segment_code) if isinstance(segment_code, str) else None
        if segment is None:
            errors["segment"] = [_("Unknown segment.")]
    winners = None
    try:
        winners = integer_parse(data.get("winners"), max_digits=6)
        if not 1 <= winners <= MAX_WINNERS:
            raise InputError(_("Send 1 to %(n)d winners.") % {"n": MAX_WINNERS})
    except InputError as exc:
        errors["winners"] = [exc.message]
    prize = _prize_clean(data.get("prize"), errors)
    draw_at = moment_parse(data.get("draw_at"), field="draw_at", errors=errors, nullable=False)
    if errors:
        raise ValidationError(errors)
    seed = secrets.token_hex(32)
    try:
        with transaction.atomic():
            draw = Draw.objects.create(merchant=merchant, code=code, name=name.strip(), segment=segment,
                                       segment_code=segment.code if segment else "", winners=winners, prize=prize, draw_at=draw_at,
                                       seed=seed, commitment=commitment_of(seed))
            audit_record(merchant=merchant, actor=actor, action="draw.create", target=code, data={"commitment": draw.commitment})
            transaction.on_commit(lambda: draw_schedule(draw))
    except IntegrityError:
        raise Conflict("draw_exists", _("A draw with this code exists.")) from None
    return draw


def draw_schedule(draw: Draw) -> None:
    """A one-off django-q2 schedule that runs the draw at draw_at (run_draws in run_jobs catches any it missed)."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=f"draw:{draw.pk}",
        defaults={"func": "campaigns.jobs.draw_run_job", "args": repr(draw.pk), "schedule_type": Schedule.ONCE,
                  "next_run": draw.draw_at, "repeats": 1},
    )


def _participants_freeze(draw: Draw, *, now) -> int:
    """INSERT … SELECT the segment's members now (every customer when the draw names no segment)."""
    if draw.segment_id is not None:
        members = selectors.segment_customers(merchant=draw.merchant, segment=draw.segment, now=now)
    elif draw.segment_code:
        members = Customer.objects.none()  # its segment was deleted: nobody takes part
    else:
        members = Customer.objects.filter(merchant=draw.merchant)
    members = members.order_by().annotate(member_id=F("pk")).values("member_id")
    sql, params = members.query.sql_with_params()
    if not sql:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO campaigns_drawparticipant (draw_id, customer_id) SELECT %s, m.member_id FROM ({sql}) m",
                       [draw.pk, *params])
        return cursor.rowcount


def _prize_give(draw: Draw, customer: Customer, *, now) -> None:
    prize = draw.prize or {}
    if prize.get("points"):
        with translation.override(draw.merchant.language):  # entries read in the merchant's language
            description = _("Prize draw: %(name)s") % {"name": draw.name}
        points_earn(customer=customer, kind=EntryKind.BONUS, points=prize["points"], ttl_days=prize.get("ttl_days"), at=now,
                    description=description)
    elif prize.get("gift"):
        from promotions.services.offers import gift_grant

        gift = prize["gift"]
        gift_grant(customer=customer, data={"name": gift["name"], "sku": gift["sku"], "quantity": str(Decimal(gift.get("quantity", "1")))})


def draw_run(*, draw: Draw, now=None) -> Draw:
    """Run the draw once: freeze the participants, rank them, credit the prizes. A finished draw is returned as it is."""
    now = now or timezone.now()
    with transaction.atomic():
        draw = Draw.objects.select_for_update().select_related("merchant", "segment").get(pk=draw.pk)
        if draw.status == Draw.Status.DONE:
            return draw
        DrawParticipant.objects.filter(draw=draw).delete()
        count = _participants_freeze(draw, now=now)
        ids = DrawParticipant.objects.filter(draw=draw).values_list("customer_id", flat=True).iterator(chunk_size=5000)
        winners = draw_winners(draw.seed, ids, draw.winners)
        customers = {str(customer.pk): customer for customer in Customer.objects.filter(merchant=draw.merchant, pk__in=winners)}
        with transaction.atomic():
            for customer_id in winners:
                _prize_give(draw, customers[customer_id], now=now)
        draw.status, draw.run_at, draw.participants, draw.winner_ids = Draw.Status.DONE, now, count, winners
        draw.save(update_fields=["status", "run_at", "participants", "winner_ids"])
        audit_record(merchant=draw.merchant, actor=None, action="draw.run", target=draw.code,
                     data={"seed": draw.seed, "participants": count, "winners": winners})
    return draw


def draws_run_due(*, now) -> int:
    """The job: run every draw whose moment has come. Safe to run twice."""
    done = 0
    for draw in Draw.objects.filter(status=Draw.Status.SCHEDULED, draw_at__lte=now).order_by("draw_at", "pk"):
        draw_run(draw=draw, now=now)
        done += 1
    return done


def draw_as_dict(draw: Draw) -> dict:
    """The draw as read: the seed only once it has run."""
    zone = ZoneInfo(draw.merchant.timezone)
    body = {"code": draw.code, "name": draw.name, "segment": draw.segment_code or None, "winners": draw.winners, "prize": draw.prize,
            "draw_at": draw.draw_at.astimezone(zone).isoformat(), "commitment": draw.commitment, "status": draw.status,
            "seed": None, "participants": None, "winner_ids": [], "run_at": None}
    if draw.status == Draw.Status.DONE:
        body.update({"seed": draw.seed, "participants": draw.participants, "winner_ids": draw.winner_ids,
                     "run_at": draw.run_at.astimezone(zone).isoformat() if draw.run_at else None})
    return body


def draw_result(draw: Draw) -> dict:
    return {"seed": draw.seed, "participants": draw.participants, "winners": draw.winner_ids}
