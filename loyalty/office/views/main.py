"""The back-office for owners and marketers: dashboard, program, customers, receipts, stores,
staff, API keys and the audit log. Views parse input, call one service or selector, and render.
"""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.errors import ApplicationError
from accounts.models import Role
from accounts.permissions import OFFICE_ROLES, staff_required
from loyalty import reports, selectors
from loyalty.office import selectors as office_selectors
from loyalty.office.forms import (
    AdjustForm,
    ApiKeyForm,
    AuditFilterForm,
    CustomerEditForm,
    CustomerFilterForm,
    InviteForm,
    ProgramForm,
    ProgramPageForm,
    ReceiptFilterForm,
    RoleForm,
    StoreForm,
)
from loyalty.pagination import keyset_page
from loyalty.services import points_adjust, program_update

office = staff_required(*OFFICE_ROLES)
owner_only = staff_required(Role.OWNER)



def _apply_errors(form, error: Exception) -> None:
    """Put a service's ValidationError or ApplicationError beside the form's fields."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages_)
    elif isinstance(error, ValidationError):
        form.add_error(None, error.messages)
    elif isinstance(error, ApplicationError):
        field = next(iter(error.fields), None) if error.fields else None
        form.add_error(field if field in form.fields else None, error.message)


def _local_day_start(merchant, day):
    zone = ZoneInfo(merchant.timezone)
    return datetime(day.year, day.month, day.day, tzinfo=zone)


# ---------- Dashboard ----------

@office
@require_GET
def dashboard(request):
    board = reports.dashboard_get(merchant=request.merchant)
    economics = reports.economics_get(merchant=request.merchant)
    tiers = selectors.tier_distribution(merchant=request.merchant)
    return render(request, "office/dashboard.html", {"board": board, "economics": economics, "tiers": tiers, "section": "dashboard"})


# ---------- Program ----------

PROGRAM_FIELDS = ("accrual_percent", "max_redeem_percent", "point_value", "points_ttl_days", "pending_days", "welcome_bonus", "welcome_bonus_ttl_days",
                  "max_receipt_amount", "counter_confirm_amount")


@office
def program_edit(request):
    merchant = request.merchant
    program = selectors.program_get(merchant=merchant)
    if request.method == "POST":
        form = ProgramForm(request.POST)
        if form.is_valid():
            try:
                program_update(merchant=merchant, changes=dict(form.cleaned_data), actor=request.user)
            except (ValidationError, ApplicationError) as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Program settings saved. They apply from the next receipt."))
                return redirect("office:program")
    else:
        form = ProgramForm(initial={name: getattr(program, name) for name in PROGRAM_FIELDS})
    accrual = program.accrual_percent
    if form.is_bound and not form.errors.get("accrual_percent"):
        accrual = form.cleaned_data.get("accrual_percent", accrual) if hasattr(form, "cleaned_data") else accrual
    economics = reports.economics_get(merchant=merchant, accrual_percent=accrual)
    return render(request, "office/program.html", {"form": form, "program": program, "economics": economics, "section": "program"})


@office
@require_GET
def program_economics(request):
    """The economics line for an accrual percent typed but not yet saved (htmx, as the marketer types)."""
    form = ProgramForm(request.GET)
    form.is_valid()
    accrual = form.cleaned_data.get("accrual_percent") if hasattr(form, "cleaned_data") else None
    if accrual is None:
        accrual = selectors.program_get(merchant=request.merchant).accrual_percent
    economics = reports.economics_get(merchant=request.merchant, accrual_percent=accrual)
    return render(request, "office/partials/_economics.html", {"economics": economics})


@office
def program_page_edit(request, kind):
    """The text of the program rules or the privacy policy, as the portal shows it at /my/<slug>/<kind>/."""
    from loyalty.documents import page_default, page_render
    from loyalty.models import ProgramPage
    from loyalty.services.pages import program_page_save

    if kind not in ProgramPage.Kind.values:
        raise Http404
    merchant = request.merchant
    page = selectors.program_page_get(merchant=merchant, kind=kind)
    form = ProgramPageForm(request.POST or None, initial={"body": page.body if page else ""})
    if request.method == "POST" and form.is_valid():
        try:
            program_page_save(merchant=merchant, kind=kind, body=form.cleaned_data["body"], actor=request.user)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Published. Customers see the new text at once."))
            return redirect("office:program_page", kind=kind)
    written = page is not None and bool(page.body)
    body = page.body if written else page_default(kind=kind, merchant=merchant, program=selectors.program_get(merchant=merchant))
    return render(request, "office/program_page.html", {
        "form": form, "kind": kind, "kinds": ProgramPage.Kind.choices, "title": ProgramPage.Kind(kind).label,
        "page": page, "written": written, "preview": page_render(body), "section": "program",
        "public_url": reverse(f"portal:{kind}", kwargs={"merchant_slug": merchant.slug}),
    }, status=400 if form.errors else 200)


# ---------- Customers ----------

@office
@require_GET
def customer_list(request):
    merchant = request.merchant
    stores = list(account_selectors.store_list(merchant=merchant))
    form = CustomerFilterForm(request.GET or None, stores=stores)
    filters = form.cleaned_data if form.is_valid() else {}
    joined_since = None
    if filters.get("joined"):
        joined_since = timezone.now() - timedelta(days=int(filters["joined"]))
    qs = account_selectors.customer_search(
        merchant=merchant, q=filters.get("q", ""), store_code=filters.get("store", ""),
        joined_since=joined_since, consent=filters.get("consent", ""),
    )
    page = keyset_page(qs, stamp_field="created_at", after=request.GET.get("after", ""), before=request.GET.get("before", ""))
    balances = office_selectors.balances_for(merchant=merchant, customer_ids=[c.pk for c in page.items])
    rows = [(customer, balances[customer.pk]) for customer in page.items]
    filtered = any(filters.get(name) for name in ("q", "store", "joined", "consent"))
    context = {"form": form, "page": page, "rows": rows, "filtered": filtered, "section": "customers"}
    template = "office/partials/_customer_results.html" if request.htmx and not request.htmx.boosted else "office/customers.html"
    return render(request, template, context)


def _customer_or_404(request, customer_id):
    customer = account_selectors.customer_get(merchant=request.merchant, customer_id=customer_id)
    if customer is None:
        raise Http404
    return customer


def _customer_page(request, customer, adjust_form, status=200, tier_override_form=None, tier_end_form=None, edit_form=None):
    from loyalty.office.views.tiers import customer_tier_context

    merchant = request.merchant
    entries = keyset_page(
        selectors.entry_list(merchant=merchant, customer=customer), stamp_field="at",
        after=request.GET.get("after", ""), before=request.GET.get("before", ""), size=25,
    )
    context = {
        "customer": customer,
        "balance": selectors.balance_get(merchant=merchant, customer=customer),
        "expiring": selectors.expiring_get(merchant=merchant, customer=customer),
        "page": entries,
        "receipts": office_selectors.receipt_list_with_lines(merchant=merchant, customer=customer),
        "adjust_form": adjust_form,
        "edit_form": edit_form or CustomerEditForm.for_customer(customer),
        "section": "customers",
        **customer_tier_context(request, customer, tier_override_form, tier_end_form),
    }
    return render(request, "office/customer_detail.html", context, status=status)


@office
@require_GET
def customer_detail(request, customer_id):
    customer = _customer_or_404(request, customer_id)
    return _customer_page(request, customer, AdjustForm())


@office
@require_POST
def customer_adjust(request, customer_id):
    customer = _customer_or_404(request, customer_id)
    form = AdjustForm(request.POST)
    if form.is_valid():
        try:
            entry = points_adjust(customer=customer, points=form.cleaned_data["points"], reason=form.cleaned_data["reason"], staff=request.user)
        except ValidationError as error:
            _apply_errors(form, error)
        except ApplicationError as error:
            # The only rule an adjustment can break is taking more points than are available.
            form.add_error("points", error.message)
        else:
            messages.success(request, ngettext("Adjusted by %(points)+d point.", "Adjusted by %(points)+d points.", abs(entry.points)) % {"points": entry.points})
            return redirect("office:customer", customer_id=customer.pk)
    return _customer_page(request, customer, form, status=400)


@office
@require_POST
def customer_profile_edit(request, customer_id):
    """Staff change the customer's profile (phone, name, email, birthday, gender, language, consents); audited."""
    customer = _customer_or_404(request, customer_id)
    form = CustomerEditForm.for_customer(customer, request.POST)
    if form.is_valid():
        try:
            account_services.customer_edit(customer=customer, actor=request.user, data=form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("office:customer", customer_id=customer.pk)
    return _customer_page(request, customer, AdjustForm(), status=400, edit_form=form)


# ---------- Receipts ----------

@office
@require_GET
def receipt_list(request):
    merchant = request.merchant
    stores = list(account_selectors.store_list(merchant=merchant))
    form = ReceiptFilterForm(request.GET or None, stores=stores)
    filters = form.cleaned_data if form.is_valid() else {}
    since = _local_day_start(merchant, filters["date_from"]) if filters.get("date_from") else None
    until = _local_day_start(merchant, filters["date_to"] + timedelta(days=1)) if filters.get("date_to") else None
    qs = office_selectors.receipt_search(merchant=merchant, number=filters.get("number", ""), store_code=filters.get("store", ""), since=since, until=until)
    page = keyset_page(qs, stamp_field="purchased_at", after=request.GET.get("after", ""), before=request.GET.get("before", ""))
    filtered = any(filters.get(name) for name in ("number", "store", "date_from", "date_to"))
    return render(request, "office/receipts.html", {"form": form, "page": page, "filtered": filtered, "section": "receipts"})


@office
@require_GET
def receipt_detail(request, receipt_id):
    receipt = selectors.receipt_get(merchant=request.merchant, receipt_id=receipt_id)
    if receipt is None:
        raise Http404
    return render(request, "office/receipt_detail.html", {"receipt": receipt, "section": "receipts"})


# ---------- Stores ----------

@office
def store_list(request):
    merchant = request.merchant
    form = StoreForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            store = account_services.store_create(merchant=merchant, actor=request.user, **form.cleaned_data)
        except (ValidationError, ApplicationError) as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Store %(name)s added.") % {"name": store.name})
            return redirect("office:stores")
    stores = account_selectors.store_list(merchant=merchant)
    status = 400 if form.errors else 200
    return render(request, "office/stores.html", {"form": form, "stores": stores, "section": "stores"}, status=status)


# ---------- Staff (owner) ----------

def _staff_page(request, invite_form, status=200):
    staff = account_selectors.staff_list(merchant=request.merchant)
    return render(
        request, "office/staff.html",
        {"form": invite_form, "staff": staff, "roles": Role.choices, "section": "staff"}, status=status,
    )


@owner_only
def staff_list(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = account_services.staff_invite(
                merchant=request.merchant, email=form.cleaned_data["email"], role=form.cleaned_data["role"],
                full_name=form.cleaned_data["full_name"], actor=request.user, base_url=request.build_absolute_uri("/"),
            )
        except (ValidationError, ApplicationError) as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": membership.user.email})
            return redirect("office:staff")
    return _staff_page(request, form, status=400 if form.errors else 200)


def _membership_or_404(request, membership_id):
    membership = account_selectors.membership_get(merchant=request.merchant, membership_id=membership_id)
    if membership is None:
        raise Http404
    return membership


@owner_only
@require_POST
def staff_role(request, membership_id):
    membership = _membership_or_404(request, membership_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            account_services.staff_role_set(membership=membership, role=form.cleaned_data["role"], actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Role of %(email)s changed.") % {"email": membership.user.email})
    else:
        messages.error(request, _("Choose a role from the list."))
    return redirect("office:staff")


@owner_only
@require_POST
def staff_deactivate(request, membership_id):
    membership = _membership_or_404(request, membership_id)
    try:
        account_services.staff_deactivate(membership=membership, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(email)s can no longer sign in here.") % {"email": membership.user.email})
    return redirect("office:staff")


# ---------- API keys (owner) ----------

@owner_only
def api_key_list(request):
    merchant = request.merchant
    stores = list(account_selectors.store_list(merchant=merchant))
    form = ApiKeyForm(request.POST or None, stores=stores)
    secret = None
    created = None
    if request.method == "POST" and form.is_valid():
        store = account_selectors.store_get(merchant=merchant, code=form.cleaned_data["store"]) if form.cleaned_data["store"] else None
        try:
            created, secret = account_services.api_key_create(
                merchant=merchant, scope=form.cleaned_data["scope"], store=store, name=form.cleaned_data["name"], actor=request.user
            )
        except (ValidationError, ApplicationError) as error:
            _apply_errors(form, error)
        else:
            form = ApiKeyForm(stores=stores)
    keys = account_selectors.api_key_list(merchant=merchant)
    response = render(
        request, "office/api_keys.html",
        {"form": form, "keys": keys, "secret": secret, "created": created, "section": "api_keys"},
        status=400 if form.errors else 200,
    )
    if secret:
        # The secret is on this page only; keep it out of caches and the back button.
        response["Cache-Control"] = "no-store"
    return response


@owner_only
@require_POST
def api_key_revoke(request, key_id):
    key = account_selectors.api_key_get(merchant=request.merchant, key_id=key_id)
    if key is None:
        raise Http404
    account_services.api_key_revoke(key=key, actor=request.user)
    messages.success(request, _("Key %(prefix)s… revoked. Tills using it are refused from now on.") % {"prefix": key.prefix})
    return redirect("office:api_keys")


# ---------- Audit log ----------

@office
@require_GET
def audit_log(request):
    """What staff changed, in words, filtered by what, who and when, newest first, a page at a time."""
    from loyalty.audit_text import audit_action_labels, audit_line

    merchant = request.merchant
    staff = account_selectors.staff_list(merchant=merchant)
    form = AuditFilterForm(request.GET or None, actions=[(code, str(label)) for code, label in audit_action_labels().items()], staff=staff)
    filters = form.cleaned_data if form.is_valid() else {}
    actor = filters.get("actor") or ""
    since = _local_day_start(merchant, filters["date_from"]) if filters.get("date_from") else None
    until = _local_day_start(merchant, filters["date_to"] + timedelta(days=1)) if filters.get("date_to") else None
    qs = account_selectors.audit_list(
        merchant=merchant, action=filters.get("action", ""), system=actor == "system",
        actor_id=int(actor) if actor.isdigit() else None, since=since, until=until,
    )
    page = keyset_page(qs, stamp_field="at", after=request.GET.get("after", ""), before=request.GET.get("before", ""))
    customers = account_selectors.audit_customers_for(merchant=merchant, events=page.items)
    lines = [audit_line(event, merchant=merchant, customers=customers) for event in page.items]
    filtered = any(filters.get(name) for name in ("action", "actor", "date_from", "date_to"))
    return render(request, "office/audit.html", {"page": page, "lines": lines, "form": form, "filtered": filtered, "section": "audit"},
                  status=400 if form.errors else 200)
