"""Extension points: how other apps grow the checkout pipeline and the screens without loyalty
importing them.

An app (promotions, referrals, campaigns, ...) registers from its `AppConfig.ready()`:

- a `CheckoutExtension`: a context loader gathered once per calculation into `ctx.extras[name]`,
  steps at the named `PLACES` of the pipeline, an after-commit writer that runs inside
  `receipt_commit`'s transaction (after the receipt and ledger writes) and an after-refund reverser
  that runs inside the refund's transaction;
- back-office menu entries (`office_menu_register`), counter panel parts (`counter_panel_register`)
  portal sections (`portal_section_register`) and back-office customer page sections
  (`office_customer_section_register`), which loyalty's templates render in order.

Registering the same name (or key) again replaces the earlier entry, so a `ready()` that runs twice
never duplicates anything. loyalty owns this module and imports none of the apps that register.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

from loyalty.checkout import (
    STEPS,
    Calculation,
    CheckoutContext,
    Draft,
    Step,
    step_accrual,
    step_tier,
    step_totals_before_redemption,
)

if TYPE_CHECKING:  # pragma: no cover
    from accounts.models import Customer, Merchant, Store
    from loyalty.models import PointsAccount, Receipt, Refund

# after_tier:        after step_tier, before the discount total (discounts, accrual-rate changes, block flags)
# before_redemption: after the discount total, before step_redemption
# after_accrual:     after step_accrual (points attributions, fixed extra points, final explanations)
PLACES = ("after_tier", "before_redemption", "after_accrual")

# Each place follows one of loyalty's own steps.
_PLACE_AFTER: dict[str, Step] = {
    "after_tier": step_tier,
    "before_redemption": step_totals_before_redemption,
    "after_accrual": step_accrual,
}


@dataclass(frozen=True)
class LoadRequest:
    """What a context loader is given, once per calculation."""

    merchant: Merchant
    customer: Customer | None
    draft: Draft
    store: Store | None
    for_commit: bool  # True inside receipt_commit's transaction (the loader may lock rows)
    # The customer's points account with its tiers (`account.effective_tier`) as the caller already read
    # it (locked, at commit), so a loader need not read it again; None without a customer or when the
    # caller did not read it (then read it yourself).
    account: PointsAccount | None = None


@dataclass(frozen=True)
class CommitRecord:
    """Given to after-commit writers, inside the commit's transaction."""

    merchant: Merchant
    customer: Customer | None
    receipt: Receipt
    calculation: Calculation
    context: CheckoutContext  # ctx.extras[name] holds what the app's loader returned


@dataclass(frozen=True)
class RefundRecord:
    """Given to after-refund reversers, inside the refund's transaction."""

    merchant: Merchant
    customer: Customer | None
    receipt: Receipt
    refund: Refund
    fully_returned: bool  # the receipt is now returned in full


@dataclass(frozen=True)
class CheckoutExtension:
    name: str  # "promotions"; the key in ctx.extras
    load: Callable[[LoadRequest], object] | None = None  # result stored as ctx.extras[name]
    # place -> a step, or a sequence of steps run in that order
    steps: Mapping[str, Any] = field(default_factory=dict)
    after_commit: Callable[[CommitRecord], None] | None = None
    after_refund: Callable[[RefundRecord], None] | None = None
    order: int = 100  # extensions at one place run by (order, name)

    def steps_at(self, place: str) -> tuple[Step, ...]:
        found = self.steps.get(place)
        if found is None:
            return ()
        if callable(found):
            return (found,)
        return tuple(found)


_checkout: dict[str, CheckoutExtension] = {}


def checkout_register(extension: CheckoutExtension) -> None:
    """Register (or replace, by name) a checkout extension. Call from AppConfig.ready().

    Raises:
        ValueError: an empty name, a step at a place not in PLACES, or a step that is not callable.
    """
    if not isinstance(extension, CheckoutExtension) or not extension.name:
        raise ValueError("A checkout extension needs a name.")
    for place in extension.steps:
        if place not in PLACES:
            raise ValueError(f"Unknown pipeline place {place!r} in extension {extension.name!r}; use one of {', '.join(PLACES)}.")
        if not all(callable(step) for step in extension.steps_at(place)):
            raise ValueError(f"The steps of extension {extension.name!r} at {place!r} must be callables (calc, ctx).")
    _checkout[extension.name] = extension


def checkout_unregister(name: str) -> None:
    """Remove an extension by name (tests use it to clean up); unknown names are ignored."""
    _checkout.pop(name, None)


def checkout_extensions() -> tuple[CheckoutExtension, ...]:
    """The registered extensions in run order: by (order, name)."""
    return tuple(sorted(_checkout.values(), key=lambda ext: (ext.order, ext.name)))


