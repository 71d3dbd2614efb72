import django_filters
from django.utils.translation import gettext_lazy as _

from channels.health.selectors import score_field
from channels.models import (
    CityMarket,
    Dealer,
    DealerKind,
    GraphCluster,
    GraphNode,
    HealthMetric,
    HealthScore,
    Lead,
    OutletOverlap,
    Rating,
    Recommendation,
    RecommendationKind,
    Region,
    Scenario,
    ScenarioStatus,
    TradeArea,
    WhiteSpot,
)
from dealerops.filters import (
    LocalDateFilter,
    NullsLastOrderingFilter,
    OrderingFilter,
    ScopedModelChoiceFilter,
    SearchFilter,
    YesNoFilter,
)


class RegionFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["code", "name"])

    class Meta:
        model = Region
        fields = ["q"]


class DealerFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["code", "name", "city", "province"])
    region = ScopedModelChoiceFilter(model=Region, label=_("Region"))
    ordering = OrderingFilter(
        fields=(
            ("code", "code"),
            ("name", "name"),
            ("city", "city"),
            ("region__code", "region"),
            ("opened_on", "opened_on"),
            ("monthly_sales_target", "monthly_sales_target"),
        ),
        field_labels={"monthly_sales_target": _("Monthly sales target")},
    )

    class Meta:
        model = Dealer
        fields = ["q", "region", "kind", "status", "province", "city"]


class LeadFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["customer_city"])
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    created_after = LocalDateFilter(field_name="created_at", bound="from", label=_("Created from"))
    created_before = LocalDateFilter(field_name="created_at", bound="to", label=_("Created to"))
    assigned_after = LocalDateFilter(field_name="assigned_at", bound="from", label=_("Assigned from"))
    assigned_before = LocalDateFilter(field_name="assigned_at", bound="to", label=_("Assigned to"))
    # Leads that missed their SLA too often and went to the regional manager (channels.routing).
    escalated = YesNoFilter(label=_("Escalated"), method="filter_escalated")
    ordering = OrderingFilter(fields=(("created_at", "created_at"), ("first_contact_at", "first_contact_at")))

    class Meta:
        model = Lead
        fields = [
            "q",
            "dealer",
            "source",
            "outcome",
            "escalated",
            "created_after",
            "created_before",
            "assigned_after",
            "assigned_before",
        ]

    def filter_escalated(self, queryset, name, value):
        return queryset if value is None else queryset.filter(escalated_at__isnull=not value)


class HealthScoreFilterSet(django_filters.FilterSet):
    month = django_filters.DateFilter(
        field_name="month", input_formats=["%Y-%m"], label=_("Month"), help_text=_("YYYY-MM, e.g. 2026-10")
    )
    region = ScopedModelChoiceFilter(model=Region, field_name="dealer__region", label=_("Region"))
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    rating = django_filters.ChoiceFilter(choices=Rating.choices, label=_("Rating"))
    kind = django_filters.ChoiceFilter(field_name="dealer_kind", choices=DealerKind.choices, label=_("Peer group"))
    city = django_filters.CharFilter(field_name="dealer__city", lookup_expr="iexact", label=_("City"))
    weights_version = django_filters.NumberFilter(field_name="weights__version", label=_("Weights version"))
    probation = YesNoFilter()
    ordering = OrderingFilter(fields=(("month", "month"), ("composite", "composite"), ("dealer__code", "dealer")))

    class Meta:
        model = HealthScore
        fields = ["month", "region", "dealer", "rating", "kind", "city", "probation", "weights_version"]


class HealthTableFilterSet(HealthScoreFilterSet):
    """The health pages' filters: the API's, sortable by every column of the table (the
    columns are annotations of ``channels.health.selectors.health_table``)."""

    ordering = NullsLastOrderingFilter(
        fields=(
            ("dealer__code", "dealer"),
            ("dealer__name", "name"),
            ("dealer__city", "city"),
            ("composite", "composite"),
            ("rating", "rating"),
            ("change", "change"),
            ("volume", "volume"),
            *((score_field(metric), metric) for metric in HealthMetric.values),
        ),
        field_labels={
            "change": _("Change since last month"),
            "volume": _("Units sold"),
            **{score_field(metric): metric.label for metric in HealthMetric},
        },
    )


class CityMarketFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["city", "province"])
    region = ScopedModelChoiceFilter(model=Region, label=_("Region"))
    year = django_filters.NumberFilter(label=_("Year"))
    ordering = NullsLastOrderingFilter(
        fields=(
            ("city", "city"),
            ("province", "province"),
            ("population", "population"),
            ("disposable_income", "disposable_income"),
            ("vehicles_per_1000", "vehicles_per_1000"),
            ("nev_share", "nev_share"),
            ("capacity_units", "capacity_units"),
            ("units_sold", "units_sold"),
            ("penetration", "penetration"),
        ),
        field_labels={
            "units_sold": _("Our units sold"),
            "penetration": _("Our penetration"),
            "disposable_income": _("Disposable income per capita"),
            "vehicles_per_1000": _("Vehicles per 1,000 people"),
            "nev_share": _("New-energy share"),
            "capacity_units": _("Market capacity"),
        },
    )

    class Meta:
        model = CityMarket
        fields = ["q", "region", "year", "ordering"]


class RecommendationFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["near_city", "dealer__name", "other__name"])
    kind = django_filters.ChoiceFilter(choices=RecommendationKind.choices, label=_("Recommendation"))
    region = ScopedModelChoiceFilter(model=Region, label=_("Region"))
    ordering = OrderingFilter(
        fields=(("kind", "kind"), ("near_city", "near_city"), ("units", "units"), ("share", "share")),
        field_labels={
            "kind": _("Recommendation"),
            "near_city": _("City"),
            "units": _("Units a year at stake"),
            "share": _("Share at stake"),
        },
    )

    class Meta:
        model = Recommendation
        fields = ["q", "kind", "region", "ordering"]


class OverlapFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["first__name", "first__city", "second__name", "second__city"])
    region = ScopedModelChoiceFilter(model=Region, label=_("Region"))
    ordering = OrderingFilter(
        fields=(
            ("shared_units", "shared_units"),
            ("first_share", "first_share"),
            ("second_share", "second_share"),
            ("distance_km", "distance_km"),
        ),
        field_labels={
            "shared_units": _("Shared demand a year"),
            "first_share": _("Share of the outlet's demand"),
            "second_share": _("Share of the neighbour's demand"),
            "distance_km": _("Distance (km)"),
        },
    )

    class Meta:
        model = OutletOverlap
        fields = ["q", "region", "ordering"]


class WhiteSpotFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["near_city"])
    region = ScopedModelChoiceFilter(model=Region, label=_("Region"))
    ordering = OrderingFilter(
        fields=(
            ("rank", "rank"),
            ("near_city", "near_city"),
            ("capacity_units", "capacity_units"),
            ("cells", "cells"),
            ("nearest_km", "nearest_km"),
        ),
        field_labels={
            "rank": _("Rank"),
            "near_city": _("Nearest city"),
            "capacity_units": _("Capacity a year"),
            "cells": _("Cells"),
            "nearest_km": _("To the nearest outlet (road km)"),
        },
    )

    class Meta:
        model = WhiteSpot
        fields = ["q", "region", "ordering"]


class TradeAreaFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["dealer__code", "dealer__name", "dealer__city"])
    region = ScopedModelChoiceFilter(model=Region, field_name="dealer__region", label=_("Region"))
    rating = django_filters.ChoiceFilter(choices=Rating.choices, label=_("Rating"))
    ordering = OrderingFilter(
        fields=(
            ("demand_units", "demand_units"),
            ("sold_units", "sold_units"),
            ("attraction", "attraction"),
            ("overlap_share", "overlap_share"),
            ("capture", "capture"),
            ("rating", "rating"),
        ),
        field_labels={
            "demand_units": _("Trade-area demand a year"),
            "sold_units": _("Units sold in the period"),
            "attraction": _("Attraction"),
            "overlap_share": _("Largest overlap"),
            "capture": _("Our capture of the demand"),
            "rating": _("Rating"),
        },
    )

    class Meta:
        model = TradeArea
        fields = ["q", "region", "rating", "ordering"]


class ScenarioFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["name", "note"])
    status = django_filters.ChoiceFilter(choices=ScenarioStatus.choices, label=_("Decision"))
    ordering = OrderingFilter(
        fields=(("name", "name"), ("status", "status"), ("created_at", "created_at")),
        field_labels={"name": _("Scenario"), "status": _("Decision"), "created_at": _("Created at")},
    )

    class Meta:
        model = Scenario
        fields = ["q", "status", "ordering"]


class GraphNodeFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["dealer__code", "dealer__name", "dealer__city"])
    region = ScopedModelChoiceFilter(model=Region, field_name="dealer__region", label=_("Region"))
    rating = django_filters.ChoiceFilter(choices=Rating.choices, label=_("Rating"))
    cluster = django_filters.NumberFilter(field_name="cluster__number", label=_("Cluster"))
    ordering = NullsLastOrderingFilter(
        fields=(
            ("risk", "risk"),
            ("risk_without_graph", "risk_without_graph"),
            ("risk_with_graph", "risk_with_graph"),
            ("betweenness", "betweenness"),
            ("strength", "strength"),
            ("ties", "ties"),
            ("composite", "composite"),
            ("neighbours_rated_d", "neighbours_rated_d"),
        ),
        field_labels={
            "risk": _("Risk of D next month"),
            "risk_without_graph": _("Risk, own history"),
            "risk_with_graph": _("Risk, with the graph"),
            "betweenness": _("Pairs linked through it"),
            "strength": _("Tie strength"),
            "ties": _("Tied outlets"),
            "composite": _("Composite"),
            "neighbours_rated_d": _("Neighbours rated D"),
        },
    )

    class Meta:
        model = GraphNode
        fields = ["q", "region", "rating", "cluster", "ordering"]


class GraphClusterFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["hub__name", "hub__city"])
    region = ScopedModelChoiceFilter(model=Region, label=_("Region"))
    ordering = NullsLastOrderingFilter(
        fields=(
            ("number", "number"),
            ("outlets", "outlets"),
            ("composite", "composite"),
            ("rated_d", "rated_d"),
            ("risk", "risk"),
        ),
        field_labels={
            "number": _("Cluster"),
            "outlets": _("Outlets"),
            "composite": _("Mean composite"),
            "rated_d": _("Outlets rated D"),
            "risk": _("Mean risk of D next month"),
        },
    )

    class Meta:
        model = GraphCluster
        fields = ["q", "region", "ordering"]
