"""The counter screen: find a customer, ring up a sale with points, process a return.

Keyboard first and usable with JavaScript off: every action is a plain GET or POST form; htmx only
adds the live preview of the calculation. Sales, joins and returns go through `idempotent_call`
with the key the form was rendered with, so a double click or a resubmitted form writes once.
"""
from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.errors import ApplicationError, Conflict, ValidationError
from accounts.permissions import COUNTER_ROLES, staff_required
from accounts.phones import phone_display, phone_normalize
from accounts.selectors import customer_get, customer_lookup, customer_search, store_get, store_list
from loyalty import selectors, services
from loyalty.services.idempotency import idempotent_call
from loyalty.counter.forms import (
    LINE_ROWS,
    draft_errors_to_fields,
    promo_code_refusal,
    promo_code_statuses,
    receipt_number_generate,
    refund_data_build,
    refund_errors_to_fields,
    refund_excess_errors,
    sale_data_build,
)
from loyalty.counter.stores import counter_store_choices, counter_store_get, counter_store_remember
from loyalty.drafts import draft_parse
from loyalty.money import money_quantize
from loyalty.templatetags.ui import money

EXPIRING_SOON_DAYS = 30
RECENT_PURCHASES = 5
SEARCH_MAX_LENGTH = 64
NAME_MATCHES_SHOWN = 10


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


def _sale_context(request, customer, *, post=None, errors=None, preview=None, preview_error="", confirm=None) -> dict:
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
        "values": {"amount": post.get("amount", ""), "redeem": post.get("redeem", ""), "promo_codes": post.get("promo_codes", "")},
        "errors": errors,
        "idempotency_key": post.get("idempotency_key") or str(uuid.uuid4()),
        "preview": preview,
        "preview_error": preview_error,
        "code_statuses": promo_code_statuses(preview),
        "confirm": confirm,
        **counter_store_choices(request),
    }


def _sale_error(exc: ApplicationError, *, merchant, draft) -> str:
    """The refusal as the cashier reads it: a receipt over the limit with both amounts in money format."""
    limit = merchant.program.max_receipt_amount
    if exc.code == "receipt_over_limit" and draft is not None and limit is not None:
        subtotal = sum((money_quantize(line.quantity * line.price, merchant.currency) for line in draft.lines), Decimal(0))
        return _("This sale comes to %(subtotal)s, more than the largest receipt the program accepts (%(limit)s).") % {
            "subtotal": money(subtotal, merchant), "limit": money(limit, merchant)}
    return exc.message


@require_GET
@staff_required(*COUNTER_ROLES)
def counter_home(request):
    """Search: a phone in any format, a card number (typed or scanned from the QR), a referral code,
    or part of a name or email (a list to choose from)."""
    q = (request.GET.get("q") or "").strip()[:SEARCH_MAX_LENGTH]
    context = {"q": q, "searched": bool(q), "join_phone": None, "join_key": str(uuid.uuid4()), "matches": []}
    if q:
        customer = customer_lookup(merchant=request.merchant, q=q)
        if customer is not None:
            return redirect("counter:customer", customer_id=customer.pk)
        phone = phone_normalize(raw=q, region=request.merchant.country)
        if phone is not None:
            context["join_phone"] = phone
            context["join_phone_display"] = phone_display(phone)
        elif any(ch.isalpha() for ch in q):
            matches = list(customer_search(merchant=request.merchant, q=q)[: NAME_MATCHES_SHOWN + 1])
            context["matches"] = [{"customer": c, "phone": phone_display(c.phone)} for c in matches[:NAME_MATCHES_SHOWN]]
            context["more_matches"] = len(matches) > NAME_MATCHES_SHOWN
    return render(request, "counter/home.html", context, status=200)


@require_POST
@staff_required(*COUNTER_ROLES)
def counter_join(request):
    """Register the customer the search did not find, with the phone typed, in one step."""
    merchant = request.merchant
    phone = phone_normalize(raw=request.POST.get("phone", ""), region=merchant.country)
    name = (request.POST.get("name") or "").strip()[:200]
    referral_code = (request.POST.get("referral_code") or "").strip()[:8]
    key = (request.POST.get("idempotency_key") or "").strip()
    error = ""
    if phone is None:
        error = _("Enter a valid phone number.")
    elif not key:
        error = _("The form has expired. Search again.")
    if not error:
        data = {"phone": phone, "name": name, "referral_code": referral_code}

        def run():
            customer = services.customer_join(merchant=merchant, phone=phone, name=name, referral_code=referral_code,
                                              store=counter_store_get(request))
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
        "join_name": name, "join_referral_code": referral_code, "join_key": key or str(uuid.uuid4()), "join_error": error,
    }
    return render(request, "counter/home.html", context, status=422)


@require_POST
@staff_required(*COUNTER_ROLES)
def counter_store(request):
    """Choose the store this till's sales go to, for the rest of the session, then go back."""
    code = (request.POST.get("store") or "").strip()[:50]
    store = store_get(merchant=request.merchant, code=code) if code else None
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("counter:home")
    if store is None or not store.is_active:
        return render(request, "counter/store.html", {**counter_store_choices(request), "next": back,
                      "error": _("Choose one of the active stores.")}, status=422)
    counter_store_remember(request, store)
    return redirect(back)


