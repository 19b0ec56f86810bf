"""The marketer's screens for agents, funds and families: agents and their clients (split editor,
monthly earnings), funds and the per-fund report, and the family and agent section of the customer
page. Owners and marketers only; every read and write scoped to the request's merchant."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors as account_selectors
from accounts.errors import ApplicationError
from accounts.permissions import OFFICE_ROLES, staff_required
from loyalty import selectors as loyalty_selectors
from loyalty.texts import masked_name
from referrals import social_selectors as selectors
from referrals.office.social_forms import AgentForm, ClientForm, FamilyAddForm, FundEditForm, FundForm, RangeForm, SplitForm
from referrals.services import agents as agent_services
from referrals.services import families as family_services
from referrals.services import funds as fund_services

office = staff_required(*OFFICE_ROLES)
SERVICE_ERRORS = (DjangoValidationError, ApplicationError)


def _errors_to(form, error, mapping: dict | None = None) -> None:
    """Put a service error beside the form fields it names (else at the top of the form)."""
    if isinstance(error, DjangoValidationError) and hasattr(error, "error_dict"):
        items = error.message_dict.items()
    elif isinstance(error, ApplicationError):
        items = [(next(iter(error.fields), None), [error.message])]
    else:
        items = [(None, list(getattr(error, "messages", [str(error)])))]
    for key, texts in items:
        name = (mapping or {}).get(key, key)
        for text in texts:
            form.add_error(name if name in form.fields else None, text)


def _customer_by_phone(request, phone: str):
    return account_selectors.customer_lookup(merchant=request.merchant, q=phone)


# ---------------------------------------------------------------- funds


@office
def fund_list(request):
    form = FundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            fund = fund_services.fund_create(merchant=request.merchant, data=form.cleaned_data)
        except SERVICE_ERRORS as error:
            _errors_to(form, error)
        else:
            messages.success(request, _("The fund “%(name)s” is added.") % {"name": fund.name})
            return redirect("social_office:fund", code=fund.code)
    funds = list(selectors.fund_list(merchant=request.merchant))
    totals = selectors.fund_totals(merchant=request.merchant)
    rows = [{"fund": fund, "total": totals.get(fund.pk)} for fund in funds]
    return render(request, "referrals/office/funds.html", {"rows": rows, "form": form, "section": "funds"},
                  status=400 if form.errors else 200)


@office
def fund_detail(request, code):
    fund = selectors.fund_get(merchant=request.merchant, code=code)
    if fund is None:
        raise Http404
    initial = {"name": fund.name, "description": fund.description, "active": fund.active}
    form = FundEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            fund_services.fund_update(fund=fund, data=form.cleaned_data)
        except SERVICE_ERRORS as error:
            _errors_to(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("social_office:fund", code=fund.code)
    period = RangeForm(request.GET or None)
    start = end = None
    if period.is_bound and period.is_valid():
        start, end = period.cleaned_data.get("start"), period.cleaned_data.get("end")
    report = selectors.fund_report(merchant=request.merchant, fund=fund, start=start, end=end)
    return render(request, "referrals/office/fund.html", {"fund": fund, "form": form, "period": period, "report": report,
                                                          "section": "funds"}, status=400 if form.errors else 200)


# ---------------------------------------------------------------- agents


@office
def agent_list(request):
    form = AgentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        customer = _customer_by_phone(request, form.cleaned_data["phone"])
        if customer is None:
            form.add_error("phone", _("No customer with this phone."))
        else:
            try:
                agent_services.agent_percent_set(merchant=request.merchant, customer=customer, value=str(form.cleaned_data["percent"]))
            except SERVICE_ERRORS as error:
                _errors_to(form, error, {"agent_percent": "percent"})
            else:
                messages.success(request, _("%(name)s is an agent.") % {"name": masked_name(customer)})
                return redirect("social_office:agent", customer_id=customer.pk)
    agents = list(selectors.agent_list(merchant=request.merchant))
    earnings = selectors.agent_earnings_by_month(merchant=request.merchant, agent_ids=[str(agent.customer_id) for agent in agents], months=3)
    rows = [{"agent": agent, "months": earnings.get(str(agent.customer_id), [])} for agent in agents]
    return render(request, "referrals/office/agents.html", {"rows": rows, "form": form, "section": "agents"},
                  status=400 if form.errors else 200)


def _agent_or_404(request, customer_id):
    agent = selectors.agent_get(merchant=request.merchant, customer_id=customer_id)
    if agent is None:
        raise Http404
    return agent


def _agent_page(request, agent, *, client_form=None, percent_form=None, split_errors=None, status=200):
    clients = list(selectors.agent_clients(merchant=request.merchant, agent=agent))
    rows = []
    for tie in clients:
        discount, points = agent_services.tie_split(tie)
        bound = (split_errors or {}).get(tie.pk)
        rows.append({"tie": tie, "discount": discount, "points": points,
                     "form": bound or SplitForm(initial={"client_discount_percent": discount, "agent_points_percent": points},
                                                prefix=f"t{tie.pk}")})
    months = selectors.agent_earnings_by_month(merchant=request.merchant, agent_ids=[str(agent.customer_id)]).get(str(agent.customer_id), [])
    return render(request, "referrals/office/agent.html", {
        "agent": agent, "rows": rows, "months": months, "section": "agents",
        "client_form": client_form or ClientForm(),
        "percent_form": percent_form or AgentForm(initial={"phone": agent.customer.phone, "percent": agent.percent}),
    }, status=status)


@office
def agent_detail(request, customer_id):
    agent = _agent_or_404(request, customer_id)
    if request.method != "POST":
        return _agent_page(request, agent)
    form = ClientForm(request.POST)
    if form.is_valid():
        client = _customer_by_phone(request, form.cleaned_data["phone"])
        if client is None:
            form.add_error("phone", _("No customer with this phone."))
        else:
            data = {"agent": str(agent.customer_id)}
            for key in ("client_discount_percent", "agent_points_percent"):
                if form.cleaned_data.get(key) is not None:
                    data[key] = str(form.cleaned_data[key])
            try:
                agent_services.agent_tie(merchant=request.merchant, client=client, data=data)
            except SERVICE_ERRORS as error:
                _errors_to(form, error, {"agent": "phone"})
            else:
                messages.success(request, _("%(name)s is now this agent's client.") % {"name": masked_name(client)})
                return redirect("social_office:agent", customer_id=agent.customer_id)
    return _agent_page(request, agent, client_form=form, status=400)


@office
@require_POST
def agent_percent(request, customer_id):
    agent = _agent_or_404(request, customer_id)
    form = AgentForm(request.POST)
    if form.is_valid():
        try:
            agent_services.agent_percent_set(merchant=request.merchant, customer=agent.customer, value=str(form.cleaned_data["percent"]))
        except SERVICE_ERRORS as error:
            _errors_to(form, error, {"agent_percent": "percent"})
        else:
            messages.success(request, _("Saved."))
            return redirect("social_office:agent", customer_id=agent.customer_id)
    return _agent_page(request, agent, percent_form=form, status=400)


@office
@require_POST
def agent_end(request, customer_id):
    agent = _agent_or_404(request, customer_id)
    agent_services.agent_percent_set(merchant=request.merchant, customer=agent.customer, value=None)
    messages.success(request, _("%(name)s is no longer an agent; their clients are untied.") % {"name": masked_name(agent.customer)})
    return redirect("social_office:agents")


@office
@require_POST
def agent_client_split(request, customer_id, tie_id):
    agent = _agent_or_404(request, customer_id)
    tie = selectors.agent_clients(merchant=request.merchant, agent=agent).filter(pk=tie_id).first()
    if tie is None:
        raise Http404
    form = SplitForm(request.POST, prefix=f"t{tie.pk}")
    if form.is_valid():
        data = {"agent": str(agent.customer_id)}
        for key in ("client_discount_percent", "agent_points_percent"):
            if form.cleaned_data.get(key) is not None:
                data[key] = str(form.cleaned_data[key])
        try:
            agent_services.agent_tie(merchant=request.merchant, client=tie.client, data=data)
        except SERVICE_ERRORS as error:
            _errors_to(form, error)
        else:
            messages.success(request, _("The split for %(name)s is saved.") % {"name": masked_name(tie.client)})
            return redirect("social_office:agent", customer_id=agent.customer_id)
    return _agent_page(request, agent, split_errors={tie.pk: form}, status=400)


@office
@require_POST
def agent_client_untie(request, customer_id, tie_id):
    agent = _agent_or_404(request, customer_id)
    tie = selectors.agent_clients(merchant=request.merchant, agent=agent).filter(pk=tie_id).first()
    if tie is None:
        raise Http404
    agent_services.agent_untie(merchant=request.merchant, client=tie.client)
    messages.success(request, _("%(name)s is untied from the agent.") % {"name": masked_name(tie.client)})
    return redirect("social_office:agent", customer_id=agent.customer_id)


# ---------------------------------------------------------------- the customer page


def customer_section_context(request, customer) -> dict:
    """The family and agent section of the office customer page (registered from referrals.social)."""
    merchant = request.merchant
    from referrals.models import Agent, AgentClient

    family = selectors.family_of(merchant=merchant, customer=customer)
    tie = AgentClient.objects.filter(merchant=merchant, client=customer).select_related("agent__customer").first()
    return {
        "family": family,
        "family_balance": loyalty_selectors.balance_get(merchant=merchant, customer=family.owner) if family else None,
        "family_form": getattr(request, "family_form", None) or FamilyAddForm(),
        "agent_tie": tie,
        "agent_split": agent_services.tie_split(tie) if tie else None,
        "agent_self": Agent.objects.filter(merchant=merchant, customer=customer).first(),
    }


def _customer_or_404(request, customer_id):
    customer = account_selectors.customer_get(merchant=request.merchant, customer_id=customer_id)
    if customer is None:
        raise Http404
    return customer


@office
@require_POST
def family_add(request, customer_id):
    owner = _customer_or_404(request, customer_id)
    form = FamilyAddForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                family_services.family_member_add(owner=owner, phone=form.cleaned_data["phone"], can_redeem=form.cleaned_data["can_redeem"])
        except SERVICE_ERRORS as error:
            _errors_to(form, error)
        else:
            messages.success(request, _("The member is added; their points moved into the family balance."))
            return redirect("office:customer", customer_id=owner.pk)
    from loyalty.office.views.main import AdjustForm, _customer_page

    request.family_form = form
    return _customer_page(request, owner, AdjustForm(), status=400)


def _member_row(request, owner, member_id):
    row = selectors.family_member_get(merchant=request.merchant, owner=owner, member_id=str(member_id))
    if row is None:
        raise Http404
    return row


@office
@require_POST
def family_member_rights(request, customer_id, member_id):
    owner = _customer_or_404(request, customer_id)
    row = _member_row(request, owner, member_id)
    family_services.family_member_update(owner=owner, member=row.customer, can_redeem=request.POST.get("can_redeem") == "true")
    messages.success(request, _("Saved."))
    return redirect("office:customer", customer_id=owner.pk)


@office
@require_POST
def family_member_remove(request, customer_id, member_id):
    owner = _customer_or_404(request, customer_id)
    row = _member_row(request, owner, member_id)
    family_services.family_member_remove(owner=owner, member=row.customer)
    messages.success(request, _("%(name)s left the family; the points stay in the family balance.") % {"name": masked_name(row.customer)})
    return redirect("office:customer", customer_id=owner.pk)
