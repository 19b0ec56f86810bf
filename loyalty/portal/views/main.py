"""The customer portal: join, sign in with a one-time code, balance and history, profile.

A portal session stores the signed-in customer's id per merchant slug; every page resolves it
within that merchant, so a customer only ever sees their own account.
"""
from __future__ import annotations

from functools import wraps

import segno
from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from accounts.client_ip import client_ip
from accounts.errors import ApplicationError, ValidationError
from accounts.phones import phone_display
from accounts.portal_auth import (
    customer_profile_update,
    join_code_request,
    login_code_request,
    login_code_verify,
    portal_join_enabled,
)
from accounts.selectors import customer_get, merchant_get
from loyalty import selectors, services
from loyalty.extensions import portal_join_parts
from loyalty.portal.forms import CodeForm, JoinForm, LoginForm, ProfileForm

# What join-page parts may add to the join: the customer fields accounts knows.
JOIN_PROFILE_KEYS = ("referral_code", "invite")
SESSION_KEY = "portal"
PENDING_KEY = "portal_pending"
HISTORY_LIMIT = 100


def _session_map(request, key: str) -> dict:
    value = request.session.get(key)
    return dict(value) if isinstance(value, dict) else {}


def _signed_in(request, merchant):
    customer_id = _session_map(request, SESSION_KEY).get(merchant.slug)
    return customer_get(merchant=merchant, customer_id=customer_id) if customer_id else None


def _sign_in(request, merchant, customer) -> None:
    # A new session key on sign-in, so a session id planted before it is worthless after.
    request.session.cycle_key()
    signed = _session_map(request, SESSION_KEY)
    signed[merchant.slug] = str(customer.pk)
    request.session[SESSION_KEY] = signed
    pending = _session_map(request, PENDING_KEY)
    pending.pop(merchant.slug, None)
    request.session[PENDING_KEY] = pending


def _set_pending(request, merchant, subject: str, *, join_phone: str = "") -> None:
    """Remember which request the code page checks codes against (never whether anyone matched)."""
    pending = _session_map(request, PENDING_KEY)
    pending[merchant.slug] = {"subject": subject, "join_phone": join_phone}
    request.session[PENDING_KEY] = pending


def _pending(request, merchant) -> dict | None:
    value = _session_map(request, PENDING_KEY).get(merchant.slug)
    return value if isinstance(value, dict) and value.get("subject") else None


