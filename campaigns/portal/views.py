"""Portal actions of the campaigns app: answer the NPS question, join or leave the leaderboard.
Plain POST forms (work without JavaScript); with htmx the section is re-rendered in place."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import ApplicationError
from campaigns.portal.sections import section_context
from campaigns.services import badges as badge_services
from campaigns.services import surveys as survey_services
from loyalty.portal.views.main import portal_view


def _back(request, merchant, template: str):
    if request.htmx:
        context = {"merchant": merchant, "customer": request.portal_customer, **section_context(request, request.portal_customer)}
        return render(request, template, context)
    return redirect("portal:home", merchant_slug=merchant.slug)


@require_POST
@portal_view(signed_in=True)
def survey_answer_view(request, merchant):
    try:
        survey_services.survey_answer(merchant=merchant, customer=request.portal_customer,
                                      data={"score": request.POST.get("score"), "comment": request.POST.get("comment", ""),
                                            "receipt": request.POST.get("receipt")})
    except ValidationError as error:
        request.survey_error = " ".join(text for texts in error.message_dict.values() for text in texts)
        messages.error(request, request.survey_error)
    except ApplicationError as error:
        messages.info(request, error.message)
    else:
        messages.success(request, _("Thank you for your answer!"))
    return _back(request, merchant, "campaigns/portal/_survey.html")


@require_POST
@portal_view(signed_in=True)
def leaderboard_view(request, merchant):
    join = request.POST.get("join") == "1"
    badge_services.leaderboard_join(customer=request.portal_customer, join=join)
    messages.success(request, _("You are on the leaderboard.") if join else _("You have left the leaderboard."))
    return _back(request, merchant, "campaigns/portal/_section.html")
