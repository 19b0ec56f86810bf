"""Sending text messages through a pluggable backend, like Django's email backends.

`settings.SMS_BACKEND` names a class with `send(phone: str, text: str) -> None`; empty means the
platform sends no SMS and the portal sends codes by email only. Two backends ship here: the console
one prints messages (development) and the locmem one records them in `sms.outbox` (tests).
A gateway integration is one more class with a `send` method.
"""
import sys

from django.conf import settings
from django.utils.module_loading import import_string

outbox: list[dict] = []


class ConsoleSmsBackend:
    def send(self, phone: str, text: str) -> None:
        sys.stdout.write(f"SMS to {phone}: {text}\n")
        sys.stdout.flush()


class LocmemSmsBackend:
    def send(self, phone: str, text: str) -> None:
        outbox.append({"phone": phone, "text": text})


def sms_enabled() -> bool:
    return bool(getattr(settings, "SMS_BACKEND", ""))


def sms_send(*, phone: str, text: str) -> bool:
    """Send `text` to `phone`; False when no SMS backend is configured."""
    path = getattr(settings, "SMS_BACKEND", "")
    if not path:
        return False
    import_string(path)().send(phone, text)
    return True
