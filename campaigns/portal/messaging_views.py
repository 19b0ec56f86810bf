"""What the customer sees of messaging in the portal: the one-click unsubscribe landing page."""
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt

from accounts.services import customer_update
from campaigns.channels import CONSENT_FIELD, unsubscribe_read
from loyalty.portal.views.main import _render, portal_view


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a form; the signed token is the authority
@portal_view(signed_in=False)
def unsubscribe(request, merchant, token):
    """GET shows what the link does and a button (mail scanners follow GETs: they change nothing); POST unsubscribes."""
    found = unsubscribe_read(token, merchant=merchant)
    if found is None:
        raise Http404
    customer_id, channel = found
    customer = merchant.customers.filter(pk=customer_id).first()
    if customer is None:
        raise Http404
    done = False
    if request.method == "POST":
        if getattr(customer, CONSENT_FIELD[channel]):
            customer_update(customer=customer, **{CONSENT_FIELD[channel]: False})
        done = True
    return _render(request, "campaigns/portal/unsubscribe.html", {
        "target": customer, "channel": channel, "done": done or not getattr(customer, CONSENT_FIELD[channel]), "token": token})
