"""Receipts: price, commit exactly once, refund. All pricing goes through loyalty.checkout."""
from __future__ import annotations

from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ApplicationError, Conflict, ValidationError
from accounts.models import Customer, Merchant, Store, User
from loyalty.checkout import Calculation, CheckoutContext, Draft, ProgramRules, calculate
from loyalty.extensions import AccountHolder, CommitRecord, account_holder_get, RefundRecord, after_commit_run, after_refund_run, checkout_extras_load
from loyalty.drafts import _decimal_field, unknown_keys_check
from loyalty.models import Entry, EntryKind, Lot, PointsAccount, Program, Receipt, ReceiptLine, Refund, RefundLine
from loyalty.money import money_quantize
from loyalty.selectors import Balance, balance_get
from loyalty.services import webhooks
from loyalty.services.ledger import (account_lock, balance_journal, entries_write, live_lots_read, points_credit, points_debit,
                                     points_take_back, spendable_points)
from loyalty.services.tiers import tier_rules, tier_upgrade_after_commit
from loyalty.templatetags.ui import quantity_format
from loyalty.texts import applied_store, masked_name, message, message_render

ZERO = Decimal("0")


def checkout_context_build(*, merchant: Merchant, program: Program, customer: Customer | None, account: PointsAccount | None,
                           now: datetime, spendable: int | None = None, language: str | None = None,
                           holder: AccountHolder | None = None, holder_account: PointsAccount | None = None) -> CheckoutContext:
    """Gather what the pure calculation needs. Later mechanics add their state to `extras`.

    `account` is the customer's own (their tier); the points and refund debt are those of `holder`'s
    account (`holder_account`), which is the customer's own unless they share another's (a family).
    `language` is the reader's (a screen passes its own); the API reads in the merchant's language.
    """
    ledger_account = holder_account if holder is not None and holder.shared_by(customer) else account
    debt = ledger_account.debt if ledger_account is not None else 0
    if customer is not None and spendable is None:
        spendable = spendable_points(customer=holder.customer if holder is not None else customer, now=now)
    return CheckoutContext(
        currency=merchant.currency,
        language=language or merchant.language,
        program=ProgramRules(
            accrual_percent=program.accrual_percent,
            max_redeem_percent=program.max_redeem_percent,
            point_value=program.point_value,
            max_receipt_amount=program.max_receipt_amount,
        ),
        has_customer=customer is not None,
        spendable_points=(spendable - debt) if customer is not None else 0,
        debt=debt,
        tier=tier_rules(account.effective_tier if account is not None else None),
        may_redeem=holder.may_redeem if holder is not None else True,
    )


def receipt_calculate(*, merchant: Merchant, customer: Customer | None, draft: Draft, now: datetime | None = None,
                      language: str | None = None, store: Store | None = None) -> Calculation:
    """Price a draft without writing anything; explanations and errors in `language` (default the merchant's).

    Raises:
        ApplicationError: insufficient_points, redeem_over_cap, customer_required, receipt_over_limit.
    """
    now = now or timezone.now()
    program = merchant.program
    account = holder = holder_account = None
    if customer is not None:
        account = PointsAccount.objects.filter(customer=customer).select_related("tier", "override_tier").first()
        holder = account_holder_get(customer)
        if holder.shared_by(customer):
            holder_account = PointsAccount.objects.filter(customer=holder.customer).first()
    ctx = checkout_context_build(merchant=merchant, program=program, customer=customer, account=account, now=now, language=language,
                                 holder=holder, holder_account=holder_account)
    checkout_extras_load(ctx, merchant=merchant, customer=customer, draft=draft, store=store, for_commit=False, account=account)
    return calculate(draft, ctx)


