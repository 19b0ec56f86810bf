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


@portal_view(signed_in=True)
def push_subscribe(request, merchant):
    """Save this browser's Web Push subscription for the signed-in customer (POST JSON from campaigns/push.js)."""
    import json

    from django.http import HttpResponseNotAllowed, JsonResponse

    from campaigns.pushes import push_subscription_save

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        data = None
    saved = push_subscription_save(customer=request.portal_customer, data=data)
    return JsonResponse({"saved": saved}, status=201 if saved else 400)


def push_worker(request, merchant_slug):
    """The service worker script, served under the portal so its scope is the portal's."""
    from django.contrib.staticfiles import finders
    from django.http import HttpResponse

    path = finders.find("campaigns/push-worker.js")
    with open(path, encoding="utf-8") as handle:
        response = HttpResponse(handle.read(), content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response
