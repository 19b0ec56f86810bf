"""The program's text pages (rules, privacy policy) that the owner or a marketer writes in the back-office."""
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ValidationError
from accounts.models import Merchant, User
from accounts.services import audit_record
from loyalty.models import ProgramPage

PAGE_MAX_LENGTH = 50_000


@transaction.atomic
def program_page_save(*, merchant: Merchant, kind: str, body: str, actor: User | None) -> ProgramPage:
    """Publish the text of a page at once (an empty body brings back the default text); audited.

    Raises:
        ValidationError: an unknown kind, a body too long or with characters that cannot be stored.
    """
    if kind not in ProgramPage.Kind.values:
        raise ValidationError({"kind": [_("Unknown page.")]})
    body = (body or "").replace("\r\n", "\n").strip()
    if len(body) > PAGE_MAX_LENGTH:
        raise ValidationError({"body": [_("Keep the text under %(n)s characters.") % {"n": f"{PAGE_MAX_LENGTH:,}"}]})
    if "\x00" in body or any(0xD800 <= ord(ch) <= 0xDFFF for ch in body):
        raise ValidationError({"body": [_("The text contains characters that cannot be stored.")]})
    page, _created = ProgramPage.objects.select_for_update().get_or_create(merchant=merchant, kind=kind)
    if page.body == body:
        return page
    before = len(page.body)
    page.body = body
    page.updated_at = timezone.now()
    page.updated_by = actor
    page.save()
    audit_record(merchant=merchant, actor=actor, action="page.updated", target=kind, data={"kind": kind, "length": [before, len(body)]})
    return page
