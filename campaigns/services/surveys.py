"""The NPS question after a purchase: "How likely are you to recommend us? 0–10", with an optional comment.

Asked in the portal about the customer's latest purchase of the last ASK_WITHIN_DAYS days, at most once
per receipt and once per QUIET_DAYS days per customer. The report counts promoters (9–10), passives
(7–8) and detractors (0–6); nps = round(100 × (promoters − detractors) / responses).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from accounts.errors import Conflict
from accounts.inputs import DATE_MAX, DATE_MIN, InputError, integer_parse, text_is_bad
from accounts.models import Customer, Merchant
from campaigns import selectors
from campaigns.models import Badge, SurveyResponse
from loyalty.models import Receipt

ASK_WITHIN_DAYS = 14
QUIET_DAYS = 30
MAX_COMMENT = 2000


def survey_pending(*, merchant: Merchant, customer: Customer, now: datetime | None = None) -> Receipt | None:
    """The receipt to ask about, or None (answered lately, or no recent purchase not yet asked about)."""
    now = now or timezone.now()
    answered = SurveyResponse.objects.filter(merchant=merchant, customer=customer)
    if answered.filter(at__gt=now - timedelta(days=QUIET_DAYS)).exists():
        return None
    return (Receipt.objects.filter(merchant=merchant, customer=customer, fully_refunded=False,
                                   purchased_at__gte=now - timedelta(days=ASK_WITHIN_DAYS), purchased_at__lte=now)
            .exclude(pk__in=answered.filter(receipt__isnull=False).values("receipt_id")).order_by("-purchased_at").first())


def survey_answer(*, merchant: Merchant, customer: Customer, data: dict, now: datetime | None = None) -> SurveyResponse:
    """Record the answer about the pending receipt. Raises ValidationError (score, comment) or Conflict survey_not_due."""
    now = now or timezone.now()
    errors: dict = {}
    score = None
    try:
        score = integer_parse(data.get("score"), max_digits=2)
        if not 0 <= score <= 10:
            raise InputError(_("Choose a number from 0 to 10."))
    except InputError as exc:
        errors["score"] = [exc.message]
    comment = data.get("comment") or ""
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT or text_is_bad(comment):
        errors["comment"] = [_("At most %(n)d characters.") % {"n": MAX_COMMENT}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # One answer at a time per customer: lock the customer's row.
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        receipt = survey_pending(merchant=merchant, customer=customer, now=now)
        if receipt is None or str(receipt.pk) != str(data.get("receipt")):
            raise Conflict("survey_not_due", _("Thank you, we have your answer already."))
        try:
            with transaction.atomic():
                response = SurveyResponse.objects.create(merchant=merchant, customer=customer, receipt=receipt, score=score,
                                                         comment=comment.strip(), at=now)
        except IntegrityError:
            raise Conflict("survey_not_due", _("Thank you, we have your answer already.")) from None
        from campaigns.services.badges import badges_award

        badges_award(customer=customer, rules=(Badge.Rule.SURVEY,), now=now)
    return response


def period_parse(date_from, date_to, *, today: date) -> tuple[date, date]:
    """`from`/`to` as dates (inclusive), the last 30 days by default. Raises ValidationError by field."""
    errors: dict = {}
    parsed = {}
    for key, value, default in (("from", date_from, today - timedelta(days=29)), ("to", date_to, today)):
        if value is None:
            parsed[key] = default
            continue
        try:
            day = parse_date(value) if isinstance(value, str) else None
        except ValueError:
            day = None
        if day is None or not DATE_MIN <= day <= DATE_MAX:
            errors[key] = [_("Send a date as YYYY-MM-DD.")]
        else:
            parsed[key] = day
    if not errors and parsed["from"] > parsed["to"]:
        errors["from"] = [_("The period must start before it ends.")]
    if errors:
        raise ValidationError(errors)
    return parsed["from"], parsed["to"]


# The period and the NPS are reads: campaigns.selectors keeps them (the analytics reports read them there).
period_bounds = selectors.period_bounds
nps_report = selectors.nps_report
