"""Web Push subscriptions: a customer allows notifications in the portal; campaigns.channels sends to them."""
from django.db import IntegrityError, transaction

from accounts.models import Customer
from campaigns.models import PushSubscription


def push_subscription_save(*, customer: Customer, data) -> bool:
    """Save {"endpoint": "https://...", "keys": {"p256dh", "auth"}}; False when it is malformed. Saving twice keeps one."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        return False
    endpoint, keys = data.get("endpoint"), data["keys"]
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not (isinstance(endpoint, str) and endpoint.startswith("https://") and len(endpoint) <= 500):
        return False
    if not (isinstance(p256dh, str) and isinstance(auth, str) and 0 < len(p256dh) <= 200 and 0 < len(auth) <= 100):
        return False
    try:
        with transaction.atomic():
            PushSubscription.objects.update_or_create(customer=customer, endpoint=endpoint, defaults={
                "merchant_id": customer.merchant_id, "p256dh": p256dh, "auth": auth})
    except IntegrityError:
        return False
    return True
