from django import template
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from dealerops import formats
from dealerops.tables import Column, display

register = template.Library()


@register.simple_tag(takes_context=True)
def table_body(context, columns: list[Column], rows) -> SafeString:
    """The table's rows, written here rather than by a template loop: a page of the ledger has
    650 cells, and a template tag per cell cost more than the page's queries."""
    user = context["request"].user
    openings = [
        format_html('<td data-label="{}"{}>', column.label, mark_safe(' class="num"') if column.numeric else "")
        for column in columns
    ]
    pairs = list(zip(openings, columns, strict=True))
    return format_html_join("", "<tr>{}</tr>", ((_row_cells(pairs, row, user),) for row in rows))


def _row_cells(pairs: list[tuple[str, Column]], row, user) -> SafeString:
    return format_html_join("", "{}{}</td>", ((opening, _cell(column, row, user)) for opening, column in pairs))


def _cell(column: Column, row, user) -> str:
    """One cell's HTML: its text (escaped), a link to the row's or a related object's page, a badge."""
    text = conditional_escape(display(column, row, user))
    target = row if column.link is True else Column("", column.link).raw(row) if column.link else None
    if target is not None and hasattr(target, "get_absolute_url"):
        text = format_html('<a href="{}">{}</a>', target.get_absolute_url(), text)
    if column.badge and getattr(row, column.badge[0]):
        text = format_html('<span>{} <span class="badge warning">{}</span></span>', text, column.badge[1])
    return text


@register.simple_tag(takes_context=True)
def sort_link(context, column: Column) -> str:
    """Query string that sorts by ``column``, toggling direction, keeping the other filters."""
    query = context["request"].GET.copy()
    current = query.get("ordering") or context.get("default_ordering", "")
    query["ordering"] = f"-{column.order}" if current == column.order else column.order
    query.pop("page", None)
    return "?" + query.urlencode()


@register.simple_tag(takes_context=True)
def sort_mark(context, column: Column) -> str:
    current = context["request"].GET.get("ordering") or context.get("default_ordering", "")
    return {column.order: " ▲", f"-{column.order}": " ▼"}.get(current, "")


# Every figure a template prints goes through one of these (``dealerops.formats``): a raw
# ``{{ value }}`` of a Decimal or float prints whatever precision the database returned.


@register.filter
def yuan(value) -> str:
    return formats.format_yuan(value)


@register.filter
def percent(value, places: int = 2) -> str:
    """0.0075 -> "0.75 %" (rates and shares are stored as fractions)."""
    return formats.format_percent(value, int(places))


@register.filter
def count(value) -> str:
    """12345 -> "12,345"."""
    return formats.format_count(value)


@register.filter
def number(value, places: int = formats.SCORE_PLACES) -> str:
    """A score or measure to a fixed precision: 49.6099999… -> "49.61"; ``number:1`` -> "49.6"."""
    return formats.format_number(value, int(places))


@register.filter
def signed(value, places: int = formats.SCORE_PLACES) -> str:
    """A change with its sign: "+3.20", "-1.05"; ``signed:1`` -> "+3.2"."""
    return formats.format_signed(value, int(places))


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key)