def receipt_commit(
    *,
    merchant: Merchant,
    store: Store,
    customer: Customer | None,
    draft: Draft,
    number: str,
    cashier: User | None = None,
    now: datetime | None = None,
    language: str | None = None,
    savepoint: bool = True,
) -> tuple[Receipt, Calculation]:
    """Price the draft under the customer's lock and write the receipt, its lines and the ledger.

    `savepoint=False` is for a caller whose own transaction ends with this call (the POS API inside
    `idempotent_call`): any error rolls that whole transaction back, so the two statements of a
    savepoint are saved. A caller that catches an error and goes on in its transaction (the counter
    retries a taken number) keeps the default.

    Errors and the returned calculation's explanations are in `language` (default the merchant's);
    the receipt stores its explanations in the merchant's language with the codes to render them in any.

    The calculation is repeated under the lock, so two tills redeeming from one account at once
    cannot both spend the same points: the second sees the balance the first left.

    The returned receipt carries `balance` (loyalty.selectors.Balance): the customer's recorded balance
    right after the commit, as `balance_get` would read it (None without a customer).

    Raises:
        ValidationError: a bad receipt number.
        Conflict: receipt_exists (this number was already committed in this store).
        ApplicationError: insufficient_points, redeem_over_cap, customer_required, receipt_over_limit.
    """
    number = (number or "").strip() if isinstance(number, str) else ""
    if not number or len(number) > 64:
        raise ValidationError({"number": [_("Send the POS receipt number, up to 64 characters.")]})
    now = now or timezone.now()
    try:
        with transaction.atomic(savepoint=savepoint):
            return _receipt_write(merchant=merchant, store=store, customer=customer, draft=draft, number=number, cashier=cashier, now=now,
                                  language=language)
    except IntegrityError as exc:
        if "receipt_number_unique_per_store" in str(exc) or "loyalty_receipt.number" in str(exc):
            raise Conflict("receipt_exists", _("Receipt %(number)s was already committed in this store.") % {"number": number})
        raise


def receipt_ledger_customer(*, receipt: Receipt) -> Customer | None:
    """Whose account a committed receipt's purchase points went to or were spent from; None if neither."""
    holder_id = (
        Entry.objects.filter(receipt=receipt, kind__in=(EntryKind.ACCRUAL, EntryKind.REDEMPTION)).values_list("customer_id", flat=True).first()
    )
    if holder_id is None:
        return None
    if holder_id == receipt.customer_id:
        return receipt.customer
    return Customer.objects.get(pk=holder_id)


def _entry_text(code: str, merchant: Merchant, **params) -> dict:
    """An entry's text: its message, and its words in the merchant's language (what older readers and
    the API read)."""
    text = message(code, **params)
    return {"text": text, "description": message_render(text, language=merchant.language)}


def _receipt_write(*, merchant, store, customer, draft, number, cashier, now, language=None) -> tuple[Receipt, Calculation]:
    with balance_journal() as journal:
        receipt, calc, live, debt, holder_customer = _receipt_write_journaled(merchant=merchant, store=store, customer=customer, draft=draft, number=number,
                                                            cashier=cashier, now=now, language=language)
    receipt.balance = None
    if customer is not None:
        # The new balance from what the commit knows (the lots read under the lock and every ledger
        # write since), not re-read; a write the journal cannot follow falls back to the read.
        # In a shared (family) account the points and their journal are the holder's.
        change = journal.of(holder_customer.pk)
        if change["unknown"]:
            receipt.balance = balance_get(merchant=merchant, customer=customer)
        else:
            debt_after = debt + change["debt"]
            receipt.balance = Balance(available=live.active - debt + change["available"], pending=live.pending + change["pending"],
                                      debt=debt_after)
    return receipt, calc


