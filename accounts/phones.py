"""Phone numbers: everything typed at a counter or sent by a POS becomes E.164."""
import phonenumbers


def phone_normalize(*, raw: str, region: str) -> str | None:
    """Return the E.164 form of `raw`, or None when it is not a valid number.

    A Russian cashier types `8 (999) 123-45-67`: the trunk prefix 8 is the national form of +7,
    which phonenumbers understands when the default region is RU.
    """
    text = (raw or "").strip()
    if not text or len(text) > 40:
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    candidates = [text]
    # "79991234567" without a plus is the international form missing its "+".
    if not text.startswith("+") and len(digits) >= 11:
        candidates.append("+" + digits)
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def phone_display(e164: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164
