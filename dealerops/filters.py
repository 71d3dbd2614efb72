"""Filter pieces shared by every app's FilterSets (pages and API use the same FilterSet)."""

from collections.abc import Iterable
from datetime import timedelta

import django_filters
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.forms.utils import pretty_name
from django.forms.widgets import NullBooleanSelect
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_filters import CharFilter, ModelChoiceFilter
from django_filters.constants import EMPTY_VALUES

from channels.models import Dealer
from dealerops.access import role_of, scope
from dealerops.entry_forms import DATE_INPUT, PickerInput, dealer_typed
from dealerops.models import Role
from dealerops.pagination import COUNT_ESTIMATE_LIMIT, EXACT_COUNT_LIMIT, estimated_count, with_estimate
from dealerops.validation import day_start


class SearchFilter(CharFilter):
    """``?q=`` over several fields at once (OR-ed), each served by a trigram index on
    ``UPPER(field)`` (``dealerops.indexes.search_index``): a term of three characters or more
    matches anywhere in the field (a VIN's last six), a shorter one the field's start (a
    two-character Chinese name, which has no trigram of its own). A short list (a dealer's)
    checks its own rows instead (``dealerops.lookups``' unindexed lookups).

    An OR over columns of several tables (a sale's VIN and its customer's name) over a long
    list has no plan that serves both kinds of term, so such a search picks one from the
    planner's estimates:
    a term that few rows match gathers their keys through each field's own index (once, up to
    ``EXACT_COUNT_LIMIT`` of them) and reads just those rows; a term most rows match walks the
    list in its sort order and checks each row (``Exists`` by primary key), stopping when the
    page is full (and the page trusts the estimate rather than counting, see
    ``dealerops.pagination``)."""

    def __init__(self, *, search_fields: list[str], **kwargs):
        kwargs.setdefault("label", _("Search"))
        super().__init__(**kwargs)
        self.search_fields = search_fields

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        value = (value or "").strip()
        if not value:
            return qs
        lookup = "icontains" if len(value) >= 3 else "istartswith"
        if estimated_count(qs) <= COUNT_ESTIMATE_LIMIT:
            # A short list (a dealer's) is read whole anyway: check its rows, whatever the
            # term matches elsewhere in the network.
            return qs.filter(_any(Q(**{f"{field}__unindexed_{lookup}": value}) for field in self.search_fields))
        local, related = [], []  # conditions on the row's own columns, and through joins
        for field in self.search_fields:
            condition = self._on_own_row(qs, field, lookup, value)
            (local if condition is not None else related).append(condition or Q(**{f"{field}__{lookup}": value}))
        if not related:
            return qs.filter(_any(local))  # one table: its indexes combine
        branches = [qs.filter(condition).order_by().values("pk") for condition in [*local, *related]]
        matching = sum(estimated_count(branch) for branch in branches)
        if matching > COUNT_ESTIMATE_LIMIT:
            rows = qs.model._default_manager
            checked = qs.filter(
                _any([*local, *(Q(Exists(rows.filter(condition, pk=OuterRef("pk")))) for condition in related)])
            )
            return with_estimate(checked, matching)  # the planner cannot size an OR of subqueries
        keys = branches[0].union(*branches[1:], all=True)
        found = [row["pk"] for row in keys[: EXACT_COUNT_LIMIT + 1]]
        # The keys themselves, read once: the page's count, its sort and its rows then read
        # just those rows, instead of gathering them afresh for each.
        return qs.filter(pk__any=found) if len(found) <= EXACT_COUNT_LIMIT else qs.filter(pk__in=keys)

    @staticmethod
    def _on_own_row(qs: QuerySet, field: str, lookup: str, value: str) -> Q | None:
        """``field``'s condition as one on the row's own columns, or None when it needs a join:
        a field of a small catalogue (vehicle models, dealers) becomes its few matching keys."""
        path, _, name = field.rpartition("__")
        if not path:
            return Q(**{f"{field}__{lookup}": value})
        if "__" in path:
            return None
        catalogue = qs.model._meta.get_field(path).related_model._default_manager
        if estimated_count(catalogue.all()) > EXACT_COUNT_LIMIT:
            return None
        keys = catalogue.filter(**{f"{name}__{lookup}": value}).values_list("pk", flat=True)
        return Q(**{f"{path}__in": list(keys[:EXACT_COUNT_LIMIT])})


def _any(conditions: Iterable[Q]) -> Q:
    combined = Q()
    for condition in conditions:
        combined |= condition
    return combined


class LocalDateFilter(django_filters.DateFilter):
    """A day bound on a timestamp column, as a range of instants an index serves: "from" a
    day is from its midnight (Asia/Shanghai), "to" a day is before the next midnight."""

    def __init__(self, *, field_name: str, bound: str, **kwargs):
        if bound not in ("from", "to"):
            raise ValueError(f"bound must be 'from' or 'to', not {bound!r}")
        kwargs.setdefault("widget", DATE_INPUT)
        super().__init__(field_name=field_name, **kwargs)
        self.bound = bound

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if value in EMPTY_VALUES:
            return qs
        if self.bound == "from":
            return qs.filter(**{f"{self.field_name}__gte": day_start(value)})
        return qs.filter(**{f"{self.field_name}__lt": day_start(value + timedelta(days=1))})


def scoped_choices(model):
    """Choices for a ModelChoiceFilter limited to what the requesting user may see."""

    def queryset(request):
        if request is None:
            return model._default_manager.none()
        return scope(request.user, model)

    return queryset


class ScopedModelChoiceFilter(ModelChoiceFilter):
    """A choice of the records the user may see. Dealers (thousands) are typed into a
    search-as-you-type box (``channels:dealer-options``), not listed in a select."""

    def __init__(self, *, model, **kwargs):
        if model is Dealer:
            kwargs.setdefault("widget", PickerInput("channels:dealer-options", label=str, find=dealer_typed))
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
    (``msrp`` -> "Msrp"): give such keys a ``field_labels`` entry.

    ``not_for_regions`` names sort keys no index serves for a region's rows: a column that
    follows geography (a customer's city), whose index a region's list would walk through
    every other region's rows first. A regional manager's list ignores them, and its page
    offers no such sort (``offers``)."""

    def __init__(self, *args, not_for_regions: Iterable[str] = (), **kwargs):
        kwargs.setdefault("empty_label", _("Default order"))
        super().__init__(*args, **kwargs)
        self.not_for_regions = frozenset(not_for_regions)

    def offers(self, user, param: str) -> bool:
        """Whether ``user``'s list sorts by ``param`` (an ``?ordering=`` value)."""
        return not (param.lstrip("-") in self.not_for_regions and role_of(user) == Role.REGIONAL_MANAGER)

    def offered(self, value: list[str] | None) -> list[str] | None:
        """The requested sort keys this list sorts by (``offers``)."""
        request = getattr(self.parent, "request", None)
        if value in EMPTY_VALUES or request is None:
            return value
        return [param for param in value if self.offers(request.user, param)]

    def filter(self, qs, value):
        return super().filter(qs, self.offered(value))

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
    """Sorts as asked, then by primary key in the same direction: rows that tie keep one order
    from page to page, read in that order from an index on (column, id)."""

    def filter(self, qs, value):
        value = self.offered(value)
        if value in EMPTY_VALUES:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        return qs.order_by(*ordering, "-pk" if ordering[0].startswith("-") else "pk")