def _receipt_write_journaled(*, merchant, store, customer, draft, number, cashier, now, language=None):
    account = holder = holder_account = None
    lots = None
    live = None
    debt = 0
    if customer is not None:
        # The customer's own account first (their tier; it serialises their receipts and a change of
        # holder), then the account the points are in when it is another's (a family's): always in
        # that order, so two members of one family committing at once cannot deadlock.
        account = account_lock(customer=customer)
        holder = account_holder_get(customer)
        holder_account = account_lock(customer=holder.customer) if holder.shared_by(customer) else account
        debt = holder_account.debt
        live = live_lots_read(customer=holder.customer, now=now)
        lots = live.spendable
    # A number already used in this store is caught by the unique constraint (receipt_commit turns
    # it into 409 receipt_exists): no read before the insert, and no race between two tills.
    program = merchant.program
    ctx = checkout_context_build(merchant=merchant, program=program, customer=customer, account=account, now=now,
                                 spendable=sum(lot.remaining for lot in lots) if lots is not None else None, language=language,
                                 holder=holder, holder_account=holder_account)
    checkout_extras_load(ctx, merchant=merchant, customer=customer, draft=draft, store=store, for_commit=True, account=account)
    calc = calculate(draft, ctx)
    receipt = Receipt.objects.create(
        merchant=merchant,
        store=store,
        customer=customer,
        number=number,
        purchased_at=draft.purchased_at,
        created_at=now,
        cashier=cashier,
        subtotal=calc.subtotal,
        discount=calc.discount,
        redeemed_points=calc.redeemed_points,
        redeemed_amount=calc.redeemed_amount,
        total=calc.total,
        accrued_points=calc.accrued_points,
        applied=applied_store(calc.applied, language=merchant.language),
    )
    ReceiptLine.objects.bulk_create(
        [
            ReceiptLine(
                receipt=receipt,
                merchant=merchant,
                position=line.position,
                sku=line.sku,
                name=line.name,
                category=line.category,
                quantity=line.quantity,
                price=line.price,
                amount=line.amount,
                discount=line.discount,
                redeemed_points=line.redeemed_points,
                redeemed_amount=line.redeemed_amount,
                total=line.total,
                accrued_points=line.accrued_points,
            )
            for line in calc.lines
        ]
    )
    if customer is not None:
        # In a shared account each entry names the member whose receipt it is.
        shared = holder.shared_by(customer)
        by = {"member": masked_name(customer)} if shared else {}
        entries: list[Entry] = []  # the redemption and accrual entries, written in one INSERT
        if calc.redeemed_points:
            points_debit(
                customer=holder.customer, points=calc.redeemed_points, kind=EntryKind.REDEMPTION,
                **_entry_text("entry.redemption_by" if shared else "entry.redemption", merchant, number=number, **by),
                now=now, at=draft.purchased_at, receipt=receipt, lots=lots, entries=entries,
            )
        if calc.accrued_points:
            points_credit(
                customer=holder.customer, account=holder_account, kind=EntryKind.ACCRUAL, points=calc.accrued_points,
                **_entry_text("entry.accrual_by" if shared else "entry.accrual", merchant, number=number, **by),
                at=draft.purchased_at, ttl_days=program.points_ttl_days, pending_days=program.pending_days, receipt=receipt,
                entries=entries,
            )
        entries_write(entries)
        # The crossing receipt is priced at the old tier; the upgrade applies from the next one.
        # A till whose clock runs a little ahead still counts this receipt.
        tier_upgrade_after_commit(customer=customer, account=account, now=max(now, draft.purchased_at))
    # Other apps' writers (usage counters, codes and gifts closed, offers granted) in this transaction:
    # if one raises, nothing of the receipt is written.
    after_commit_run(CommitRecord(merchant=merchant, customer=customer, receipt=receipt, calculation=calc, context=ctx))
    webhooks.event_emit(merchant=merchant, name="receipt.committed", payload=lambda: webhooks.receipt_payload(receipt))
    return receipt, calc, live, debt, (holder.customer if holder is not None else None)


def _share(total, returned_before: Decimal, returned_now: Decimal, quantity: Decimal, *, whole: bool, currency: str = ""):
    """What a return of `returned_now` more units takes of a line figure, cumulatively rounded.

    Computing the cumulative share and subtracting what earlier returns took means the last
    return of a line takes exactly what remains, so a receipt never loses or gains a point or cent.
    """
    def cumulative(units: Decimal):
        if units >= quantity:
            return total
        exact = total * units / quantity
        if whole:
            return int(exact.to_integral_value(rounding=ROUND_FLOOR))
        return money_quantize(exact, currency)

    return cumulative(returned_before + returned_now) - cumulative(returned_before)


