"""Joining the program: the customer, their points account and the welcome bonus, in one transaction."""
from django.db import transaction
from django.utils import timezone

from accounts.errors import ApplicationError, Conflict
from accounts.models import Customer, LoginCode, Merchant, Store
from accounts.portal_auth import email_taken
from accounts.services import customer_create
from loyalty.extensions import JoinRecord, JoinRequest, join_extensions
from loyalty.models import EntryKind, PointsAccount
from loyalty.services import webhooks
from loyalty.services.ledger import points_credit
from loyalty.services.tiers import tier_base
from loyalty.texts import message


@transaction.atomic
def customer_join(*, merchant: Merchant, phone: str, store: Store | None = None, at=None, **profile) -> Customer:
    """Register a customer and credit the program's welcome bonus, available at once.

    Registered join extensions (loyalty.extensions.join_register) check the request before anything
    is written, may offer a different welcome bonus (the largest offered wins) and write their own
    rewards afterwards, all in this transaction.

    Raises:
        ValidationError: bad phone or unknown referral code.
        Conflict: customer_exists.
        ApplicationError: what a join extension's check refuses (e.g. referral_code_unknown).
    """
    at = at or timezone.now()
    extensions = join_extensions()
    request = JoinRequest(merchant=merchant, phone=phone, profile=profile, store=store, at=at)
    states = {ext.name: ext.check(request) if ext.check is not None else None for ext in extensions}
    customer = customer_create(merchant=merchant, phone=phone, store=store, created_at=at, **profile)
    base = tier_base(merchant=merchant)
    account = PointsAccount.objects.create(customer=customer, merchant=merchant, tier=base, tier_since=at if base else None)
    program = merchant.program
    records = [(ext, JoinRecord(merchant=merchant, customer=customer, account=account, store=store, at=at, state=states[ext.name]))
               for ext in extensions]
    offered = [points for ext, record in records if ext.welcome is not None for points in [ext.welcome(record)] if points is not None]
    welcome = max(offered) if offered else program.welcome_bonus
    if welcome > 0:
        points_credit(
            customer=customer, account=account, kind=EntryKind.WELCOME, points=welcome,
            text=message("entry.welcome"), at=at, ttl_days=program.welcome_bonus_ttl_days,
        )
    for ext, record in records:
        if ext.after is not None:
            ext.after(record)
    webhooks.event_emit(merchant=merchant, name="customer.created", payload=lambda: webhooks.customer_payload(customer))
    return customer


def customer_join_from_code(*, merchant: Merchant, login_code: LoginCode) -> Customer:
    """The customer a spent portal join code asked for: created now, with the welcome bonus.

    The code proved the phone. The email was only typed: if another member already uses it, the
    customer is created without it (they can add one in their profile), so joining cannot be used
    to learn whose email it is. If the phone joined meanwhile (at the counter, in another tab), its
    owner has just proved it and signs in to that account.
    """
    data = login_code.join_data or {}
    email = data.get("email", "")
    if email and email_taken(merchant=merchant, email=email):
        email = ""
    profile = dict(
        merchant=merchant, phone=data["phone"], name=data.get("name", ""), email=email,
        consent_email=bool(data.get("consent_email")), consent_sms=bool(data.get("consent_sms")),
        language=data.get("language", ""),
    )
    invited = {key: data[key] for key in ("referral_code", "invite") if data.get(key)}
    try:
        try:
            return customer_join(**profile, **invited)
        except ApplicationError as exc:
            # The code was proved; a referral code or invite link that no longer holds (a link switched off
            # meanwhile, the referrer's own email) must not stop the joining: join without it.
            if not invited or isinstance(exc, Conflict):
                raise
            return customer_join(**profile)
    except Conflict:
        return Customer.objects.get(merchant=merchant, phone=data["phone"])


def customer_messages_create_many(*, merchant_id: int, messages: list[tuple], at=None) -> int:
    """Put messages in customers' portal inboxes in one insert (campaigns, triggers): `messages` holds
    (customer id, title, body) tuples. Call inside the transaction that records the sending."""
    from django.utils import timezone as _tz

    from loyalty.models import CustomerMessage

    at = at or _tz.now()
    CustomerMessage.objects.bulk_create([
        CustomerMessage(merchant_id=merchant_id, customer_id=customer_id, title=title[:200], body=body, at=at)
        for customer_id, title, body in messages], batch_size=1000)
    return len(messages)
