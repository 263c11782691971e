"""Partners' phone numbers, kept in E.164 form (+12015550123).

E.164 is what Twilio expects, and what it gives as the sender of a text a partner sends us, so
a STOP finds its partner by an exact match.
"""

import phonenumbers
from django.core.exceptions import ValidationError
from phonenumbers import PhoneNumberType

# Numbers of the US and Canada do not say whether they are mobile ones
# (FIXED_LINE_OR_MOBILE); they may be, so they are accepted.
_CAN_TAKE_TEXTS = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_phone(raw: str, region: str) -> str:
    """`raw` as a person typed it, in E.164 form. A number without a country code is read as
    one of `region` (a two-letter country code, e.g. "US"). Raises ValidationError when it is
    not a valid phone number."""
    invalid = ValidationError(
        f"Enter a valid phone number. A number from outside {region} starts with + and its "
        "country code, e.g. +44 7400 123456.",
        code="invalid_phone",
    )
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise invalid from None
    if not phonenumbers.is_valid_number(number):
        raise invalid
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def can_take_texts(phone: str) -> bool:
    """Whether a number in E.164 form may be a mobile one, able to receive text messages."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in _CAN_TAKE_TEXTS
