"""Agents, families and charity plugged into loyalty: register() is called from ReferralsConfig.ready()."""
from django.utils.translation import gettext as _
from django.utils.translation import ngettext  # noqa: F401


def _texts() -> None:
    from loyalty.texts import message_register

    message_register("entry.donation", lambda p: _("Donated to %(fund)s") % p, short=lambda p: "%(fund)s" % p)


def register() -> None:
    _texts()
