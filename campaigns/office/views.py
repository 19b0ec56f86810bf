"""The marketer's campaigns screens: the segment builder (live count, sample members, CSV), occasion
bonuses, draws, badges and NPS results. Owners and marketers only; everything scoped to the request's
merchant. Views parse input, call one service or selector, and render."""
from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.errors import ApplicationError
from accounts.permissions import OFFICE_ROLES, staff_required
from campaigns import selectors, services
from campaigns.api.views import members_csv_response
from campaigns.office.builder import (Builder, builder_apply, builder_errors, builder_from_post, builder_from_rules,
                                      builder_index, rules_from_builder)
from campaigns.services import badges as badge_services
from campaigns.services import surveys as survey_services
from loyalty.services.idempotency import idempotent_call

office = staff_required(*OFFICE_ROLES)
SAMPLE = 10


def _segment_or_404(request, code):
    segment = selectors.segment_get(merchant=request.merchant, code=code)
    if segment is None:
        raise Http404
    return segment


def _messages_of(error) -> list[str]:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return [f"{text}" for texts in error.message_dict.values() for text in texts]
        return list(error.messages)
    if isinstance(error, ApplicationError):
        return [error.message]
    return [str(error)]


@office
@require_GET
def segment_list(request):
    rows = [{"segment": segment, "count": selectors.segment_count(merchant=request.merchant, segment=segment)}
            for segment in selectors.segment_list(merchant=request.merchant)]
    return render(request, "campaigns/office/segments.html", {"rows": rows, "section": "segments"})


def _preview(request, builder: Builder) -> dict:
    """The live count and a sample of members for the rules in the form (nothing saved)."""
    try:
        members = selectors.segment_rules_customers(merchant=request.merchant, rules=rules_from_builder(builder))
        return {"count": selectors.members_count(members), "sample": list(members.order_by("-created_at", "-pk")[:SAMPLE]), "valid": True}
    except ValidationError as error:
        builder_errors(builder, error.message_dict)
        return {"count": None, "sample": [], "valid": False}


class BonusForm(forms.Form):
    points = forms.IntegerField(label=gettext_lazy("Points each"), min_value=1, max_value=1_000_000)
    ttl_days = forms.IntegerField(label=gettext_lazy("Valid for, days"), min_value=1, max_value=3650, required=False,
                                  help_text=gettext_lazy("Empty: the points never expire."))
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200,
                             help_text=gettext_lazy("Customers read it in their history, e.g. “Snowboarder's day”."))
    token = forms.CharField(widget=forms.HiddenInput)


@office
def segment_builder(request, code=None):
    segment = _segment_or_404(request, code) if code else None
    name = segment.name if segment else ""
    new_code = ""
    if request.method == "POST":
        builder = builder_from_post(request.POST)
        name = request.POST.get("name", "")[:200]
        new_code = request.POST.get("code", "")[:64]
        action = request.POST.get("action", "")
        if action and action != "save":
            builder_apply(builder, action)
        elif action == "save":
            data = {"name": name, "rules": rules_from_builder(builder)}
            try:
                if segment is None:
                    segment = services.segment_create(merchant=request.merchant, data={**data, "code": new_code}, actor=request.user)
                else:
                    services.segment_update(segment=segment, data=data, actor=request.user)
            except (ValidationError, ApplicationError) as error:
                if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
                    builder_errors(builder, error.message_dict)
                else:
                    builder.errors.extend(_messages_of(error))
                if segment is not None and not segment.pk:
                    segment = None
            else:
                messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
                return redirect("campaigns_office:segment", code=segment.code)
    else:
        builder = builder_from_rules(segment.rules) if segment else Builder()
    preview = _preview(request, builder)
    if request.method == "POST" and request.POST.get("action", "") != "save":
        # Adding or removing a row: a row not filled in yet is not an error (the count card says what is missing).
        for group in builder.groups:
            for row in group.rows:
                row.errors = []
    builder_index(builder)
    bonus_form = BonusForm(initial={"token": uuid.uuid4().hex}) if segment else None
    context = {"segment": segment, "builder": builder, "name": name, "code": new_code, "preview": preview,
               "bonus_form": bonus_form, "section": "segments",
               "bonuses": selectors.bonus_list(merchant=request.merchant, segment=segment)[:10] if segment else []}
    if request.htmx and request.method == "POST":
        return render(request, "campaigns/office/_builder.html", context)
    return render(request, "campaigns/office/segment_builder.html", context)


