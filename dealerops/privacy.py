"""Customers' phone numbers: the one rule of what a mainland mobile number is (customers and
leads alike), and how roles without a need for them see them: 138****1234."""

import re

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

PHONE_PATTERN = r"^1[3-9][0-9]{9}$"
phone_validator = RegexValidator(PHONE_PATTERN, _("Enter an 11-digit mainland mobile number, e.g. 13812341234."))

# A mainland mobile number inside any text (a file's header cell, say), not part of a longer number.
_PHONE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def mask_phone(phone: str) -> str:
    """138****1234: keep the carrier prefix and the last four digits."""
    if len(phone) < 8:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def mask_phones_in(text: str) -> str:
    """``text`` with every mobile number in it masked (a file without a header row has its
    first data row, phones and all, where the headers would be)."""
    return _PHONE_IN_TEXT.sub(lambda match: mask_phone(match.group()), text)