@require_GET
@staff_required(*COUNTER_ROLES)
def counter_customer(request, customer_id):
    customer = _customer_or_404(request, customer_id)
    return render(request, "counter/customer.html", _sale_context(request, customer))


@staff_required(*COUNTER_ROLES)
def counter_profile(request, customer_id):
    """A small form to correct the customer's profile at the counter (phone, name, birthday, consents); audited."""
    from accounts.services import customer_edit
    from loyalty.office.forms import CustomerEditForm

    customer = _customer_or_404(request, customer_id)
    if request.method not in ("GET", "POST"):
        return redirect("counter:profile", customer_id=customer.pk)
    form = CustomerEditForm.for_customer(customer, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            customer_edit(customer=customer, actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            for field, errors in _messages(exc).items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("counter:customer", customer_id=customer.pk)
    context = {**_panel(request.merchant, customer), "merchant": request.merchant, "form": form}
    return render(request, "counter/profile.html", context, status=400 if form.errors else 200)


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
                preview = services.receipt_calculate(merchant=merchant, customer=customer, draft=draft, language=get_language(),
                                                     store=counter_store_get(request))
            except ApplicationError as exc:
                preview_error = _sale_error(exc, merchant=merchant, draft=draft)
        if request.htmx:
            # While typing, an empty form is not an error yet.
            blank = not data["lines"] and not any(request.POST.get(f"item_{i}") for i in range(LINE_ROWS))
            return render(request, "counter/partials/_preview.html", {
                "preview": preview, "preview_error": preview_error, "errors": {} if blank else errors,
                "merchant": merchant, "blank": blank, "list_errors": True, "program": merchant.program,
                "code_statuses": promo_code_statuses(preview),
            })
        context = _sale_context(request, customer, post=request.POST, errors=errors, preview=preview, preview_error=preview_error)
        return render(request, "counter/customer.html", context, status=200 if not errors else 422)

    key = (request.POST.get("idempotency_key") or "").strip()
    if draft is not None and not key:
        errors = {"general": [_("The form has expired. Open the customer again.")]}
    if errors:
        return render(request, "counter/customer.html", _sale_context(request, customer, post=request.POST, errors=errors), status=422)

    threshold = merchant.program.counter_confirm_amount
    if threshold is not None:
        # A sale above the merchant's threshold is committed only from the confirmation, and only
        # for the subtotal that was confirmed: changing the figures asks again.
        try:
            preview = services.receipt_calculate(merchant=merchant, customer=customer, draft=draft, store=counter_store_get(request))
        except ApplicationError:
            preview = None  # the commit below refuses it with the same message
        if preview is not None and preview.subtotal > threshold:
            confirmed = request.POST.get("action") == "confirm" and request.POST.get("confirm_amount") == str(preview.subtotal)
            if not confirmed:
                # The amount goes back as plain text: a localized "1 000,00" would never match.
                confirm = {"subtotal": preview.subtotal, "threshold": threshold, "value": str(preview.subtotal)}
                context = _sale_context(request, customer, post=request.POST, preview=preview, confirm=confirm)
                return render(request, "counter/customer.html", context)

    store = counter_store_get(request)

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
            applied_codes = [item["code"] for item in promo_code_statuses(_calc) if item["applied"]]
            return 201, {"receipt": str(receipt.pk), "promo_codes": applied_codes}
        raise ApplicationError("receipt_number_taken", _("Could not allocate a receipt number. Try again."))

    key_spent = False
    refused_preview = None
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
        refusal = promo_code_refusal(exc.code)
        if refusal is not None:
            # A rejected code never prices silently: nothing was written, the cashier reads why.
            errors = {"promo_codes": [_("Not committed: %(reason)s Remove the code or correct it.") % {"reason": refusal}]}
            try:  # the preview beside it says which code and why
                refused_preview = services.receipt_calculate(merchant=merchant, customer=customer, draft=draft, language=get_language(),
                                                             store=store)
            except ApplicationError:
                refused_preview = None
        else:
            errors = {"redeem" if exc.code in ("insufficient_points", "redeem_over_cap") else "general": [_sale_error(exc, merchant=merchant, draft=draft)]}
    if errors:
        context = _sale_context(request, customer, post=request.POST, errors=errors, preview=refused_preview)
        if key_spent:
            # That key already committed another sale; a fresh one lets these figures go through.
            context["idempotency_key"] = str(uuid.uuid4())
        return render(request, "counter/customer.html", context, status=422)
    for code in body.get("promo_codes") or ():
        messages.success(request, _("Promo code %(code)s applied.") % {"code": code})
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
    excess = False
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
            excess = exc.code == "refund_exceeds_purchase"
    receipt = _receipt_or_404(request, receipt_id)
    if excess:
        errors = refund_excess_errors(request.POST, lines=list(receipt.lines.all())) or errors
    return render(request, "counter/return.html", _return_context(request, receipt, post=request.POST, errors=errors), status=422)
