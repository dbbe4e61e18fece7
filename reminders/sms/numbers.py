"""Phone numbers: read with ``phonenumbers`` into E.164, and masked for logs.

A number is kept only if it can reach a mobile phone (a mobile number, or
one that may be either, as every North American number is); landlines,
toll-free and premium numbers cannot get texts. Errors never repeat the
number, so a message about a bad row exposes nobody.

``phonenumbers`` is imported on first use: loading its metadata takes a tenth
of a command's start, and most runs read no phone number.
"""

from __future__ import annotations

__all__ = ["mask_number", "parse_phone"]


def parse_phone(text: str, region: str = "US") -> str:
    """The E.164 form of ``text`` (``+16175550100``); ValueError if it cannot get texts."""
    import phonenumbers
    from phonenumbers import NumberParseException, PhoneNumberType

    textable = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        raise ValueError("is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("is not a valid phone number")
    if phonenumbers.number_type(number) not in textable:
        raise ValueError("is not a mobile number (texts need one)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_number(number: str) -> str:
    """Hide a number for logs: ``+16175550100`` -> ``+1 ••• ••• 0100``."""
    import phonenumbers
    from phonenumbers import NumberParseException

    try:
        code = str(phonenumbers.parse(number, None).country_code)
    except NumberParseException:
        code = ""
    return f"+{code} ••• ••• {number[-4:]}" if code else "•••"
