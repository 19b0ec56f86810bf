"""The counter screen: find a customer, ring up a sale with points, process a return.

Keyboard first and usable with JavaScript off: every action is a plain GET or POST form; htmx only
adds the live preview of the calculation. Sales, joins and returns go through `idempotent_call`
with the key the form was rendered with, so a double click or a resubmitted form writes once.
"""
from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.errors import ApplicationError, Conflict, ValidationError
from accounts.permissions import COUNTER_ROLES, staff_required
from accounts.phones import phone_display, phone_normalize
from accounts.selectors import customer_get, customer_lookup, store_get, store_list
from loyalty import selectors, services
from loyalty.api.idempotency import idempotent_call
from loyalty.counter_input import (
    LINE_ROWS,
    draft_errors_to_fields,
    receipt_number_generate,
    refund_data_build,
    refund_errors_to_fields,
    sale_data_build,
)
from loyalty.drafts import draft_parse

EXPIRING_SOON_DAYS = 30
RECENT_PURCHASES = 5
SEARCH_MAX_LENGTH = 64


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "message_dict"):
        return exc.message_dict
    return {"general": exc.messages}


def _idempotency_error(exc: Conflict) -> str:
    if exc.code == "idempotency_key_reused":
        return _("This form was already submitted with other figures, so nothing was written. Start again from a fresh form.")
    if exc.code == "idempotency_key_in_progress":
        return _("The same form is still being processed. Wait a moment and reload.")
    return exc.message


def _store_for(merchant):
    """The store counter sales are recorded in: `main`, else the first active store."""
    store = store_get(merchant=merchant, code="main")
    if store is None or not store.is_active:
        store = store_list(merchant=merchant).filter(is_active=True).first() or store
    return store


def _customer_or_404(request, customer_id):
    customer = customer_get(merchant=request.merchant, customer_id=customer_id)
    if customer is None:
        raise Http404
    return customer


def _panel(merchant, customer) -> dict:
    """What the customer panel shows: balance, pending, points expiring soon, last purchases."""
    today = timezone.now().astimezone(ZoneInfo(merchant.timezone)).date()
    horizon = (today + timedelta(days=EXPIRING_SOON_DAYS)).isoformat()
    expiring = [item for item in selectors.expiring_get(merchant=merchant, customer=customer) if item["on"] <= horizon]
    return {
        "customer": customer,
        "phone": phone_display(customer.phone),
        "balance": selectors.balance_get(merchant=merchant, customer=customer),
        "expiring": expiring,
        "expiring_days": EXPIRING_SOON_DAYS,
        "recent": list(selectors.receipt_list(merchant=merchant, customer=customer)[:RECENT_PURCHASES]),
        "tier": selectors.customer_tier_get(merchant=merchant, customer=customer),
        "program": selectors.program_get(merchant=merchant),
    }


def _sale_context(request, customer, *, post=None, errors=None, preview=None, preview_error="") -> dict:
    post = post or {}
    rows = [
        {"index": i, "item": post.get(f"item_{i}", ""), "qty": post.get(f"qty_{i}", ""), "price": post.get(f"price_{i}", "")}
        for i in range(LINE_ROWS)
    ]
    errors = errors or {}
    for row in rows:
        row["errors"] = {name: errors.get(f"{name}_{row['index']}", []) for name in ("item", "qty", "price")}
    lines_open = any(row["price"] or row["item"] for row in rows)
    return {
        **_panel(request.merchant, customer),
        "merchant": request.merchant,
        "rows": rows,
        "lines_open": lines_open,
        "values": {"amount": post.get("amount", ""), "redeem": post.get("redeem", "")},
        "errors": errors,
        "idempotency_key": post.get("idempotency_key") or str(uuid.uuid4()),
        "preview": preview,
        "preview_error": preview_error,
    }


@require_GET
@staff_required(*COUNTER_ROLES)
def counter_home(request):
    """Search: a phone in any format, a card number (typed or scanned from the QR), a referral code."""
    q = (request.GET.get("q") or "").strip()[:SEARCH_MAX_LENGTH]
    context = {"q": q, "searched": bool(q), "join_phone": None, "join_key": str(uuid.uuid4())}
    if q:
        customer = customer_lookup(merchant=request.merchant, q=q)
        if customer is not None:
            return redirect("counter:customer", customer_id=customer.pk)
        phone = phone_normalize(raw=q, region=request.merchant.country)
        if phone is not None:
            context["join_phone"] = phone
            context["join_phone_display"] = phone_display(phone)
    return render(request, "counter/home.html", context, status=200)


