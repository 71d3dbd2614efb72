from django import template
from django.utils.html import format_html

from dealerops.tables import Column, display, format_percent, format_yuan

register = template.Library()


@register.simple_tag(takes_context=True)
def cell(context, column: Column, row):
    text = display(column, row, context["request"].user)
    target = row if column.link is True else Column("", column.link).raw(row) if column.link else None
    if target is not None and hasattr(target, "get_absolute_url"):
        return format_html('<a href="{}">{}</a>', target.get_absolute_url(), text)
    return text


@register.simple_tag(takes_context=True)
def sort_link(context, column: Column) -> str:
    """Query string that sorts by ``column``, toggling direction, keeping the other filters."""
    query = context["request"].GET.copy()
    current = query.get("ordering", "")
    query["ordering"] = f"-{column.order}" if current == column.order else column.order
    query.pop("page", None)
    return "?" + query.urlencode()


@register.simple_tag(takes_context=True)
def sort_mark(context, column: Column) -> str:
    current = context["request"].GET.get("ordering", "")
    return {column.order: " ▲", f"-{column.order}": " ▼"}.get(current, "")


@register.filter
def yuan(value) -> str:
    return "–" if value in (None, "") else format_yuan(value)


@register.filter
def percent(value) -> str:
    """0.0075 -> "0.75 %" (rates and shares are stored as fractions)."""
    return "–" if value in (None, "") else format_percent(value)


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key)


@register.filter
def grouped(value) -> str:
    """12000 -> "12,000": counts with thousands separators, in every language (as list cells)."""
    return "–" if value in (None, "") else f"{value:,}"
