import django_filters
from django.utils.translation import gettext_lazy as _

from channels.health.selectors import score_field
from channels.models import CityMarket, Dealer, DealerKind, HealthMetric, HealthScore, Lead, Rating, Region
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
    ordering = OrderingFilter(fields=(("created_at", "created_at"), ("first_contact_at", "first_contact_at")))

    class Meta:
        model = Lead
        fields = [
            "q",
            "dealer",
            "source",
            "outcome",
            "created_after",
            "created_before",
            "assigned_after",
            "assigned_before",
        ]


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
    ordering = OrderingFilter(
        fields=(
            ("city", "city"),
            ("province", "province"),
            ("population", "population"),
            ("disposable_income", "disposable_income"),
            ("vehicles_per_1000", "vehicles_per_1000"),
            ("nev_share", "nev_share"),
            ("capacity_units", "capacity_units"),
        ),
        field_labels={
            "disposable_income": _("Disposable income per capita"),
            "vehicles_per_1000": _("Vehicles per 1,000 people"),
            "nev_share": _("New-energy share"),
            "capacity_units": _("Market capacity"),
        },
    )

    class Meta:
        model = CityMarket
        fields = ["q", "region", "year", "ordering"]
