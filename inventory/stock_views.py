"""Stock depth pages (the dealer's stock dashboard, the region view with its map) and the stock
alerts (list, acknowledge, resolve). Every read goes through ``dealerops.access.scope``; the
figures come from ``inventory.stock_metrics``."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.html import json_script
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from channels.models import Dealer, Region
from dealerops.access import can_write, role_of, scope
from dealerops.entry_views import EntryView
from dealerops.models import Role
from dealerops.scoped_views import ScopedDetailView, ScopedListView, ScopedMixin
from dealerops.tables import Column
from dealerops.validation import today
from inventory import charts
from inventory.alerts import stock_alert_acknowledge, stock_alert_resolve, stock_alert_rule_create
from inventory.filtersets import StockAlertFilterSet, StockAlertRuleFilterSet
from inventory.forms import StockAlertRuleForm
from inventory.models import StockAlert, StockAlertRule, StockUnit
from inventory.selectors import live_stock_alerts
from inventory.stock_metrics import AGE_BUCKETS, COEFFICIENT_WARNING, dealer_metrics, stock_by_model, stock_metrics

# The region table's sortable columns: (?sort= value, label, StockMetrics attribute).
DEPTH_SORTS = [
    ("coefficient", gettext_lazy("Inventory coefficient")),
    ("days_supply", gettext_lazy("Days supply")),
    ("in_stock", gettext_lazy("In stock")),
    ("aged", gettext_lazy("Over 90 days")),
    ("ageing_cost", gettext_lazy("Ageing cost")),
]


def dashboard_context(request: HttpRequest, dealer: Dealer) -> dict:
    """A dealer's stock dashboard: its figures, stock by model, age buckets with links to the
    units, and its live alerts."""
    as_of = today()
    metrics = dealer_metrics(dealer, as_of=as_of)
    units = scope(request.user, StockUnit).filter(dealer=dealer)
    list_url = f"?dealer={dealer.pk}&status=in_stock"
    buckets = []
    for (low, high), units_count in zip(AGE_BUCKETS, metrics.ages, strict=True):
        # Arrived between as_of − high and as_of − low (the stock list's date filters, both included).
        query = list_url + f"&arrived_before={as_of - timedelta(days=low)}"
        if high is not None:
            query += f"&arrived_after={as_of - timedelta(days=high)}"
        label = _("%(low)s–%(high)s days") % {"low": low, "high": high} if high else _("over 90 days")
        buckets.append({"label": label, "units": units_count, "query": query})
    alerts, live = live_stock_alerts(scope(request.user, StockAlert).filter(dealer=dealer))
    return {
        "dealer": dealer,
        "as_of": as_of,
        "metrics": metrics,
        "warning": COEFFICIENT_WARNING,
        "by_model": stock_by_model(units, as_of=as_of),
        "buckets": buckets,
        "stock_alerts": alerts,
        "stock_alerts_live": live,
        "can_change_alerts": can_write(request.user, StockAlert),
        "is_dealer": role_of(request.user) == Role.DEALER_USER,
    }


class StockDepthView(ScopedMixin, View):
    """A dealer user: their own stock dashboard. Managers and head office: a dealer's dashboard
    (``?dealer=``, a dealer of their scope, else 404), or the region view (a region of their
    scope, ``?region=``) with a table of its dealers' stock depth (sortable, ``?sort=``), a map,
    and a link to each dealer's dashboard. (Stock is not finance's: the StockUnit rule.)"""

    model = StockUnit

    def get(self, request: HttpRequest) -> HttpResponse:
        dealer = request.user.dealer if role_of(request.user) == Role.DEALER_USER else None
        if dealer is None and request.GET.get("dealer"):
            chosen = request.GET["dealer"]
            dealer = scope(request.user, Dealer).filter(pk=int(chosen)).first() if chosen.isdigit() else None
            if dealer is None:
                raise Http404
        if dealer is not None:
            return TemplateResponse(request, "inventory/stock_dashboard.html", dashboard_context(request, dealer))
        regions = list(scope(request.user, Region).order_by("name"))
        chosen = request.GET.get("region", "")
        region = next((r for r in regions if str(r.pk) == chosen), regions[0] if regions else None)
        context = {"regions": regions, "region": region, "sorts": DEPTH_SORTS, "rows": [], "map_script": None}
        if region is not None:
            dealers = scope(request.user, Dealer).filter(region=region)
            context.update(self.region_figures(dealers, sort=request.GET.get("sort", "coefficient")))
            context["region_metrics"] = next(iter(stock_metrics(dealers, by="region", as_of=today())), None)
            context["dealers"] = list(dealers.order_by("name").values("pk", "name"))
        return TemplateResponse(request, "inventory/stock_depth.html", context)

    def region_figures(self, dealers: QuerySet[Dealer], *, sort: str) -> dict:
        """The region's dealers with their figures, the deepest stock first by ``sort``."""
        figures = {row.key: row for row in stock_metrics(dealers, by="dealer", as_of=today())}
        sort = sort if sort in dict(DEPTH_SORTS) else "coefficient"
        rows = [
            {"dealer": dealer, "metrics": figures[dealer.pk]}
            for dealer in dealers.order_by("name")
            if dealer.pk in figures
        ]
        # Deepest first; a dealer without a figure (no sales to divide by) last.
        rows.sort(key=lambda row: (getattr(row["metrics"], sort) is None, -(getattr(row["metrics"], sort) or 0)))
        points = [
            {
                "name": row["dealer"].name,
                "city": row["dealer"].city,
                "latitude": row["dealer"].latitude,
                "longitude": row["dealer"].longitude,
                "in_stock": row["metrics"].in_stock,
                "days_supply": row["metrics"].days_supply,
                "coefficient": row["metrics"].coefficient,
            }
            for row in rows
        ]
        return {
            "rows": rows,
            "sort": sort,
            "map_script": json_script(charts.stock_depth_map_figure(points), "stock-depth-map-data")
            if points
            else None,
        }


