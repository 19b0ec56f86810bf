"""Render what apps registered in loyalty.extensions: the back-office menu, the counter's customer
panel and the portal's home sections. Templates name no app; they render the registry in order."""
from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe

from loyalty.extensions import counter_panel, office_menu, portal_sections

register = template.Library()


@register.simple_tag(takes_context=True)
def office_menu_entries(context) -> list[dict]:
    """The menu entries the signed-in member's role may see, in order, with their URLs and whether
    each is the current page (`aria-current`)."""
    request = context["request"]
    membership = getattr(request, "membership", None)
    role = getattr(membership, "role", None) or ""
    path = request.path
    entries = []
    for entry in office_menu(role):
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        prefix = entry.prefix or url
        current = path == prefix if entry.exact else path.startswith(prefix)
        entries.append({"key": entry.key, "label": entry.label, "url": url, "current": current})
    return entries


def _render_parts(context, parts, customer) -> str:
    request = context["request"]
    html = []
    for part in parts:
        extra = part.context(request, customer) if part.context is not None else {}
        with context.push(**(extra or {})):
            html.append(context.template.engine.get_template(part.template).render(context))
    return mark_safe("".join(html))


@register.simple_tag(takes_context=True)
def counter_panel_parts(context) -> str:
    """The counter's customer panel: each registered part's template, with its own context added."""
    return _render_parts(context, counter_panel(), context.get("customer"))


@register.simple_tag(takes_context=True)
def portal_home_sections(context) -> str:
    """The portal home: each registered section's template, with its own context added."""
    return _render_parts(context, portal_sections(), context.get("customer"))
