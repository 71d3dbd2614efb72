"""Every column a list of dealer-owned records sorts by has the indexes that read it in order:
one for the network's and a region's list (the column first) and one for a dealer's (the
dealer first). Without them a sort on the national network reads and sorts the whole table."""

import pytest
from django.urls import get_resolver
from django_filters import OrderingFilter

from dealerops.access import rule_for
from dealerops.scoped_views import ScopedListView

# Lists whose rows are bounded by a month or by the network's size, sorted in memory (a plan
# run's trade areas and a graph run's outlets: one per trading outlet).
BOUNDED = {
    "channels.GraphNode",
    "channels.HealthScore",
    "channels.TradeArea",
    "datahub.DataQualityScore",
    "datahub.ImportBatch",
}


def list_views():
    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern.url_patterns)
            else:
                view = getattr(pattern.callback, "view_class", None)
                if view is not None and issubclass(view, ScopedListView) and view.filterset_class is not None:
                    yield view

    return sorted(set(walk(get_resolver().url_patterns)), key=lambda view: view.__name__)


def index_prefixes(model) -> set[tuple[str, ...]]:
    prefixes = set()
    for index in model._meta.indexes:
        columns = tuple(model._meta.get_field(name.lstrip("-")).attname for name in index.fields)
        prefixes |= {columns[:n] for n in range(1, len(columns) + 1)}
    prefixes |= {(field.attname,) for field in model._meta.fields if field.unique or field.db_index}
    return prefixes


def sortable_columns(view) -> list[str]:
    ordering = view.filterset_class.base_filters.get("ordering")
    if not isinstance(ordering, OrderingFilter):
        return []
    return list(ordering.param_map.values())


@pytest.mark.parametrize("view", list_views(), ids=lambda view: view.__name__)
def test_every_sortable_column_has_an_index_for_each_scope(view):
    model = view.model
    rule = rule_for(model)
    if rule.dealer in (None, "pk") or model._meta.label in BOUNDED:
        pytest.skip(f"{model._meta.label}: not a dealer-owned table that grows with the network")
    owner = model._meta.get_field(rule.dealer).attname
    prefixes = index_prefixes(model)
    for name in sortable_columns(view):
        assert "__" not in name, f"{view.__name__} sorts by {name}, through a join no index of its table serves"
        column = model._meta.pk.attname if name == "pk" else model._meta.get_field(name).attname
        assert (column,) in prefixes, f"{view.__name__}: no index starts with {column} (network and region lists)"
        assert (owner, column) in prefixes, (
            f"{view.__name__}: no index starts with ({owner}, {column}) (a dealer's list)"
        )


def test_the_walk_finds_the_big_lists():
    names = {view.__name__ for view in list_views()}
    assert {"SaleListView", "StockListView", "LeadListView", "LoanListView", "CustomerListView"} <= names