@require_POST
@staff_required(*COUNTER_ROLES)
def counter_join(request):
    """Register the customer the search did not find, with the phone typed, in one step."""
    merchant = request.merchant
    phone = phone_normalize(raw=request.POST.get("phone", ""), region=merchant.country)
    name = (request.POST.get("name") or "").strip()[:200]
    key = (request.POST.get("idempotency_key") or "").strip()
    error = ""
    if phone is None:
        error = _("Enter a valid phone number.")
    elif not key:
        error = _("The form has expired. Search again.")
    if not error:
        data = {"phone": phone, "name": name}

        def run():
            customer = services.customer_join(merchant=merchant, phone=phone, name=name, store=_store_for(merchant))
            return 201, {"customer": str(customer.pk)}

        try:
            _status, body, _replayed = idempotent_call(merchant=merchant, key=key, endpoint="counter.join", data=data, run=run)
            return redirect("counter:customer", customer_id=body["customer"])
        except Conflict as exc:
            if exc.code == "customer_exists":
                existing = customer_lookup(merchant=merchant, q=phone)
                if existing is not None:
                    return redirect("counter:customer", customer_id=existing.pk)
            error = _idempotency_error(exc)
        except ValidationError as exc:
            error = " ".join(message for messages in _messages(exc).values() for message in messages)
        except ApplicationError as exc:
            error = exc.message
    context = {
        "q": request.POST.get("phone", ""), "searched": True, "join_phone": phone, "join_phone_display": phone_display(phone) if phone else "",
        "join_name": name, "join_key": key or str(uuid.uuid4()), "join_error": error,
    }
    return render(request, "counter/home.html", context, status=422)


@require_GET
@staff_required(*COUNTER_ROLES)
def counter_customer(request, customer_id):
    customer = _customer_or_404(request, customer_id)
    return render(request, "counter/customer.html", _sale_context(request, customer))


@require_POST
@staff_required(*COUNTER_ROLES)
def counter_sale(request, customer_id):
    """Preview (htmx as the cashier types, or the Preview button) or commit a sale.

    The commit is keyed by the form's idempotency key: the same form posted twice commits once
    and both responses lead to the same receipt.
    """
    merchant = request.merchant
    customer = _customer_or_404(request, customer_id)
    data, rows, errors = sale_data_build(request.POST)
    draft = None
    if not errors:
        try:
            draft = draft_parse(data, currency=merchant.currency)
        except ValidationError as exc:
            errors = draft_errors_to_fields(_messages(exc), rows)
    previewing = request.htmx or request.POST.get("action") == "preview"

    if previewing:
        preview, preview_error = None, ""
        if draft is not None:
            try:
                preview = services.receipt_calculate(merchant=merchant, customer=customer, draft=draft, language=get_language())
            except ApplicationError as exc:
                preview_error = exc.message
        if request.htmx:
            # While typing, an empty form is not an error yet.
            blank = not data["lines"] and not any(request.POST.get(f"item_{i}") for i in range(LINE_ROWS))
            return render(request, "counter/partials/_preview.html", {
                "preview": preview, "preview_error": preview_error, "errors": {} if blank else errors,
                "merchant": merchant, "blank": blank, "list_errors": True,
            })
        context = _sale_context(request, customer, post=request.POST, errors=errors, preview=preview, preview_error=preview_error)
        return render(request, "counter/customer.html", context, status=200 if not errors else 422)

    key = (request.POST.get("idempotency_key") or "").strip()
    if draft is not None and not key:
        errors = {"general": [_("The form has expired. Open the customer again.")]}
    if errors:
        return render(request, "counter/customer.html", _sale_context(request, customer, post=request.POST, errors=errors), status=422)

    store = _store_for(merchant)

    def run():
        for _attempt in range(3):
            number = receipt_number_generate(store_code=store.code, timezone_name=merchant.timezone, now=timezone.now())
            try:
                receipt, _calc = services.receipt_commit(
                    merchant=merchant, store=store, customer=customer, draft=draft, number=number, cashier=request.user,
                    language=get_language(),
                )
            except Conflict as exc:
                if exc.code == "receipt_exists":
                    continue
                raise
            return 201, {"receipt": str(receipt.pk)}
        raise ApplicationError("receipt_number_taken", _("Could not allocate a receipt number. Try again."))

    key_spent = False
    try:
        _status, body, _replayed = idempotent_call(
            merchant=merchant, key=key, endpoint=f"counter.sale:{customer.pk}", data=data, run=run
        )
    except Conflict as exc:
        errors = {"general": [_idempotency_error(exc)]}
        key_spent = exc.code == "idempotency_key_reused"
    except ValidationError as exc:
        errors = draft_errors_to_fields(_messages(exc), rows)
    except ApplicationError as exc:
        errors = {"redeem" if exc.code in ("insufficient_points", "redeem_over_cap") else "general": [exc.message]}
    if errors:
        context = _sale_context(request, customer, post=request.POST, errors=errors)
        if key_spent:
            # That key already committed another sale; a fresh one lets these figures go through.
            context["idempotency_key"] = str(uuid.uuid4())
        return render(request, "counter/customer.html", context, status=422)
    return redirect(reverse("counter:receipt", kwargs={"receipt_id": body["receipt"]}) + "?done=sale")