def _with_language(response, language: str):
    if language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def portal_view(*, signed_in: bool):
    """Resolve the merchant from the slug (404 if unknown) and, for member pages, the customer."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, merchant_slug, *args, **kwargs):
            merchant = merchant_get(slug=merchant_slug)
            if merchant is None:
                raise Http404
            request.merchant = merchant
            request.portal_customer = _signed_in(request, merchant)
            if signed_in and request.portal_customer is None:
                return redirect("portal:login", merchant_slug=merchant.slug)
            return view(request, merchant, *args, **kwargs)

        return wrapper

    return decorator


def _render(request, template: str, context: dict, status: int = 200):
    context = {"merchant": request.merchant, "customer": request.portal_customer, **context}
    return render(request, template, context, status=status)


def _apply_errors(form, exc: ValidationError) -> None:
    for field, messages in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


@portal_view(signed_in=True)
def portal_home(request, merchant):
    customer = request.portal_customer
    # A full QR code, not a Micro QR (which segno would pick for 13 digits): till scanners read it.
    qr = segno.make_qr(customer.card_number, error="m")
    return _render(request, "portal/home.html", {
        "balance": selectors.balance_get(merchant=merchant, customer=customer),
        "expiring": selectors.expiring_get(merchant=merchant, customer=customer),
        "entries": list(selectors.entry_list(merchant=merchant, customer=customer)[:HISTORY_LIMIT]),
        "qr_svg": mark_safe(qr.svg_inline(scale=5, border=2, dark="#141a26", omitsize=True)),
        "card_number": customer.card_number,
        **selectors.customer_tier_panel(merchant=merchant, customer=customer, now=timezone.now()),
        "tiers": list(selectors.tier_list(merchant=merchant)),
        "unread": selectors.customer_messages_unread(merchant=merchant, customer=customer),
    })


@portal_view(signed_in=False)
def portal_join(request, merchant):
    """Join with a code sent by SMS to the typed phone; the customer is created when it comes back.

    Without an SMS backend the phone cannot be proved, so the page only says to join at the counter.
    The answer is the same whether or not the phone or email already belongs to a member.
    """
    if request.portal_customer is not None:
        return redirect("portal:home", merchant_slug=merchant.slug)
    parts, carried, extra_profile = _join_parts(request, merchant)
    if not portal_join_enabled():
        return _render(request, "portal/join.html", {"form": None, "join_enabled": False, "join_parts": parts, "join_carried": carried})
    form = JoinForm(request.POST or None, region=merchant.country)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            subject = join_code_request(
                merchant=merchant, phone=data["phone"], ip=client_ip(request), language=translation.get_language() or "",
                profile={**{key: data[key] for key in ("name", "email", "consent_email", "consent_sms")}, **extra_profile},
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            _set_pending(request, merchant, subject, join_phone=phone_display(data["phone"]))
            return redirect("portal:code", merchant_slug=merchant.slug)
    return _render(request, "portal/join.html", {"form": form, "join_enabled": True, "join_parts": parts, "join_carried": carried},
                   status=422 if form.errors else 200)


def _join_parts(request, merchant) -> tuple[list[dict], list[tuple[str, str]], dict]:
    """The registered join-page parts (loyalty.extensions.portal_join_register) for this address: what each
    shows, the parameters the form carries on, and the profile fields they add to the join."""
    parts, carried, profile = [], [], {}
    for part in portal_join_parts():
        values = {}
        for name in part.params:
            value = (request.POST.get(name) if request.method == "POST" else None) or request.GET.get(name) or ""
            values[name] = value.strip()[:64] if isinstance(value, str) else ""
            if values[name]:
                carried.append((name, values[name]))
        if not any(values.values()):
            continue
        context = part.context(request, merchant, values)
        if context is None:
            continue
        parts.append({"template": part.template, "context": context})
        if part.profile is not None:
            profile.update({key: value for key, value in part.profile(values).items() if key in JOIN_PROFILE_KEYS})
    return parts, carried, profile


@portal_view(signed_in=False)
def portal_login(request, merchant):
    if request.portal_customer is not None:
        return redirect("portal:home", merchant_slug=merchant.slug)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subject = login_code_request(merchant=merchant, identifier=form.cleaned_data["identifier"], ip=client_ip(request))
        except ValidationError as exc:
            _apply_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            # The same answer whether or not anyone matched, so the form cannot be used to learn who is a member.
            _set_pending(request, merchant, subject)
            return redirect("portal:code", merchant_slug=merchant.slug)
    return _render(request, "portal/login.html", {"form": form, "join_enabled": portal_join_enabled()},
                   status=422 if form.errors else 200)


@portal_view(signed_in=False)
def portal_code(request, merchant):
    pending = _pending(request, merchant)
    if pending is None:
        return redirect("portal:login", merchant_slug=merchant.slug)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            spent = login_code_verify(merchant=merchant, subject=pending["subject"], code=form.cleaned_data["code"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        except ApplicationError as exc:
            form.add_error("code", exc.message)
        else:
            customer = spent.customer or services.customer_join_from_code(merchant=merchant, login_code=spent)
            _sign_in(request, merchant, customer)
            return _with_language(redirect("portal:home", merchant_slug=merchant.slug), customer.language)
    join_phone = pending.get("join_phone") or ""
    back = "portal:join" if join_phone else "portal:login"
    return _render(request, "portal/code.html", {"form": form, "join_phone": join_phone, "back_url": back,
                                                 "sms_enabled": portal_join_enabled()},
                   status=422 if form.errors else 200)


@portal_view(signed_in=True)
def portal_profile(request, merchant):
    customer = request.portal_customer
    locked = customer.birthday is not None
    initial = {
        "name": customer.name, "email": customer.email, "birthday": customer.birthday,
        "consent_email": customer.consent_email, "consent_sms": customer.consent_sms,
        "consent_push": customer.consent_push, "language": customer.language,
    }
    form = ProfileForm(request.POST or None, initial=initial, birthday_locked=locked)
    saved = request.GET.get("saved") == "1"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            customer_profile_update(
                customer=customer, name=data["name"], email=data["email"], birthday=data["birthday"],
                consent_email=data["consent_email"], consent_sms=data["consent_sms"], consent_push=data["consent_push"],
                language=data["language"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            response = redirect(f"{request.path}?saved=1")
            return _with_language(response, data["language"])
    return _render(request, "portal/profile.html", {"form": form, "saved": saved, "phone": phone_display(customer.phone), "birthday_locked": locked},
                   status=422 if form.errors else 200)


def _program_page(request, merchant, kind: str):
    from loyalty.documents import page_default, page_render
    from loyalty.models import ProgramPage

    page = selectors.program_page_get(merchant=merchant, kind=kind)
    written = page is not None and bool(page.body)
    body = page.body if written else page_default(kind=kind, merchant=merchant, program=selectors.program_get(merchant=merchant))
    return _render(request, "portal/page.html", {
        "kind": kind, "title": ProgramPage.Kind(kind).label, "html": page_render(body), "written": written, "page": page,
    })


@portal_view(signed_in=False)
def portal_rules(request, merchant):
    """The program rules, public: the join form's consent links here."""
    return _program_page(request, merchant, "rules")


@portal_view(signed_in=False)
def portal_privacy(request, merchant):
    """The privacy policy, public: the join form's consent links here."""
    return _program_page(request, merchant, "privacy")


@require_POST
@portal_view(signed_in=False)
def portal_logout(request, merchant):
    signed = _session_map(request, SESSION_KEY)
    signed.pop(merchant.slug, None)
    request.session[SESSION_KEY] = signed
    return redirect("portal:login", merchant_slug=merchant.slug)