def refund_lines_parse(data, *, lines: list[ReceiptLine]) -> dict[int, Decimal]:
    """Map a refund body to {line id: quantity}. `{}` or no `lines` returns everything not yet returned.

    Raises:
        ValidationError: malformed body or unknown sku.
        ApplicationError: refund_exceeds_purchase, nothing_to_refund.
    """
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    unknown: dict = {}
    unknown_keys_check(data, ("lines",), errors=unknown)
    if unknown:
        # A misspelt key ({"line": [...]}) must never read as {} and return the whole receipt.
        raise ValidationError(unknown)
    raw = data.get("lines")
    wanted: dict[int, Decimal] = {}
    if raw is None:
        for line in lines:
            left = line.quantity - line.returned_quantity
            if left > 0:
                wanted[line.pk] = left
        if not wanted:
            raise ApplicationError("nothing_to_refund", _("Everything on this receipt has already been returned."))
        return wanted
    if not isinstance(raw, list) or not raw or len(raw) > 1000:
        raise ValidationError({"lines": [_("Send a list of lines with sku and quantity, or {} to return everything.")]})
    errors: dict = {}
    requested: dict[str, Decimal] = {}
    for index, item in enumerate(raw):
        key = f"lines[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("sku"), str):
            errors[key] = [_("Each line needs a sku and a quantity.")]
            continue
        unknown_keys_check(item, ("sku", "quantity"), errors=errors, prefix=key)
        quantity = _decimal_field(item.get("quantity"), places=3, allow_zero=False, errors=errors, key=f"{key}.quantity")
        if quantity is None:
            continue
        sku = item["sku"].strip()
        if not any(line.sku == sku for line in lines):
            errors[f"{key}.sku"] = [_("This receipt has no line with sku %(sku)s.") % {"sku": sku[:64]}]
            continue
        requested[sku] = requested.get(sku, Decimal(0)) + quantity
    if errors:
        raise ValidationError(errors)
    for sku, quantity in requested.items():
        left_to_place = quantity
        for line in lines:
            if line.sku != sku or left_to_place <= 0:
                continue
            room = line.quantity - line.returned_quantity
            take = min(room, left_to_place)
            if take > 0:
                wanted[line.pk] = wanted.get(line.pk, Decimal(0)) + take
                left_to_place -= take
        if left_to_place > 0:
            same = [line for line in lines if line.sku == sku]
            bought = sum((line.quantity for line in same), Decimal(0))
            left = sum((line.quantity - line.returned_quantity for line in same), Decimal(0))
            item = next((line.name for line in same if line.name), sku)
            raise ApplicationError(
                "refund_exceeds_purchase",
                _("Cannot return more of “%(item)s” than is left: %(bought)s bought, %(left)s left to return.")
                % {"item": item, "bought": quantity_format(bought), "left": quantity_format(left)},
            )
    return wanted


def _expired_share(*, receipt: Receipt, own_lot: Lot | None, points: int) -> int:
    """How many of `points` to reverse were already taken by the expiry job from the receipt's own
    lot (and not excused by an earlier return): those are not taken from the customer again.
    The lot's remaining points are taken back first, then its expired ones are excused."""
    if own_lot is None or points <= 0:
        return 0
    own_lot.refresh_from_db(fields=["remaining", "expired_points"])
    if not own_lot.expired_points:
        return 0
    taken_before = -(
        Entry.objects.filter(receipt=receipt, kind=EntryKind.REFUND, points__lt=0).aggregate(total=Sum("points"))["total"] or 0
    )
    excused_before = receipt.points_reversed - taken_before
    return max(min(points - own_lot.remaining, own_lot.expired_points - excused_before), 0)