class StockAlertListView(ScopedListView):
    model = StockAlert
    filterset_class = StockAlertFilterSet
    title = gettext_lazy("Stock alerts")
    columns = [
        Column(gettext_lazy("Opened at"), "opened_at", order="opened_at", link=True),
        Column(gettext_lazy("Dealer"), "dealer.name"),
        Column(gettext_lazy("Model"), "model", export=("model__brand", "model__series", "model__trim")),
        Column(gettext_lazy("Rule"), "rule.name"),
        Column(gettext_lazy("Kind"), "rule.kind", kind="choice"),
        Column(gettext_lazy("Figure"), "metric_value", kind="number", order="metric_value"),
        Column(gettext_lazy("Threshold"), "threshold", kind="number"),
        Column(gettext_lazy("Status"), "status", kind="choice"),
        Column(gettext_lazy("Updated at"), "updated_at"),
        Column(gettext_lazy("Resolved at"), "resolved_at"),
    ]

    template_name = "inventory/stock_alert_list.html"

    def base_queryset(self):
        return StockAlert.objects.select_related("dealer", "model", "rule")


class StockAlertRuleListView(ScopedListView):
    """Head office's alert rules (everyone in the field reads what they are alerted on)."""

    model = StockAlertRule
    filterset_class = StockAlertRuleFilterSet
    title = gettext_lazy("Stock alert rules")
    template_name = "inventory/stock_alert_list.html"
    create_url_name = "inventory:stock-alert-rule-create"
    columns = [
        Column(gettext_lazy("Name"), "name", order="name"),
        Column(gettext_lazy("Kind"), "kind", kind="choice"),
        Column(gettext_lazy("Threshold"), "threshold", kind="number"),
        Column(gettext_lazy("Powertrain"), "powertrain", kind="choice"),
        Column(gettext_lazy("MSRP from"), "msrp_from", kind="money"),
        Column(gettext_lazy("MSRP below"), "msrp_below", kind="money"),
        Column(gettext_lazy("Active"), "active"),
    ]


class StockAlertRuleCreateView(EntryView):
    model = StockAlertRule
    form_class = StockAlertRuleForm
    title = gettext_lazy("New stock alert rule")
    success_message = gettext_lazy("The rule has been added: the next nightly run applies it.")

    def save(self, form) -> StockAlertRule:
        return stock_alert_rule_create(**form.cleaned_data)


class StockAlertDetailView(ScopedDetailView):
    """One alert: its figure against the rule, its history (who acknowledged or resolved it,
    when), the actions its stage allows, and links to the units it is about."""

    model = StockAlert
    template_name = "inventory/stock_alert_detail.html"

    def base_queryset(self):
        return StockAlert.objects.select_related("dealer", "model", "rule", "acknowledged_by", "resolved_by")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "can_change_alerts": can_write(self.request.user, StockAlert)}


class StockAlertActionView(ScopedMixin, View):
    """POST: acknowledge or resolve an alert of the user's scope, then back to ``next``."""

    model = StockAlert
    http_method_names = ["post"]
    action = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        service = stock_alert_acknowledge if self.action == "acknowledge" else stock_alert_resolve
        try:
            service(alert_id=pk, user=request.user)
        except ObjectDoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            messages.info(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("Alert acknowledged.") if self.action == "acknowledge" else _("Alert resolved.")
            )
        target = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return redirect(target)
        return redirect("inventory:stock-alert-list")
