"""Filter pieces shared by every app's FilterSets (pages and API use the same FilterSet)."""

import django_filters
from django.db.models import F, Q, QuerySet
from django.forms.utils import pretty_name
from django.forms.widgets import NullBooleanSelect
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_filters import CharFilter, ModelChoiceFilter
from django_filters.constants import EMPTY_VALUES

from dealerops.access import scope


class SearchFilter(CharFilter):
    """``?q=`` over several fields at once (icontains, OR-ed)."""

    def __init__(self, *, search_fields: list[str], **kwargs):
        kwargs.setdefault("label", _("Search"))
        super().__init__(**kwargs)
        self.search_fields = search_fields

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        value = (value or "").strip()
        if not value:
            return qs
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return qs.filter(condition)


def scoped_choices(model):
    """Choices for a ModelChoiceFilter limited to what the requesting user may see."""

    def queryset(request):
        if request is None:
            return model._default_manager.none()
        return scope(request.user, model)

    return queryset


class ScopedModelChoiceFilter(ModelChoiceFilter):
    def __init__(self, *, model, **kwargs):
        super().__init__(queryset=scoped_choices(model), **kwargs)
        self.choice_model = model


class AllYesNoSelect(NullBooleanSelect):
    """A yes/no filter's select whose empty choice reads "All" (Django's says "Unknown")."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", _("All")), ("true", _("Yes")), ("false", _("No"))]


class YesNoFilter(django_filters.BooleanFilter):
    """A filter on a yes/no field: all rows, only yes, or only no."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", AllYesNoSelect)
        super().__init__(*args, **kwargs)


class OrderingFilter(django_filters.OrderingFilter):
    """``?ordering=`` with its choices in the UI's language.

    django-filter formats "(descending)" once, when the FilterSet class is built, in whatever
    language is active then, and names a sort key without a label after the key itself
    (``msrp`` -> "Msrp"): give such keys a ``field_labels`` entry."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_label", _("Default order"))
        super().__init__(*args, **kwargs)

    def build_choices(self, fields, labels):
        choices = []
        for field, param in fields.items():
            label = labels.get(field, _(pretty_name(param)))
            choices.append((param, label))
            choices.append((f"-{param}", labels.get(f"-{param}", format_lazy(_("{label} (descending)"), label=label))))
        return choices


class NullsLastOrderingFilter(OrderingFilter):
    """Sorts rows with no value (no composite, insufficient data) last either way."""

    def get_ordering_value(self, param: str):
        descending = param.startswith("-")
        field = super().get_ordering_value(param).lstrip("-")
        return F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)


class StableOrderingFilter(OrderingFilter):
    """Sorts as asked, then by primary key: rows that tie keep one order from page to page."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return qs.order_by(*(self.get_ordering_value(param) for param in value), "-pk")