@office
@require_POST
def segment_preview(request):
    builder = builder_from_post(request.POST)
    return render(request, "campaigns/office/_preview.html", {"preview": _preview(request, builder), "builder": builder})


@office
@require_GET
def segment_export(request, code):
    segment = _segment_or_404(request, code)
    members = selectors.segment_customers(merchant=request.merchant, segment=segment).order_by("-created_at", "-pk")
    return members_csv_response(members, zone=ZoneInfo(request.merchant.timezone), filename=f"segment-{segment.code}.csv")


@office
@require_POST
def segment_delete(request, code):
    segment = _segment_or_404(request, code)
    services.segment_delete(segment=segment, actor=request.user)
    messages.success(request, _("Segment “%(name)s” deleted.") % {"name": segment.name})
    return redirect("campaigns_office:segments")


@office
@require_POST
def segment_bonus(request, code):
    """Credit every member once. The form carries a one-time token used as the Idempotency-Key, so a
    double click or a reload credits nothing more."""
    segment = _segment_or_404(request, code)
    form = BonusForm(request.POST)
    if not form.is_valid():
        for texts in form.errors.values():
            for text in texts:
                messages.error(request, text)
        return redirect("campaigns_office:segment", code=segment.code)
    data = {"points": form.cleaned_data["points"], "ttl_days": form.cleaned_data["ttl_days"], "reason": form.cleaned_data["reason"]}

    def run():
        bonus = services.segment_bonus_give(segment=segment, data=data, staff=request.user)
        return 201, {"customers": bonus.customers, "points": bonus.customers * bonus.points}

    try:
        _status, body, replayed = idempotent_call(merchant=request.merchant, key=f"office-bonus-{form.cleaned_data['token'][:64]}",
                                                  endpoint=f"segments.bonus:{segment.code}", data=data, run=run)
    except (ValidationError, ApplicationError) as error:
        for text in _messages_of(error):
            messages.error(request, text)
    else:
        messages.success(request, _("%(points)s points credited to %(customers)s customers.") % body if not replayed
                         else _("This bonus was already given: %(customers)s customers.") % body)
    return redirect("campaigns_office:segment", code=segment.code)


# --- draws -----------------------------------------------------------------------------------------

class DrawForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("campaigns", "Name"), max_length=200)
    code = forms.RegexField(label=gettext_lazy("Code"), regex=r"^[A-Za-z0-9_-]{1,64}$", max_length=64,
                            help_text=gettext_lazy("Latin letters, digits, - and _."))
    segment = forms.ChoiceField(label=gettext_lazy("Participants"), required=False)
    winners = forms.IntegerField(label=gettext_lazy("Winners"), min_value=1, max_value=1000, initial=3)
    points = forms.IntegerField(label=gettext_lazy("Prize, points"), min_value=1, max_value=1_000_000, initial=1000)
    ttl_days = forms.IntegerField(label=gettext_lazy("Prize points valid for, days"), min_value=1, max_value=3650, required=False)
    draw_at = forms.DateTimeField(label=gettext_lazy("Draw at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                  input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", _("Every member"))] + [
            (segment.code, segment.name) for segment in selectors.segment_list(merchant=merchant)]


@office
def draw_list(request):
    merchant = request.merchant
    zone = ZoneInfo(merchant.timezone)
    if request.method == "POST":
        form = DrawForm(request.POST, merchant=merchant)
        if form.is_valid():
            data = form.cleaned_data
            moment = data["draw_at"].replace(tzinfo=None) if timezone.is_aware(data["draw_at"]) else data["draw_at"]
            body = {"code": data["code"], "name": data["name"], "segment": data["segment"] or None, "winners": data["winners"],
                    "prize": {"points": data["points"], "ttl_days": data["ttl_days"]},
                    "draw_at": moment.replace(tzinfo=zone).isoformat()}
            try:
                draw = services.draw_create(merchant=merchant, data=body, actor=request.user)
            except (ValidationError, ApplicationError) as error:
                for text in _messages_of(error):
                    form.add_error(None, text)
            else:
                messages.success(request, _("Draw “%(name)s” scheduled. Its commitment is published below.") % {"name": draw.name})
                return redirect("campaigns_office:draws")
    else:
        form = DrawForm(merchant=merchant, initial={"draw_at": (timezone.now().astimezone(zone) + timedelta(days=7)).strftime("%Y-%m-%dT%H:00")})
    return render(request, "campaigns/office/draws.html", {"form": form, "draws": list(selectors.draw_list(merchant=merchant)),
                                                           "section": "engagement", "tab": "draws"})


