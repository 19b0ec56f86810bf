"""Agents: making a customer an agent, tying clients to them with a split, and the agent's rewards on
their clients' receipts (written inside the receipt's commit, taken back by returns)."""
from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ValidationError
from accounts.inputs import InputError, decimal_parse
from accounts.models import Customer
from accounts.selectors import customer_get
from loyalty.models import Entry, EntryKind, Receipt, Refund
from loyalty.services.ledger import account_lock, holder_lock, points_credit, points_reverse
from loyalty.texts import masked_name, message
from referrals.models import Agent, AgentClient

HUNDRED = Decimal("100")
ZERO = Decimal("0.00")


def percent_parse(value, *, field: str, allow_zero: bool = True) -> Decimal:
    """A percent from 0 (or above 0) to 100 with at most two places.

    Raises: ValidationError naming `field`.
    """
    try:
        number = decimal_parse(value, places=2, integer_digits=3)
    except InputError as exc:
        raise ValidationError({field: [str(exc)]})
    if number < 0 or number > HUNDRED or (not allow_zero and number == 0):
        low = "0" if allow_zero else _("above 0")
        raise ValidationError({field: [_("Send a percent from %(low)s to 100.") % {"low": low}]})
    return number


def tie_split(tie: AgentClient) -> tuple[Decimal, Decimal]:
    """(client discount, agent points) percents of a tie; without a split, no discount and the agent's whole percent."""
    if tie.client_discount_percent is None and tie.agent_points_percent is None:
        return ZERO, tie.agent.percent
    return tie.client_discount_percent or ZERO, tie.agent_points_percent or ZERO


@transaction.atomic
def agent_percent_set(*, merchant, customer: Customer, value) -> Agent | None:
    """Make the customer an agent earning `value` percent of their clients' purchases, change it, or
    with None end it (their clients are untied).

    Raises:
        ValidationError: a bad percent, or one below a client's split (field `agent_percent`).
    """
    if value is None:
        Agent.objects.filter(merchant=merchant, customer=customer).delete()
        return None
    percent = percent_parse(value, field="agent_percent", allow_zero=False)
    agent = Agent.objects.select_for_update().filter(merchant=merchant, customer=customer).first()
    if agent is None:
        return Agent.objects.create(merchant=merchant, customer=customer, percent=percent)
    over = [tie for tie in AgentClient.objects.filter(merchant=merchant, agent=agent).select_related("client", "agent")
            if tie.client_discount_percent is not None or tie.agent_points_percent is not None
            if sum(tie_split(tie)) > percent]
    if over:
        raise ValidationError({"agent_percent": [
            _("%(count)d of the agent's clients have a split above %(percent)s%%; change their splits first.")
            % {"count": len(over), "percent": percent}]})
    agent.percent = percent
    agent.save(update_fields=["percent"])
    return agent


@transaction.atomic
def agent_tie(*, merchant, client: Customer, data) -> AgentClient:
    """Tie a client to an agent with an optional split (`client_discount_percent`, `agent_points_percent`;
    with only the discount, the rest of the agent's percent is the agent's points). Re-tying replaces.

    Raises:
        ValidationError: unknown fields, an unknown agent or one who is not an agent, the client
            themself or their own client, a bad percent, or a split above the agent's percent (400).
    """
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors = {key: [_("Unknown field.")] for key in data if key not in ("agent", "client_discount_percent", "agent_points_percent")}
    if errors:
        raise ValidationError(errors)
    agent_customer = customer_get(merchant=merchant, customer_id=data.get("agent")) if isinstance(data.get("agent"), str) else None
    if agent_customer is None:
        raise ValidationError({"agent": [_("Send the id of a customer who is an agent.")]})
    agent = Agent.objects.select_for_update().filter(merchant=merchant, customer=agent_customer).first()
    if agent is None:
        raise ValidationError({"agent": [_("This customer is not an agent; set their agent_percent first.")]})
    if agent_customer.pk == client.pk:
        raise ValidationError({"agent": [_("An agent cannot be their own client.")]})
    if AgentClient.objects.filter(merchant=merchant, client=agent_customer, agent__customer=client).exists():
        raise ValidationError({"agent": [_("This agent is a client of this customer.")]})
    discount = data.get("client_discount_percent")
    points = data.get("agent_points_percent")
    discount = percent_parse(discount, field="client_discount_percent") if discount is not None else None
    points = percent_parse(points, field="agent_points_percent") if points is not None else None
    if discount is not None and points is None:
        points = max(agent.percent - discount, ZERO)
    if points is not None and discount is None:
        discount = ZERO
    if discount is not None and discount + points > agent.percent:
        message_text = _("The discount and the points add up to %(sum)s%%, more than the agent's %(percent)s%%.") % {
            "sum": discount + points, "percent": agent.percent}
        raise ValidationError({"client_discount_percent": [message_text], "agent_points_percent": [message_text]})
    tie, _created = AgentClient.objects.update_or_create(
        client=client, defaults={"merchant": merchant, "agent": agent, "client_discount_percent": discount,
                                 "agent_points_percent": points, "since": timezone.now()})
    return AgentClient.objects.select_related("agent__customer", "client").get(pk=tie.pk)


def agent_untie(*, merchant, client: Customer) -> bool:
    deleted, _rows = AgentClient.objects.filter(merchant=merchant, client=client).delete()
    return bool(deleted)


def agent_reward_write(*, merchant, client: Customer, agent_id: str, points: int, receipt: Receipt) -> None:
    """Credit the agent's reward for a client's receipt, inside the commit: kind `agent`, on the money
    paid, pending and lasting like the receipt's own points; the entry names the client masked."""
    agent = Customer.objects.get(merchant=merchant, pk=agent_id)
    holder, account = holder_lock(customer=agent)
    program = merchant.program
    points_credit(
        customer=holder, account=account, kind=EntryKind.AGENT, points=points,
        text=message("entry.agent", client=masked_name(client), number=receipt.number, agent=str(agent.pk)),
        at=receipt.purchased_at, ttl_days=program.points_ttl_days, pending_days=program.pending_days, receipt=receipt,
    )


def agent_reward_reverse(*, merchant, receipt: Receipt, refund: Refund, fully_returned: bool) -> None:
    """Take back the agent's reward in the proportion of the receipt's money returned so far (all of
    it on a full return); cumulative, so returns in parts take exactly what was given."""
    rewards = list(Entry.objects.filter(receipt=receipt, kind=EntryKind.AGENT, points__gt=0).select_related("lot", "customer"))
    if not rewards:
        return
    for reward in rewards:
        taken = -(Entry.objects.filter(receipt=receipt, kind=EntryKind.AGENT, points__lt=0, customer=reward.customer)
                  .aggregate(total=Sum("points"))["total"] or 0)
        if fully_returned or receipt.total <= 0:
            due = reward.points
        else:
            due = int((reward.points * receipt.refunded_amount / receipt.total).to_integral_value(rounding=ROUND_FLOOR))
        take = min(due, reward.points) - taken
        if take <= 0:
            continue
        account = account_lock(customer=reward.customer)
        params = reward.description_params or {}
        points_reverse(
            customer=reward.customer, account=account, points=take, kind=EntryKind.AGENT, own_lot=reward.lot, now=refund.at,
            text=message("entry.agent_back", client=params.get("client", ""), number=receipt.number, agent=params.get("agent", "")),
            receipt=receipt, refund=refund,
        )
