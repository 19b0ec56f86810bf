"""Extension points: how other apps grow the checkout pipeline and the screens without loyalty
importing them.

An app (promotions, referrals, campaigns, ...) registers from its `AppConfig.ready()`:

- a `CheckoutExtension`: a context loader gathered once per calculation into `ctx.extras[name]`,
  steps at the named `PLACES` of the pipeline, an after-commit writer that runs inside
  `receipt_commit`'s transaction (after the receipt and ledger writes) and an after-refund reverser
  that runs inside the refund's transaction;
- an account holder resolver (`account_holder_register`): whose points account a customer's
  receipts, balance and history use (a family shares the owner's), and whether they may spend it;
- extra customer fields (`customer_field_register`) that `PATCH /api/v1/customers/<id>` accepts;
- back-office menu entries (`office_menu_register`), counter panel parts (`counter_panel_register`)
  portal sections (`portal_section_register`) and back-office customer page sections
  (`office_customer_section_register`), which loyalty's templates render in order;
- a program settings section (`program_section_register`): a nested object of `GET|PATCH
  /api/v1/program` the app reads, validates and writes inside the PATCH's transaction;
- a join extension (`join_register`): checks before a customer is written, a welcome bonus offer,
  and writes after, inside `loyalty.services.customer_join`;
- a part of the portal's join page (`portal_join_register`) that reads query parameters of the join
  address and carries them to the join.

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


# --- whose points account a customer uses ----------------------------------------------------------

@dataclass(frozen=True)
class AccountHolder:
    """Whose points account a customer's purchases accrue to and redemptions spend from.

    `customer` is the holder (the customer themself unless an app says otherwise); `may_redeem`
    False refuses redemptions (422 `redeem_not_allowed`) while purchases still accrue.
    """

    customer: Customer
    may_redeem: bool = True

    def shared_by(self, customer: Customer) -> bool:
        """True when `customer` uses another customer's account."""
        return self.customer.pk != customer.pk


# name -> callable(customer) -> AccountHolder | None (None: the app has no say for this customer)
_account_holders: dict[str, Callable[[Any], "AccountHolder | None"]] = {}


def account_holder_register(name: str, resolve: Callable[[Any], "AccountHolder | None"]) -> None:
    """Let an app say whose account a customer uses (referrals: a family member uses the owner's).
    `resolve(customer)` should be one cheap query. Registering a name again replaces it."""
    _account_holders[name] = resolve


def account_holder_unregister(name: str) -> None:
    _account_holders.pop(name, None)


def account_holder_get(customer: Customer) -> AccountHolder:
    """The account `customer` uses: the first resolver (by name) that answers, else their own.
    With no resolver registered no query is made. Writers call it after locking the customer's own
    account, so a concurrent change of holder (joining a family) is seen once it has committed."""
    for name in sorted(_account_holders):
        found = _account_holders[name](customer)
        if found is not None:
            return found
    return AccountHolder(customer=customer)


# --- extra customer fields (PATCH /api/v1/customers/<id>) ---------------------------------------

@dataclass(frozen=True)
class CustomerField:
    """A field another app adds to the customer PATCH: `apply(merchant=, customer=, value=)` validates
    and writes it (raising ValidationError naming the field); `admin` True needs an admin-scope key.
    The customer read shows it through `customer_read_register`. `serializer_field()` returns a DRF
    serializer field that documents the value in the OpenAPI schema."""

    name: str
    apply: Callable[..., None]
    admin: bool = False
    serializer_field: Callable[[], Any] | None = None


_customer_fields: dict[str, CustomerField] = {}


def customer_field_register(item: CustomerField) -> None:
    _customer_fields[item.name] = item


def customer_field_unregister(name: str) -> None:
    _customer_fields.pop(name, None)


def customer_fields() -> dict[str, CustomerField]:
    return dict(sorted(_customer_fields.items()))


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


# --- program settings sections -------------------------------------------------------------------