@office
@require_POST
def draw_run(request, code):
    draw = selectors.draw_get(merchant=request.merchant, code=code)
    if draw is None:
        raise Http404
    draw = services.draw_run(draw=draw)
    messages.success(request, _("Draw “%(name)s” done: %(n)s participants.") % {"name": draw.name, "n": draw.participants})
    return redirect("campaigns_office:draws")


# --- badges ----------------------------------------------------------------------------------------

class BadgeForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("campaigns", "Name"), max_length=200)
    code = forms.RegexField(label=gettext_lazy("Code"), regex=r"^[A-Za-z0-9_-]{1,64}$", max_length=64)
    rule = forms.ChoiceField(label=gettext_lazy("Earned for"), choices=[
        ("first_purchase", gettext_lazy("The first purchase")), ("purchases", gettext_lazy("N purchases")),
        ("referrals", gettext_lazy("N friends invited")), ("survey", gettext_lazy("Answering the survey"))])
    n = forms.IntegerField(label=gettext_lazy("N"), min_value=1, max_value=100_000, required=False)
    points = forms.IntegerField(label=gettext_lazy("Points on earning"), min_value=0, max_value=1_000_000, required=False, initial=0)


@office
def badge_list(request):
    merchant = request.merchant
    if request.method == "POST":
        form = BadgeForm(request.POST)
        if form.is_valid():
            try:
                badge = badge_services.badge_create(merchant=merchant, data={key: value for key, value in form.cleaned_data.items()
                                                                              if value is not None})
                badge_services.badges_award(merchant=merchant)
            except (ValidationError, ApplicationError) as error:
                if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
                    for key, texts in error.message_dict.items():
                        for text in texts:
                            form.add_error(key if key in form.fields else None, text)
                else:
                    form.add_error(None, _messages_of(error)[0])
            else:
                messages.success(request, _("Badge “%(name)s” created.") % {"name": badge.name})
                return redirect("campaigns_office:badges")
    else:
        form = BadgeForm()
    stats = badge_services.badge_stats(merchant=merchant)
    rows = [{"badge": badge, "earned": stats.get(badge.pk, 0)} for badge in selectors.badge_list(merchant=merchant)]
    return render(request, "campaigns/office/badges.html", {"form": form, "rows": rows, "section": "engagement", "tab": "badges",
                                                            "leaderboard": selectors.leaderboard_settings(merchant=merchant)})


@office
@require_POST
def leaderboard_settings(request):
    metric = request.POST.get("metric")
    badge_services.leaderboard_configure(merchant=request.merchant, enabled=request.POST.get("enabled") == "on",
                                         metric=metric if metric in ("spend", "purchases") else "purchases")
    messages.success(request, _("Leaderboard settings saved."))
    return redirect("campaigns_office:badges")


# --- NPS -------------------------------------------------------------------------------------------

@office
@require_GET
def nps_report(request):
    merchant = request.merchant
    zone = ZoneInfo(merchant.timezone)
    today = timezone.now().astimezone(zone).date()
    try:
        period = survey_services.period_parse(request.GET.get("from") or None, request.GET.get("to") or None, today=today)
    except ValidationError as error:
        messages.error(request, " ".join(_messages_of(error)))
        period = (today - timedelta(days=29), today)
    report = survey_services.nps_report(merchant=merchant, date_from=period[0], date_to=period[1])
    comments = selectors.survey_comments(merchant=merchant, date_from=period[0], date_to=period[1])[:50]
    return render(request, "campaigns/office/nps.html", {"report": report, "comments": comments, "date_from": period[0],
                                                         "date_to": period[1], "section": "engagement", "tab": "nps"})