def _receipt_or_404(request, receipt_id):
    receipt = selectors.receipt_get(merchant=request.merchant, receipt_id=receipt_id)
    if receipt is None:
        raise Http404
    return receipt


@require_GET
@staff_required(*COUNTER_ROLES)
def counter_receipt(request, receipt_id):
    """A receipt: the result of a sale or a return, with the customer's balance now."""
    receipt = _receipt_or_404(request, receipt_id)
    context = {"receipt": receipt, "lines": list(receipt.lines.all()), "done": request.GET.get("done", ""), "merchant": request.merchant}
    if receipt.customer is not None:
        context.update(_panel(request.merchant, receipt.customer))
    refunds = list(receipt.refunds.order_by("-at"))
    context["refunds"] = refunds
    context["last_refund"] = next((r for r in refunds if str(r.pk) == request.GET.get("refund")), None)
    return render(request, "counter/receipt.html", context)


@require_GET
@staff_required(*COUNTER_ROLES)
def counter_returns(request):
    """Find the receipt to return by its number."""
    number = (request.GET.get("number") or "").strip()[:SEARCH_MAX_LENGTH]
    receipts = []
    if number:
        receipts = list(selectors.receipt_find_by_number(merchant=request.merchant, number=number)[:20])
        if len(receipts) == 1:
            return redirect("counter:return", receipt_id=receipts[0].pk)
    return render(request, "counter/returns.html", {"number": number, "receipts": receipts, "searched": bool(number)})


def _return_context(request, receipt, *, post=None, errors=None) -> dict:
    post = post or {}
    errors = errors or {}
    lines = []
    for line in receipt.lines.all():
        left = line.quantity - line.returned_quantity
        lines.append({"line": line, "left": left, "value": post.get(f"qty_{line.pk}", ""), "errors": errors.get(f"qty_{line.pk}", [])})
    return {
        "receipt": receipt,
        "lines": lines,
        "errors": errors,
        "merchant": request.merchant,
        "idempotency_key": post.get("idempotency_key") or str(uuid.uuid4()),
        "nothing_left": all(item["left"] <= 0 for item in lines),
    }


@staff_required(*COUNTER_ROLES)
def counter_return(request, receipt_id):
    """Choose lines and quantities (or everything left) and return them through receipt_refund."""
    receipt = _receipt_or_404(request, receipt_id)
    if request.method == "GET":
        return render(request, "counter/return.html", _return_context(request, receipt))
    if request.method != "POST":
        return render(request, "counter/return.html", _return_context(request, receipt), status=405)
    lines = list(receipt.lines.all())
    data, rows, errors = refund_data_build(request.POST, lines=lines)
    key = (request.POST.get("idempotency_key") or "").strip()
    if data is not None and not key:
        errors = {"general": [_("The form has expired. Open the receipt again.")]}
    if not errors:
        def run():
            refund = services.receipt_refund(receipt=receipt, data=data, cashier=request.user)
            return 200, {"refund": str(refund.pk)}

        try:
            _status, body, _replayed = idempotent_call(
                merchant=request.merchant, key=key, endpoint=f"counter.refund:{receipt.pk}", data=data, run=run
            )
            url = reverse("counter:receipt", kwargs={"receipt_id": receipt.pk})
            return redirect(f"{url}?done=return&refund={body['refund']}")
        except Conflict as exc:
            errors = {"general": [_idempotency_error(exc)]}
        except ValidationError as exc:
            errors = refund_errors_to_fields(_messages(exc), rows)
        except ApplicationError as exc:
            errors = {"general": [exc.message]}
    receipt = _receipt_or_404(request, receipt_id)
    return render(request, "counter/return.html", _return_context(request, receipt, post=request.POST, errors=errors), status=422)
