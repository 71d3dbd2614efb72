"""The unified social credit code (统一社会信用代码, GB 32100-2015): the 18 characters on a
company's business licence that identify it nationwide, so two applications for one company
are told apart from two companies of one name.

Its characters are the digits and the 21 capitals that cannot be misread (no I, O, S, V, Z);
characters 3–8 are the registering authority's administrative division (digits), and the
18th is a check character: 31 minus the weighted sum of the first 17 modulo 31 (31 itself
written 0), weights 3^i mod 31."""

import re
import unicodedata

from django.utils.translation import gettext as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {char: value for value, char in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
LENGTH = 18
# Typed with spaces or hyphens between groups, or in full-width characters from a Chinese IME.
_SEPARATORS = re.compile(r"[\s\-‐–—]+")


def licence_normalised(text: str) -> str:
    """The code as stored: full-width characters folded, separators dropped, upper case."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def check_character(first17: str) -> str:
    remainder = sum(VALUE[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True)) % 31
    return ALPHABET[(31 - remainder) % 31]


def licence_refusal(code: str) -> str | None:
    """Why a normalised code is not a unified social credit code, or None when it is one."""
    if len(code) != LENGTH:
        return _("A unified social credit code has 18 characters; this one has %(count)s.") % {"count": len(code)}
    wrong = sorted({char for char in code if char not in VALUE})
    if wrong:
        return _(
            "“%(chars)s” cannot be in a unified social credit code (digits and capitals without I, O, S, V, Z)."
        ) % {"chars": "".join(wrong)}
    if not code[2:8].isdigit():
        return _("Characters 3 to 8 of a unified social credit code are digits (the administrative division).")
    if check_character(code[:17]) != code[17]:
        return _("The last character does not match the others: check the code on the business licence.")
    return None
