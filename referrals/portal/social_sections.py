"""What the customer sees of families and charity on the portal home (registered from referrals.social):
their family with each member's rights, and a form to give points to an active fund."""
from __future__ import annotations

from django import forms
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from loyalty.portal.views.main import _render, portal_view
from loyalty.texts import masked_name


class DonateForm(forms.Form):
    fund = forms.ChoiceField(label=_("Fund"))
    points = forms.IntegerField(label=_("Points to give"), min_value=1, max_value=10_000_000)

    def __init__(self, *args, funds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fund"].choices = [(fund.code, fund.name) for fund in funds]


def section_context(request, customer, *, form: DonateForm | None = None) -> dict:
    from referrals.social_selectors import family_of, fund_list

    merchant = getattr(request, "merchant", None)
    if customer is None or merchant is None or customer.merchant_id != merchant.pk:
        return {"my_family": None, "my_funds": [], "donate_form": None}
    family = family_of(merchant=merchant, customer=customer)
    own = next((row for row in family.members if row.customer_id == customer.pk), None) if family else None
    may_give = own is None or own.can_redeem  # a member who may not spend the family's points may not give them either
    funds = list(fund_list(merchant=merchant, active_only=True)) if may_give else []
    members = []
    if family is not None:
        members = [{"name": masked_name(family.owner), "role": "owner", "can_redeem": True, "me": family.owner.pk == customer.pk}]
        members += [{"name": masked_name(row.customer), "role": "member", "can_redeem": row.can_redeem, "me": row.customer_id == customer.pk}
                    for row in family.members]
    return {
        "my_family": {"role": family.role, "members": members} if family else None,
        "my_funds": funds,
        "donate_form": form or DonateForm(funds=funds),
        "donated": request.GET.get("donated") == "1",
    }


@portal_view(signed_in=True)
@require_POST
def portal_donate(request, merchant):
    """Give points to a fund from the portal: the same service as the POS call."""
    from accounts.errors import ApplicationError, ValidationError
    from referrals.services.funds import donation_create
    from referrals.social_selectors import fund_list

    customer = request.portal_customer
    form = DonateForm(request.POST, funds=fund_list(merchant=merchant, active_only=True))
    if form.is_valid():
        try:
            donation_create(customer=customer, fund_code=form.cleaned_data["fund"], points=form.cleaned_data["points"])
        except (ValidationError, ApplicationError) as error:
            message = error.message if isinstance(error, ApplicationError) else "; ".join(error.messages)
            form.add_error("points" if isinstance(error, ApplicationError) else "fund", message)
        else:
            return redirect(f"/my/{merchant.slug}/?donated=1#donate")
    return _render(request, "referrals/portal/donate.html", section_context(request, customer, form=form), status=422)