def pipeline_steps() -> list[Step]:
    """loyalty's own steps with the registered steps inserted at their places."""
    extensions = checkout_extensions()
    if not extensions:
        return list(STEPS)
    inserted: dict[Step, list[Step]] = {}
    for place in PLACES:
        inserted[_PLACE_AFTER[place]] = [step for ext in extensions for step in ext.steps_at(place)]
    steps: list[Step] = []
    for step in STEPS:
        steps.append(step)
        steps.extend(inserted.get(step, ()))
    return steps


def checkout_extras_load(ctx: CheckoutContext, *, merchant, customer, draft: Draft, store, for_commit: bool, account=None) -> None:
    """Run each registered loader once and store its result in ctx.extras[name].
    With no loader registered nothing runs (and no query is made)."""
    loaders = [ext for ext in checkout_extensions() if ext.load is not None]
    if not loaders:
        return
    request = LoadRequest(merchant=merchant, customer=customer, draft=draft, store=store, for_commit=for_commit, account=account)
    for ext in loaders:
        ctx.extras[ext.name] = ext.load(request)


def after_commit_run(record: CommitRecord) -> None:
    for ext in checkout_extensions():
        if ext.after_commit is not None:
            ext.after_commit(record)


def after_refund_run(record: RefundRecord) -> None:
    for ext in checkout_extensions():
        if ext.after_refund is not None:
            ext.after_refund(record)


# --- the customer read ---------------------------------------------------------------------------

# name -> callable(merchant=, customer=) -> dict of further top-level keys of the API's customer read
_customer_read: dict[str, Callable[..., dict]] = {}


def customer_read_register(name: str, read: Callable[..., dict]) -> None:
    """Add keys to every customer read (`GET /api/v1/customers/<id>` and the lookup), e.g. promotions'
    `offers`, `gifts` and `stamps`. Registering a name again replaces it."""
    _customer_read[name] = read


def customer_read_unregister(name: str) -> None:
    _customer_read.pop(name, None)


def customer_read_extras(*, merchant, customer) -> dict:
    """The registered apps' keys for one customer, in name order."""
    extras: dict = {}
    for name in sorted(_customer_read):
        extras.update(_customer_read[name](merchant=merchant, customer=customer))
    return extras


# --- UI registries -------------------------------------------------------------------------------

@dataclass(frozen=True)
class MenuEntry:
    """A back-office navigation entry. `label` is a lazy translation; `roles` the staff roles that
    see it (empty: every office role); `prefix` the path prefix that marks it current (default: the
    entry's own URL); `exact` marks it current only on that exact path."""

    key: str
    label: Any
    url_name: str
    roles: tuple[str, ...] = ()
    order: int = 100
    prefix: str | None = None
    exact: bool = False


@dataclass(frozen=True)
class PanelPart:
    """A part of the counter's customer panel: `template` rendered with `context(request, customer)`."""

    key: str
    template: str
    context: Callable[[Any, Any], dict] | None = None
    order: int = 100


@dataclass(frozen=True)
class PortalSection:
    """A section of the customer portal's home: `template` rendered with `context(request, customer)`."""

    key: str
    template: str
    context: Callable[[Any, Any], dict] | None = None
    order: int = 100


@dataclass(frozen=True)
class CustomerSection:
    """A section of the back-office customer page (right column): `template` rendered with
    `context(request, customer)`."""

    key: str
    template: str
    context: Callable[[Any, Any], dict] | None = None
    order: int = 100


_office_menu: dict[str, MenuEntry] = {}
_office_customer_sections: dict[str, CustomerSection] = {}
_counter_panel: dict[str, PanelPart] = {}
_portal_sections: dict[str, PortalSection] = {}


def _ordered(registry: dict) -> tuple:
    return tuple(sorted(registry.values(), key=lambda item: (item.order, item.key)))


def office_menu_register(entry: MenuEntry) -> None:
    _office_menu[entry.key] = entry


def office_menu_unregister(key: str) -> None:
    _office_menu.pop(key, None)


def office_menu(role: str | None = None) -> tuple[MenuEntry, ...]:
    """The menu in order; with `role`, only the entries that role may see."""
    entries = _ordered(_office_menu)
    if role is None:
        return entries
    return tuple(entry for entry in entries if not entry.roles or role in entry.roles)


def counter_panel_register(part: PanelPart) -> None:
    _counter_panel[part.key] = part


def counter_panel_unregister(key: str) -> None:
    _counter_panel.pop(key, None)


def counter_panel() -> tuple[PanelPart, ...]:
    return _ordered(_counter_panel)


def portal_section_register(section: PortalSection) -> None:
    _portal_sections[section.key] = section


def portal_section_unregister(key: str) -> None:
    _portal_sections.pop(key, None)


def portal_sections() -> tuple[PortalSection, ...]:
    return _ordered(_portal_sections)


def office_customer_section_register(section: CustomerSection) -> None:
    _office_customer_sections[section.key] = section


def office_customer_section_unregister(key: str) -> None:
    _office_customer_sections.pop(key, None)


def office_customer_sections() -> tuple[CustomerSection, ...]:
    return _ordered(_office_customer_sections)
