"""Channel health pages: the dashboard (map), the table of scores with its heat map and
exports, and a dealer's health page. Every read goes through ``dealerops.access.scope``; the
figures come from ``channels.health.charts``."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet, Subquery
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import json_script
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from channels.filtersets import HealthTableFilterSet
from channels.health import charts
from channels.health.cache import CACHE_SECONDS, HealthStamp, health_cache_key, health_stamp
from channels.health.selectors import (
    HealthView,
    dealer_health,
    dealer_trend,
    health_table,
    health_view,
    insufficient_field,
    metric_lines,
    peer_percentile,
    rating_counts,
    rating_distribution,
    score_field,
)
from channels.models import Dealer, HealthMetric, HealthScore, Lead, Rating, RatingBands
from datahub.quality.selectors import alerts_context
from dealerops.access import can_view, role_of, scope
from dealerops.exports import bounded_count, export_format, export_name, tabular_response
from dealerops.formats import format_number
from dealerops.models import Role, User
from dealerops.scoped_views import ScopedDetailView, ScopedMixin
from dealerops.validation import today
from inventory.models import Sale, StockUnit

TABLE_PAGE_SIZE = 50
# The filters the health pages show (the dealer filter stays an API parameter: a select of
# every dealer of a region is no help on a page).
PAGE_FILTERS = ("month", "region", "rating", "kind", "city")

# Each metric's raw value as the page shows it: (multiplier, unit), and what its sample counts.
UNITS: dict[str, tuple[int, str]] = {
    HealthMetric.TARGET_ACHIEVEMENT: (100, "%"),
    HealthMetric.STAFF_EFFICIENCY: (1, gettext_lazy("units per salesperson")),
    HealthMetric.LEAD_CONVERSION: (100, "%"),
    HealthMetric.LEAD_RESPONSE: (1, gettext_lazy("minutes")),
    HealthMetric.INVENTORY_COEFFICIENT: (1, "×"),
    HealthMetric.AGED_STOCK: (100, "%"),
    HealthMetric.FINANCE_PENETRATION: (100, "%"),
    HealthMetric.PRICE_REALISATION: (100, gettext_lazy("percent of MSRP")),
    HealthMetric.BELOW_FLOOR: (100, "%"),
    HealthMetric.SATISFACTION: (1, "/ 5"),
    HealthMetric.RETENTION: (100, "%"),
    HealthMetric.DATA_TIMELINESS: (100, "%"),
}
SAMPLES: dict[str, Any] = {
    HealthMetric.TARGET_ACHIEVEMENT: gettext_lazy("units targeted"),
    HealthMetric.STAFF_EFFICIENCY: gettext_lazy("sales staff"),
    HealthMetric.LEAD_CONVERSION: gettext_lazy("leads, 90 days"),
    HealthMetric.LEAD_RESPONSE: gettext_lazy("leads contacted"),
    HealthMetric.INVENTORY_COEFFICIENT: gettext_lazy("units sold"),
    HealthMetric.AGED_STOCK: gettext_lazy("units in stock"),
    HealthMetric.FINANCE_PENETRATION: gettext_lazy("sales"),
    HealthMetric.PRICE_REALISATION: gettext_lazy("sales"),
    HealthMetric.BELOW_FLOOR: gettext_lazy("sales"),
    HealthMetric.SATISFACTION: gettext_lazy("ratings"),
    HealthMetric.RETENTION: gettext_lazy("buyers of 1-3 years ago"),
    HealthMetric.DATA_TIMELINESS: gettext_lazy("sales"),
}


def format_raw(metric: str, value: Decimal | None) -> str:
    if value is None:
        return "–"
    factor, unit = UNITS[metric]
    return f"{format_number(value * factor)} {unit}".rstrip()


class HealthPageMixin(ScopedMixin):
    """Scoped health scores of one month, filtered by ``HealthTableFilterSet``."""

    model = HealthScore
    with_metrics = True

    @cached_property
    def stamp(self) -> HealthStamp:
        return health_stamp(self.request.user)

    def health_context(self) -> dict[str, Any]:
        scores, filterset, chosen_month = self.health_filters()
        view, table = self.health_rows(scores, filterset, chosen_month)
        return {**self.filter_context(filterset), "view": view, "table": table}

    def health_filters(self) -> tuple[QuerySet[HealthScore], HealthTableFilterSet, date | None]:
        """The scores the user may see, the bound filters and the month asked for."""
        scores = scope(self.request.user, HealthScore)
        if role_of(self.request.user) == Role.REGIONAL_MANAGER:
            # Exactly the regions the cache key names (read with the stamp), even if the
            # manager's regions change while this request runs.
            scores = scores.filter(dealer__region__in=self.stamp.region_ids)
        filterset = HealthTableFilterSet(self.request.GET or None, queryset=scores, request=self.request)
        # An invalid filter shows its error next to the field; the valid ones still apply.
        chosen_month = None
        if filterset.is_bound:
            filterset.is_valid()  # cleans the form: the valid fields' values are then known
            chosen_month = filterset.form.cleaned_data.get("month")
        return scores, filterset, chosen_month

    def health_rows(
        self, scores: QuerySet[HealthScore], filterset: HealthTableFilterSet, chosen_month: date | None
    ) -> tuple[HealthView | None, QuerySet[HealthScore] | None]:
        """The month shown and its filtered rows (None when nothing is scored)."""
        view = health_view(scores, chosen_month, today=today())
        if view is None:
            return None, None
        filterset.queryset = health_table(scores, view, metrics=self.with_metrics)
        table = filterset.qs
        if not self.request.GET.get("ordering"):
            # Best first, as the rating reads; dealers without a composite last.
            table = table.order_by(F("composite").desc(nulls_last=True), "dealer__code")
        return view, table

    def filter_context(self, filterset: HealthTableFilterSet) -> dict[str, Any]:
        query = self.request.GET.copy()
        for key in ("page", "export", "ordering", "view"):
            query.pop(key, None)
        without_page = self.request.GET.copy()
        without_page.pop("page", None)
        # The month links keep the filters, the sort and the view; only the month changes.
        other_months = without_page.copy()
        for key in ("export", "month"):
            other_months.pop(key, None)
        return {
            "query_without_page": without_page.urlencode(),
            "month_query": other_months.urlencode(),
            "filter": filterset,
            "page_filters": [filterset.form[name] for name in PAGE_FILTERS if self.shows_filter(name)],
            "query": query.urlencode(),
            "is_dealer": role_of(self.request.user) == Role.DEALER_USER,
            "ratings": Rating.values,
        }

    def shows_filter(self, name: str) -> bool:
        role = role_of(self.request.user)
        if role == Role.DEALER_USER:
            return name == "month"
        return name != "region" or role != Role.REGIONAL_MANAGER or len(self.stamp.region_ids) > 1


class HealthDashboardView(HealthPageMixin, TemplateView):
    """The regional health dashboard: a map of the dealers in view and their ratings. The map
    (as its script element), the counts and the month shown are cached until the scores change
    (``channels.health.cache``); the filters are read on every request."""

    template_name = "channels/health_dashboard.html"
    with_metrics = False

    def get_context_data(self, **kwargs):
        scores, filterset, chosen_month = self.health_filters()
        context = {**super().get_context_data(**kwargs), **self.filter_context(filterset)}
        key = health_cache_key(
            page="dashboard", user=self.request.user, query=self.request.GET, names=filterset.filters, stamp=self.stamp
        )
        # A dealer user sees its own dealer only: no distribution across regions to draw.
        per_region = role_of(self.request.user) != Role.DEALER_USER
        figures = cache.get_or_set(
            key,
            lambda: self.figures(*self.health_rows(scores, filterset, chosen_month), per_region=per_region),
            CACHE_SECONDS,
        )
        # Alerts are acknowledged one by one: read on every request, not cached with the map.
        return {**context, **figures, **alerts_context(self.request.user)}

    @staticmethod
    def figures(view: HealthView | None, table: QuerySet[HealthScore] | None, *, per_region: bool) -> dict[str, Any]:
        if table is None:
            return {"view": view, "map_script": None, "counts": None, "dealers_shown": 0, "distribution_script": None}
        points = list(
            table.values(
                "composite",
                "rating",
                "volume",
                name=F("dealer__name"),
                city=F("dealer__city"),
                latitude=F("dealer__latitude"),
                longitude=F("dealer__longitude"),
                region_code=F("dealer__region__code"),
                region=F("dealer__region__name"),
            )
        )
        # The same rows as the map and the counts: each region's bar adds up to its dealers shown.
        distribution = rating_distribution(points) if per_region and points else []
        distribution_figure = charts.rating_distribution_figure(distribution) if distribution else None
        return {
            "view": view,
            # Encoded once here, not on every request: the figure is most of the page.
            "map_script": json_script(charts.health_map_figure(points), "health-map-data"),
            "counts": rating_counts(points),
            "dealers_shown": len(points),
            "distribution_script": json_script(distribution_figure, "rating-distribution-data")
            if distribution_figure
            else None,
            **bands_context(view),
        }


class HealthTableView(HealthPageMixin, TemplateView):
    """Dealers x the 12 metric scores, sortable and filterable; ``?view=heatmap`` draws the same
    rows as a heat map; ``?export=csv|xlsx`` downloads them. A page's rows (rendered) or heat
    map are cached until the scores change (``channels.health.cache``); exports are not."""

    template_name = "channels/health_table.html"

    def get(self, request, *args, **kwargs):
        fmt = export_format(request)
        if fmt is None:
            return super().get(request, *args, **kwargs)
        context = self.health_context()
        return self.export(fmt, context["table"], context["view"])

    def get_context_data(self, **kwargs):
        scores, filterset, chosen_month = self.health_filters()
        heatmap = self.request.GET.get("view") == "heatmap"
        context = {
            **super().get_context_data(**kwargs),
            **self.filter_context(filterset),
            "heatmap": heatmap,
            "metrics": HealthMetric.choices,
        }
        key = health_cache_key(
            page="table",
            user=self.request.user,
            query=self.request.GET,
            names=[*filterset.filters, "page", "view"],
            stamp=self.stamp,
        )
        shown = cache.get_or_set(
            key,
            lambda: self.page_shown(*self.health_rows(scores, filterset, chosen_month), heatmap=heatmap),
            CACHE_SECONDS,
        )
        context.update(shown)
        if shown["view"] is not None:
            # The rows are cached; the pagination links only need how many there are.
            page = Paginator(range(shown["count"]), TABLE_PAGE_SIZE).page(shown["number"])
            context.update(page_obj=page, paginator=page.paginator, is_paginated=page.has_other_pages())
        return context

    def page_shown(self, view: HealthView | None, table: QuerySet[HealthScore] | None, *, heatmap: bool) -> dict:
        """The page of rows asked for, rendered once (as table rows or the heat map's script)."""
        if table is None:
            return {"view": view, "rows": [], "rows_html": "", "heatmap_script": None}
        page = Paginator(table, TABLE_PAGE_SIZE).get_page(self.request.GET.get("page"))
        rows = [self.row(score) for score in page.object_list]
        shown = {"view": view, "rows": rows, "count": page.paginator.count, "number": page.number}
        if heatmap:
            figure = charts.health_heatmap_figure(rows)
            return {**shown, "rows_html": "", "heatmap_script": json_script(figure, "health-heatmap-data")}
        rows_html = render_to_string("channels/includes/health_table_rows.html", {"rows": rows, "view": view})
        return {**shown, "rows_html": rows_html, "heatmap_script": None}

    @staticmethod
    def row(score: HealthScore) -> dict[str, Any]:
        return {
            "dealer_id": score.dealer_id,
            "code": score.dealer.code,
            "name": str(score.dealer.name),
            "city": score.dealer.city,
            "composite": score.composite,
            "rating": score.rating,
            "change": score.change,
            "probation": score.probation,
            "scores": {metric: getattr(score, score_field(metric)) for metric in HealthMetric.values},
            "insufficient": {metric: getattr(score, insufficient_field(metric)) for metric in HealthMetric.values},
        }

    def export(self, fmt: str, table: QuerySet | None, view: HealthView | None) -> HttpResponse:
        insufficient = _("insufficient data")
        headers = [
            _("Month"),
            _("Dealer code"),
            _("Dealer"),
            _("City"),
            _("Peer group"),
            _("Composite score"),
            _("Rating"),
            _("Change since last month"),
            *(str(label) for label in HealthMetric.labels),
        ]
        kinds = dict(HealthScore._meta.get_field("dealer_kind").flatchoices)
        lookups = ["month", "dealer__code", "dealer__name", "dealer__city", "dealer_kind", "composite", "rating"]
        lookups += ["change"]
        for metric in HealthMetric.values:
            lookups += [score_field(metric), insufficient_field(metric)]

        def rows():
            if table is None:
                return
            for values in table.values_list(*lookups).iterator(chunk_size=2000):
                month, code, name, city, kind, composite, rating, change, *metrics = values
                cells = [
                    score if not flagged else insufficient
                    for score, flagged in zip(metrics[0::2], metrics[1::2], strict=True)
                ]
                yield [
                    f"{month:%Y-%m}",
                    code,
                    name,
                    city,
                    str(kinds.get(kind, kind)),
                    composite,
                    rating,
                    change,
                    *cells,
                ]

        month = f"{view.month:%Y-%m}" if view else "empty"
        return tabular_response(
            fmt=fmt,
            filename=export_name(gettext_lazy("Channel health"), month),
            headers=headers,
            rows=rows(),
            sheet_title=_("Channel health"),
            request=self.request,
            count=bounded_count(table) if table is not None else None,
        )


class DealerHealthView(ScopedDetailView):
    """One dealer's month: each metric's raw value, sample, score and the peer group's median,
    the 12-month trend, and links to the records behind each metric."""

    model = Dealer
    template_name = "channels/dealer_health.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dealer = self.object
        month = parse_month(self.request.GET.get("month"))
        view = health_view(HealthScore.objects.filter(dealer=dealer), month, today=today())
        score = dealer_health(dealer, view) if view else None
        context.update(score=score, month_asked=month, view=view)
        if score is None:
            return context
        lines = metric_lines(score)
        behind = records_behind(self.request.user, dealer, score.month)
        context.update(
            lines=[
                {
                    "line": line,
                    "raw": format_raw(line.metric, line.value),
                    "peer_raw": format_raw(line.metric, line.peer_median_value),
                    "sample_unit": SAMPLES[line.metric],
                    "link": behind.get(line.metric),
                }
                for line in lines
            ],
            percentile=peer_percentile(score),
            trend=charts.dealer_trend_figure(dealer_trend(dealer, score.month)),
        )
        return context


def bands_context(view: HealthView) -> dict[str, Any]:
    """The bands that rated ``view``'s month (``bands``) and, when a newer version is in force,
    that one (``bands_in_force``): an open month moves to it only when head office re-rates it.
    One query."""
    newest = RatingBands.objects.order_by("-version").values("pk")[:1]
    found = list(RatingBands.objects.filter(Q(pk=view.bands_id) | Q(pk=Subquery(newest))).order_by("-version"))
    bands = next((each for each in found if each.pk == view.bands_id), None)
    return {"bands": bands, "bands_in_force": found[0] if bands and found[0] != bands else None}


def parse_month(text: str | None) -> date | None:
    """``2026-10`` -> 2026-10-01; anything else -> None (the latest month)."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def records_behind(user: User, dealer: Dealer, month: date) -> dict[str, str]:
    """Each metric's source records on the list pages the user may open, filtered by dealer
    and month. Stock lists show units as they stand today (they keep no month-end state)."""
    last = month + relativedelta(months=1) - timedelta(days=1)
    lists = {"inventory:sale-list": Sale, "inventory:stock-list": StockUnit, "channels:lead-list": Lead}

    def url(name: str, **params: Any) -> str | None:
        if not can_view(user, lists[name]):
            return None
        return reverse(name) + "?" + urlencode({"dealer": dealer.pk, **params})

    sales = url("inventory:sale-list", sold_after=month, sold_before=last)
    return {
        HealthMetric.TARGET_ACHIEVEMENT: sales,
        HealthMetric.STAFF_EFFICIENCY: sales,
        HealthMetric.LEAD_CONVERSION: url(
            "channels:lead-list", assigned_after=last - timedelta(days=89), assigned_before=last
        ),
        HealthMetric.LEAD_RESPONSE: url("channels:lead-list", assigned_after=month, assigned_before=last),
        HealthMetric.INVENTORY_COEFFICIENT: url("inventory:stock-list", status="in_stock"),
        HealthMetric.AGED_STOCK: url(
            "inventory:stock-list", status="in_stock", arrived_before=last - timedelta(days=91)
        ),
        HealthMetric.FINANCE_PENETRATION: sales,
        HealthMetric.PRICE_REALISATION: sales,
        HealthMetric.BELOW_FLOOR: sales,
        HealthMetric.DATA_TIMELINESS: sales,
    }