@dataclass(frozen=True)
class ProgramSection:
    """A nested object of the program settings (`GET|PATCH /api/v1/program`), owned by another app,
    e.g. referrals' `"referral"`.

    - `read(merchant=)` returns the section's JSON value;
    - `validate(merchant=, value=)` checks a PATCH value and returns it cleaned, raising
      `ValidationError` with the section's own field names (they are reported as `<name>.<field>`);
    - `update(merchant=, clean=, actor=)` writes the cleaned value. It runs inside the PATCH's
      transaction after every section and the base settings validated, so a bad value anywhere
      writes nothing;
    - `serializer` and `patch_serializer` (optional): DRF serializer classes describing the value as
      read and as a PATCH sends it, for the OpenAPI schema.
    """

    name: str
    read: Callable[..., Any]
    validate: Callable[..., Any]
    update: Callable[..., None]
    serializer: Any = None
    patch_serializer: Any = None


_program_sections: dict[str, ProgramSection] = {}


def program_section_register(section: ProgramSection) -> None:
    """Register (or replace, by name) a program settings section. Call from AppConfig.ready()."""
    if not section.name or not section.name.isidentifier():
        raise ValueError("A program section needs a name that is a valid identifier.")
    _program_sections[section.name] = section


def program_section_unregister(name: str) -> None:
    _program_sections.pop(name, None)


def program_sections() -> tuple[ProgramSection, ...]:
    """The registered sections, by name."""
    return tuple(_program_sections[name] for name in sorted(_program_sections))


# --- joining the program -------------------------------------------------------------------------

@dataclass(frozen=True)
class JoinRequest:
    """What a join check is given, before anything is written. `profile` holds the fields the
    caller sent (referral_code, invite, email, ...); `phone` is as typed."""

    merchant: Merchant
    phone: str
    profile: Mapping[str, Any]
    store: Store | None
    at: Any


@dataclass(frozen=True)
class JoinRecord:
    """Given to welcome overrides and after-join writers, inside the join's transaction.
    `state` is what the extension's own check returned."""

    merchant: Merchant
    customer: Customer
    account: Any  # the customer's PointsAccount (locked: it was just created)
    store: Store | None
    at: Any
    state: Any


@dataclass(frozen=True)
class JoinExtension:
    """How an app takes part in `loyalty.services.customer_join`:

    - `check(request)` runs before the customer is written; it refuses by raising (ApplicationError,
      ValidationError), so a refused join writes nothing. What it returns is handed back as `state`;
    - `welcome(record)` may return a number of points to credit instead of the program's welcome bonus
      (None: no opinion); when several do, the largest wins;
    - `after(record)` writes the app's rewards, inside the join's transaction.
    """

    name: str
    check: Callable[[JoinRequest], Any] | None = None
    welcome: Callable[[JoinRecord], int | None] | None = None
    after: Callable[[JoinRecord], None] | None = None
    order: int = 100


_join: dict[str, JoinExtension] = {}


def join_register(extension: JoinExtension) -> None:
    """Register (or replace, by name) a join extension. Call from AppConfig.ready()."""
    if not extension.name:
        raise ValueError("A join extension needs a name.")
    _join[extension.name] = extension


def join_unregister(name: str) -> None:
    _join.pop(name, None)


def join_extensions() -> tuple[JoinExtension, ...]:
    return tuple(sorted(_join.values(), key=lambda ext: (ext.order, ext.name)))


# --- the portal's join page ----------------------------------------------------------------------

@dataclass(frozen=True)
class PortalJoinPart:
    """A part of the portal's join page that reads query parameters of the join address (e.g. referrals'
    `?ref=<referral code>` and `?invite=<invite link>`).

    The page keeps `params` through its form; `context(request, merchant, values)` returns what `template`
    renders above the form (None: nothing to show, e.g. an unknown code); `profile(values)` returns the
    fields `customer_join` receives for them (only `referral_code` and `invite` are carried to the join).
    """

    key: str
    params: tuple[str, ...]
    template: str
    context: Callable[[Any, Any, dict], dict | None]
    profile: Callable[[dict], dict] | None = None
    order: int = 100


_portal_join: dict[str, PortalJoinPart] = {}


def portal_join_register(part: PortalJoinPart) -> None:
    _portal_join[part.key] = part


def portal_join_unregister(key: str) -> None:
    _portal_join.pop(key, None)


def portal_join_parts() -> tuple[PortalJoinPart, ...]:
    return _ordered(_portal_join)
