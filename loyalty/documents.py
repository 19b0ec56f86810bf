"""Program pages as the merchant writes them, rendered safely: plain text with a small markdown subset.

Supported: paragraphs (separated by an empty line; a single line break stays a line break),
headings (`# ` and `## ` at the start of a line), bullet lists (lines starting with `- ` or `* `),
and **bold**. Everything is HTML-escaped first, so any HTML typed shows as text and never runs.
"""
import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
BULLET = re.compile(r"^[-*]\s+")


def _inline(text: str) -> str:
    return BOLD.sub(r"<strong>\1</strong>", escape(text))


def _block(lines: list[str]) -> str:
    first = lines[0]
    if len(lines) == 1 and first.startswith("## "):
        return f"<h3>{_inline(first[3:].strip())}</h3>"
    if len(lines) == 1 and first.startswith("# "):
        return f"<h2>{_inline(first[2:].strip())}</h2>"
    if all(BULLET.match(line) for line in lines):
        items = "".join(f"<li>{_inline(BULLET.sub('', line))}</li>" for line in lines)
        return f"<ul>{items}</ul>"
    return "<p>" + "<br>".join(_inline(line) for line in lines) + "</p>"


def page_render(text: str) -> SafeString:
    """HTML for a page body: escaped text in paragraphs, headings, lists and bold, nothing else."""
    blocks, current = [], []
    for raw in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        if not line.strip():
            if current:
                blocks.append(current)
                current = []
            continue
        # A heading is always a block of its own.
        if line.startswith("# ") or line.startswith("## "):
            if current:
                blocks.append(current)
                current = []
            blocks.append([line])
            continue
        current.append(line.strip() if not BULLET.match(line.strip()) else line.strip())
    if current:
        blocks.append(current)
    return mark_safe("\n".join(_block(lines) for lines in blocks))


def page_default(*, kind: str, merchant, program) -> str:
    """The text shown until the merchant writes its own page: what the program's settings say, in the reader's language."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    from loyalty.templatetags.ui import money, percent, points

    if kind == "privacy":
        return "\n\n".join([
            _("What we keep: your phone number; the name, email, birthday and gender you give us; your purchases and points in the program."),
            _("Why: to credit and spend your points, to send you sign-in codes and, only if you agree, offers by email or SMS."),
            _("You can change what we may send you in your profile at any time. To see or correct your data, ask at the counter."),
        ])
    parts = [
        _("Membership is free. You join with your phone number at the counter or in this portal."),
        _("You earn **%(percent)s** of what you pay in money as points, rounded down to whole points.") % {"percent": percent(program.accrual_percent)},
        _("Points pay for up to %(percent)s of a receipt; one point is worth %(value)s.") % {
            "percent": percent(program.max_redeem_percent), "value": money(program.point_value, merchant)},
    ]
    if program.points_ttl_days:
        parts.append(ngettext("Points expire %(days)s day after they are credited.", "Points expire %(days)s days after they are credited.",
                              program.points_ttl_days) % {"days": program.points_ttl_days})
    else:
        parts.append(_("Points do not expire."))
    if program.pending_days:
        parts.append(ngettext("Points for a purchase can be spent %(days)s day after it.", "Points for a purchase can be spent %(days)s days after it.",
                              program.pending_days) % {"days": program.pending_days})
    if program.welcome_bonus:
        parts.append(ngettext("On joining you get a welcome bonus of %(points)s point.", "On joining you get a welcome bonus of %(points)s points.",
                              program.welcome_bonus) % {"points": points(program.welcome_bonus)})
    parts.append(_("When you return items, the points earned on them are taken back and the points spent on them are given back."))
    parts.append(_("These rules may change; the rules in force are always on this page."))
    return "\n\n".join(parts)
