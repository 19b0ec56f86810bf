"""Parts of the counter's frame that every counter page shows."""
from django import template

from loyalty.counter.stores import counter_store_choices

register = template.Library()


@register.inclusion_tag("counter/partials/_store.html", takes_context=True)
def counter_store_picker(context):
    """The store sales go to, with a picker when the merchant has more than one active store."""
    request = context["request"]
    if getattr(request, "merchant", None) is None:
        return {"store": None, "stores": []}
    return {**counter_store_choices(request), "request": request, "csrf_token": context.get("csrf_token")}
