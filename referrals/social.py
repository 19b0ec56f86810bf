"""Agents, families and charity plugged into loyalty: register() is called from ReferralsConfig.ready()."""
from django.utils.translation import gettext as _


def _texts() -> None:
    from loyalty.texts import message_register

    message_register("entry.donation", lambda p: _("Donated to %(fund)s") % p, short=lambda p: "%(fund)s" % p)
    message_register("entry.agent", lambda p: _("Agent reward for %(client)s's purchase, receipt %(number)s") % p,
                     short=lambda p: _("%(client)s, receipt %(number)s") % p)
    message_register("entry.agent_back", lambda p: _("Agent reward taken back: %(client)s returned items from receipt %(number)s") % p,
                     short=lambda p: _("%(client)s returned items, receipt %(number)s") % p)
    message_register("entry.family_out", lambda p: _("Moved to the family balance of %(owner)s on joining the family") % p,
                     short=lambda p: _("To the family balance of %(owner)s") % p)
    message_register("entry.family_in", lambda p: _("%(member)s joined the family and brought their points") % p,
                     short=lambda p: _("From %(member)s, who joined the family") % p)
    message_register("applied.agent_discount.name", lambda p: _("Agent's client: %(rate)s%% discount") % p)
    message_register("applied.agent_discount.detail", lambda p: _("%(rate)s%% of %(base)s") % p)
    message_register("applied.agent_reward.name", lambda p: _("Agent reward to %(beneficiary)s") % p)
    message_register("applied.agent_reward.detail", lambda p: _("%(rate)s%% of %(paid)s paid in money, rounded down") % p)


def _agent_percent_field():
    from rest_framework import serializers

    return serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100, allow_null=True, required=False,
                                    help_text="Admin key only: make the customer an agent earning this share of their clients' "
                                              "purchases; null ends it")


def _agent_percent_apply(*, merchant, customer, value) -> None:
    from referrals.services.agents import agent_percent_set

    agent_percent_set(merchant=merchant, customer=customer, value=value)


def customer_read(*, merchant, customer) -> dict:
    """The customer read's `agent_percent` (an agent's share) and `agent` (a client's agent and split)."""
    from loyalty.texts import masked_name
    from referrals.models import Agent, AgentClient
    from referrals.services.agents import tie_split

    agent = Agent.objects.filter(merchant=merchant, customer=customer).only("percent").first()
    tie = AgentClient.objects.filter(merchant=merchant, client=customer).select_related("agent__customer").first()
    read = {"agent_percent": str(agent.percent) if agent else None, "agent": None}
    if tie is not None:
        discount, points = tie_split(tie)
        read["agent"] = {"id": str(tie.agent.customer_id), "name": masked_name(tie.agent.customer),
                         "client_discount_percent": str(discount), "agent_points_percent": str(points)}
    return read


def _family_birthdays_field():
    from rest_framework import serializers

    from referrals.api.social_serializers import FamilyBirthdaySerializer

    return FamilyBirthdaySerializer(many=True, required=False, help_text="Family members' birthdays, for birthday gifts; replaces the list")


def _family_birthdays_apply(*, merchant, customer, value) -> None:
    from referrals.services.families import family_birthdays_set

    family_birthdays_set(merchant=merchant, customer=customer, value=value)


def family_read(*, merchant, customer) -> dict:
    """The customer read's `family` ({"owner", "role"} or null) and `family_birthdays`; the balance the
    read shows is already the family's (loyalty asks `family_holder` whose account it is)."""
    from referrals.models import Family, FamilyMember
    from referrals.social_selectors import family_birthdays_of

    family = None
    owner_id = FamilyMember.objects.filter(merchant=merchant, customer=customer).values_list("family__owner_id", flat=True).first()
    if owner_id is not None:
        family = {"owner": str(owner_id), "role": "member"}
    elif Family.objects.filter(merchant=merchant, owner=customer).exists():
        family = {"owner": str(customer.pk), "role": "owner"}
    return {"family": family, "family_birthdays": family_birthdays_of(merchant=merchant, customer=customer)}


def _screens() -> None:
    from django.utils.translation import gettext_lazy

    from accounts.models import Role
    from loyalty.extensions import (CustomerSection, MenuEntry, PanelPart, PortalSection, counter_panel_register,
                                    office_customer_section_register, office_menu_register, portal_section_register)
    from referrals.counter.social_panel import panel_context
    from referrals.office.social_views import customer_section_context
    from referrals.portal.social_sections import section_context

    office_roles = (Role.OWNER, Role.MARKETER)
    office_menu_register(MenuEntry("agents", gettext_lazy("Agents"), "social_office:agents", roles=office_roles, order=57))
    office_menu_register(MenuEntry("funds", gettext_lazy("Charity"), "social_office:funds", roles=office_roles, order=58))
    office_customer_section_register(CustomerSection("social", "referrals/office/_customer_section.html", customer_section_context, order=60))
    counter_panel_register(PanelPart("social", "referrals/counter/_panel.html", context=panel_context, order=45))
    portal_section_register(PortalSection("social", "referrals/portal/_section.html", context=section_context, order=60))


def register() -> None:
    from loyalty.extensions import CheckoutExtension, CustomerField, checkout_register, customer_field_register, customer_read_register
    from loyalty.extensions import account_holder_register
    from referrals import social_pipeline
    from referrals.social_selectors import family_holder

    _texts()
    # After promotions (order 100): the client's discount applies to what promotions left.
    checkout_register(CheckoutExtension(
        name=social_pipeline.NAME,
        load=social_pipeline.agents_load,
        steps={"after_tier": social_pipeline.step_agent_discount, "after_accrual": social_pipeline.step_agent_reward},
        after_commit=social_pipeline.agents_after_commit,
        after_refund=social_pipeline.agents_after_refund,
        order=150,
    ))
    _screens()
    customer_read_register("agents", customer_read)
    customer_read_register("families", family_read)
    account_holder_register("families", family_holder)
    customer_field_register(CustomerField("family_birthdays", _family_birthdays_apply, serializer_field=_family_birthdays_field))
    customer_field_register(CustomerField("agent_percent", _agent_percent_apply, admin=True, serializer_field=_agent_percent_field))
