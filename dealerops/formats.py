"""How every figure is written: on pages (template filters in ``dealerops.templatetags.tables``,
list cells in ``dealerops.tables``, KPIs built in Python) and in chart hover texts and axes
(each app's ``charts`` module). One precision per kind of figure, rounded half-up, so the
same number reads the same everywhere and no float ever reaches a page unrounded.

- counts: whole numbers with thousands separators (``12,345``);
- scores and other measures: two decimals (``49.61``), or the places asked for;
- money: yuan with two decimals (``¥1,234.50``); on charts in 元 / 万元 / 亿元 by size;
- rates and shares, stored as fractions: percent with two decimals (``0.75 %``), or fewer.
"""

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

MISSING = "–"
SCORE_PLACES = 2

# A chart's money unit by the size of its largest value: (divisor, label).
WAN = Decimal(10_000)
YI = Decimal(100_000_000)


def _decimal(value: int | float | Decimal | str) -> Decimal:
    # str() first: Decimal(0.1) would carry the float's binary error into the rounding.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def rounded(value: int | float | Decimal | str, places: int = SCORE_PLACES) -> Decimal:
    """``value`` rounded half-up to ``places`` decimals."""
    return _decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_count(value: int | float | Decimal | None) -> str:
    """12345 -> "12,345"."""
    if value is None or value == "":
        return MISSING
    return f"{rounded(value, 0):,.0f}"


def format_number(value: int | float | Decimal | str | None, places: int = SCORE_PLACES) -> str:
    """A measure with a fixed number of decimals: 49.6099999 -> "49.61", 1234.5 -> "1,234.50"."""
    if value is None or value == "":
        return MISSING
    try:
        return f"{rounded(value, places):,.{places}f}"
    except InvalidOperation:
        return str(value)


def format_signed(value: int | float | Decimal | None, places: int = SCORE_PLACES) -> str:
    """A change: "+3.20", "-1.05", "0.00"."""
    if value is None or value == "":
        return MISSING
    text = format_number(value, places)
    return f"+{text}" if rounded(value, places) > 0 else text


def format_yuan(value: int | float | Decimal | None) -> str:
    """¥1,234.50, and -¥41,779.34 for a negative amount."""
    if value is None or value == "":
        return MISSING
    amount = rounded(value, 2)
    return f"-¥{-amount:,.2f}" if amount < 0 else f"¥{amount:,.2f}"


def format_percent(value: int | float | Decimal | None, places: int = 2) -> str:
    """A rate or share stored as a fraction: 0.0075 -> "0.75 %"."""
    if value is None or value == "":
        return MISSING
    return f"{rounded(_decimal(value) * 100, places):,.{places}f} %"


def format_ratio(part: int | Decimal, whole: int | Decimal, places: int = 1) -> str:
    """``part`` as a percentage of ``whole`` ("–" when there is no whole): 3, 4 -> "75.0 %"."""
    if not whole:
        return MISSING
    return format_percent(_decimal(part) / _decimal(whole), places)


def money_unit(values: Iterable[int | float | Decimal | None]) -> tuple[Decimal, str]:
    """The unit a chart draws these amounts in, by the largest: 元, 万元 (10⁴) or 亿元 (10⁸).
    Returns (divisor, label)."""
    largest = max((abs(_decimal(value)) for value in values if value is not None), default=Decimal(0))
    if largest >= YI:
        return YI, _("100M yuan")
    if largest >= WAN:
        return WAN, _("10k yuan")
    return Decimal(1), _("yuan")


# Plotly axis settings that write ticks and hover values the way pages do (plotly's own
# default abbreviates with SI suffixes: 0.5B, 20k). Each app's ``charts`` module uses them.
COUNT_AXIS = {"tickformat": ",d", "hoverformat": ",d"}
SCORE_AXIS = {"tickformat": ",d", "hoverformat": ",.2f"}
PERCENT_AXIS = {"tickformat": ",.1~f", "hoverformat": ",.2f", "ticksuffix": " %"}
# Drawn in the unit ``money_unit`` picks (its label is the axis title; hover texts add it).
MONEY_AXIS = {"tickformat": ",.2~f", "hoverformat": ",.2f", "exponentformat": "none"}


def in_unit(value: int | float | Decimal | None, divisor: Decimal) -> float | None:
    """An amount as a plotting coordinate in a chart's money unit (figures only: tables and
    exports keep Decimals)."""
    return None if value is None else float(_decimal(value) / divisor)