@transaction.atomic
def receipt_refund(*, receipt: Receipt, data: dict, cashier: User | None = None, now: datetime | None = None) -> Refund:
    """Return items: money back for what they cost, points earned on them taken back, points spent
    on them given back (as a new lot with the program's lifetime from the return).

    Raises:
        ValidationError, ApplicationError: see refund_lines_parse; nothing is written.
    """
    now = now or timezone.now()
    merchant = receipt.merchant
    customer = buyer = receipt.customer
    if customer is not None:
        account_lock(customer=customer)
        # The points go back to and come from where the receipt's points are now: the account the
        # receipt used (a family's, even if the member has left it since), or the account that one
        # moved into (the buyer joined a family after the purchase).
        customer = account_holder_get(receipt_ledger_customer(receipt=receipt) or customer).customer
    account = account_lock(customer=customer) if customer is not None else None
    receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
    lines = list(ReceiptLine.objects.filter(receipt=receipt).order_by("position"))
    wanted = refund_lines_parse(data, lines=lines)

    refund = Refund(merchant=merchant, receipt=receipt, at=now, cashier=cashier, refunded_amount=ZERO)
    refund_lines = []
    refunded_cost = ZERO
    for line in lines:
        quantity = wanted.get(line.pk)
        if not quantity:
            continue
        before = line.returned_quantity
        amount = _share(line.total, before, quantity, line.quantity, whole=False, currency=merchant.currency)
        cost = _share(line.amount - line.discount, before, quantity, line.quantity, whole=False, currency=merchant.currency)
        reversed_points = _share(line.accrued_points, before, quantity, line.quantity, whole=True)
        returned_points = _share(line.redeemed_points, before, quantity, line.quantity, whole=True)
        line.returned_quantity = before + quantity
        refund_lines.append(
            RefundLine(line=line, quantity=quantity, amount=amount, cost=cost, points_reversed=reversed_points, points_returned=returned_points)
        )
        refunded_cost += cost
        refund.refunded_amount += amount
        refund.points_reversed += reversed_points
        refund.points_returned += returned_points

    if customer is not None:
        program = merchant.program
        own_lot = Lot.objects.filter(receipt=receipt, source=EntryKind.ACCRUAL).first()
        # Points of this receipt that already expired left the balance through their expiry entry;
        # taking them back again would charge the customer twice (and make debt of unspent points).
        excused = _expired_share(receipt=receipt, own_lot=own_lot, points=refund.points_reversed)
        refund.debt_created = points_take_back(
            customer=customer, account=account, points=refund.points_reversed - excused, own_lot=own_lot, now=now
        )
    refund.save(force_insert=True)
    for item in refund_lines:
        item.refund = refund
    RefundLine.objects.bulk_create(refund_lines)
    ReceiptLine.objects.bulk_update([item.line for item in refund_lines], ["returned_quantity"])

    if customer is not None:
        if refund.points_reversed - excused:
            taken = _entry_text("entry.refund_taken", merchant, number=receipt.number)
            Entry.objects.create(
                merchant=merchant, customer=customer, kind=EntryKind.REFUND, points=-(refund.points_reversed - excused), at=now,
                description=taken["description"], description_code=taken["text"]["code"], description_params=taken["text"]["params"],
                receipt=receipt, refund=refund, staff=cashier,
            )
        if refund.points_returned:
            points_credit(
                customer=customer, account=account, kind=EntryKind.REFUND, points=refund.points_returned,
                **_entry_text("entry.refund_given", merchant, number=receipt.number),
                at=now, ttl_days=program.points_ttl_days, receipt=receipt, refund=refund, staff=cashier,
            )

    receipt.refunded_amount += refund.refunded_amount
    receipt.refunded_cost += refunded_cost
    receipt.points_reversed += refund.points_reversed
    receipt.points_returned += refund.points_returned
    receipt.fully_refunded = all(line.returned_quantity >= line.quantity for line in lines)
    receipt.save(update_fields=["refunded_amount", "refunded_cost", "points_reversed", "points_returned", "fully_refunded"])
    after_refund_run(RefundRecord(merchant=merchant, customer=buyer, receipt=receipt, refund=refund, fully_returned=receipt.fully_refunded))
    webhooks.event_emit(merchant=merchant, name="receipt.refunded", payload=lambda: webhooks.refund_payload(refund))
    return refund
