"""Portal: the customer dismisses one of their messages ("Welcome to Gold!"). A plain POST form,
so it works with JavaScript off; with htmx the message just disappears."""
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from loyalty.services.tiers import customer_message_read
from loyalty.portal.views.main import portal_view


@require_POST
@portal_view(signed_in=True)
def portal_message_read(request, merchant, message_id):
    customer_message_read(customer=request.portal_customer, message_id=message_id)
    if request.htmx:
        return HttpResponse("")
    return redirect("portal:home", merchant_slug=merchant.slug)
