"""The finance report pages (``commissions/reports/…``) and their CSV/XLSX exports.

Thin views: each narrows the user's scoped querysets with the filter form, asks
``finance.reports`` for the figures and ``finance.charts`` for the figures' charts. An export
is the page's table with its totals row, headers in the user's language.
"""

from collections.abc import Iterator, Sequence
from typing import Any

from django.core.paginator import Paginator
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from channels.models import Dealer, Region
from dealerops.access import can_view, role_of, scope
from dealerops.exports import bounded_count, export_format, export_name, rate_header, tabular_response
from dealerops.models import Role
from dealerops.pagination import Listing
from dealerops.scoped_views import ScopedMixin
from dealerops.validation import today
from finance import charts
from finance.models import (
    ClawbackSummary,
    CommissionEntry,
    DealerMonthSummary,
    ExposureFigure,
    ExposureSnapshot,
    LedgerRollup,
    LedgerSummary,
    Loan,
    LoanOutcomeSummary,
    RegionMonthSummary,
    RiskSummary,
)
from finance.report_forms import ReportFilterForm
from finance.reports import (
    RISK_DIMENSIONS,
    LedgerTotals,
    PenetrationReport,
    PenetrationRow,
    RiskReport,
    RiskRow,
    RiskSources,
    active_dealers,
    ledger_rows,
    ledger_totals,
    monthly_net_by_lender,
    payables_by_lender,
    penetration_page,
    penetration_report,
    risk_report,
)
from inventory.selectors import month_start

ROWS_PER_PAGE = 100
DEALERS_PER_PAGE = 50  # the penetration report's dealer table
LEDGER_HEADERS = [
    _("Entries"),
    _("Accrued"),
    _("Clawed back"),
    _("Adjusted"),
    _("Net commission"),
    _("Received"),
    _("Outstanding"),
]
PENETRATION_HEADERS = [
    _("Sales"),
    _("Loan sales"),
    rate_header(_("Penetration")),
    _("Loans disbursed"),
    _("Net commission"),
    _("Commission per loan"),
]
RISK_HEADERS = [
    _("Loans disbursed"),
    _("Defaulted"),
    rate_header(_("Default rate")),
    _("Paid off early"),
    rate_header(_("Early payoff rate")),
    _("Clawed back"),
    _("Live loans"),
    _("Exposure"),
]
RISK_TITLES = {
    "lender": _("By lender"),
    "credit_grade": _("By credit grade"),
    "term_band": _("By term band"),
}
PENETRATION_TITLES = {"dealer": _("By dealer"), "region": _("By region")}


def ledger_cells(totals: LedgerTotals) -> list[Any]:
    return [
        totals.entries,
        totals.accrued,
        totals.clawed_back,
        totals.adjusted,
        totals.net,
        totals.received,
        totals.outstanding,
    ]


def penetration_cells(row: PenetrationRow) -> list[Any]:
    return [
        row.sales,
        row.loan_sales,
        row.penetration,
        row.loans,
        row.net_commission,
        row.commission_per_loan,
    ]


def risk_cells(row: RiskRow) -> list[Any]:
    return [
        row.loans,
        row.defaulted,
        row.default_rate,
        row.paid_off_early,
        row.early_payoff_rate,
        row.clawed_back,
        row.live_loans,
        row.exposure,
    ]


def risk_sources(scoped, *, network: bool = False) -> RiskSources:
    """The tables a risk report may read, each scoped by ``scoped`` (a model -> queryset);
    ``network``: with the network's own summary (for the roles that see all of it)."""
    return RiskSources(
        loans=scoped(Loan),
        entries=scoped(CommissionEntry),
        outcomes=scoped(LoanOutcomeSummary),
        clawbacks=scoped(ClawbackSummary),
        exposure=scoped(ExposureFigure),
        snapshots=scoped(ExposureSnapshot),
        network=scoped(RiskSummary) if network else None,
    )


def sees_network(user, filters) -> bool:
    """Whether a report may read the network-level summaries: a role that sees the whole
    network, looking at more than one dealer."""
    return region_level(user, filters) and can_view(user, RiskSummary)


def region_level(user, filters) -> bool:
    """Whether a report reads the region-level summaries: not for one dealer's figures, which
    its own rows give (bounded by its index) and no region-level row holds."""
    return role_of(user) != Role.DEALER_USER and not filters.dealer_id


def ledger_sums_source(scoped, user, filters):
    """What the ledger's totals, chart and payables sum: the rollup for a network's or a
    region's ledger, the dealer's cells for one dealer's."""
    if region_level(user, filters):
        return filters.rollup(scoped(LedgerRollup))
    return filters.ledger(scoped(LedgerSummary))


class ReportAccessMixin(ScopedMixin):
    model = CommissionEntry  # whose visibility opens the reports; each figure is scoped on its own


class ReportIndexView(ReportAccessMixin, TemplateView):
    template_name = "finance/reports/index.html"
    extra_context = {"title": _("Commission reports")}


class ReportView(ReportAccessMixin, TemplateView):
    """A report: the filter form, the figures, and ``?export=csv|xlsx`` of its table."""

    title = ""
    filter_fields: tuple[str, ...] = ("first_month", "last_month", "region", "dealer")

    def get(self, request, *args, **kwargs):
        self.form = ReportFilterForm(request.GET, user=request.user, fields=self.filter_fields, today=today())
        self.filters = self.form.filters()
        fmt = export_format(request)
        if fmt is not None:
            headers, rows = self.export_table()
            filters = self.filters
            return tabular_response(
                fmt=fmt,
                filename=export_name(self.title, f"{filters.first_month:%Y-%m}", f"{filters.last_month:%Y-%m}"),
                headers=headers,
                rows=rows,
                sheet_title=str(self.title),
                request=request,
                # A report's cost is the summary cells it sums: a long range of a large
                # network runs as an export job.
                reads=bounded_count(self.cells()),
            )
        return super().get(request, *args, **kwargs)

    def scoped(self, model):
        return scope(self.request.user, model)

    def cells(self):
        """The ledger summary's cells of the range, narrowed like the report."""
        return self.filters.ledger(self.scoped(LedgerSummary))

    def sums(self):
        return ledger_sums_source(self.scoped, self.request.user, self.filters)

    def export_table(self) -> tuple[Sequence[Any], Iterator[Sequence[Any]]]:
        """The headers and the rows (totals last) of the report's export; each report sets its own."""
        raise NotImplementedError

    def query_without(self, *keys: str) -> str:
        """This page's query string without ``keys``, for pagination and export links."""
        query = self.request.GET.copy()
        for key in keys:
            query.pop(key, None)
        return query.urlencode()

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "title": self.title,
            "form": self.form,
            "filters": self.filters,
            "export_query": self.query_without("page", "export", "table"),
            "query_without_page": self.query_without("page"),
        }

    def paginate(self, rows, context: dict) -> None:
        page = Paginator(rows, ROWS_PER_PAGE).get_page(self.request.GET.get("page"))
        context.update(page_obj=page, paginator=page.paginator, is_paginated=page.has_other_pages(), rows=page)

    def entry_list_link(self, **filters) -> str:
        """The ledger's entry list narrowed like the report (for drill-down links)."""
        query = {key: value for key, value in filters.items() if value not in (None, "")}
        return reverse("finance:entry-list") + "?" + urlencode(query)


class LedgerReportView(ReportView):
    """The ledger by period × dealer × lender; each row drills down to its entries."""

    template_name = "finance/reports/ledger.html"
    title = _("Ledger by period, dealer and lender")
    filter_fields = ("first_month", "last_month", "region", "dealer", "lender", "kind")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cells, sums = self.cells(), self.sums()
        filters = self.filters
        self.paginate(ledger_rows(cells, filters.kind, rollup=sums if sums.model is LedgerRollup else None), context)
        months = [month_start(filters.last_month, back) for back in reversed(range(filters.months))]
        context.update(
            totals=ledger_totals(sums, filters.kind),
            figure=charts.monthly_net_figure(monthly_net_by_lender(sums, filters.kind), months),
            entries_link=self.entry_list_link(
                month_from=filters.first_month,
                month_to=filters.last_month,
                region=filters.region_id,
                dealer=filters.dealer_id,
                lender=filters.lender_id,
                kind=filters.kind,
            ),
        )
        context["rows"] = [
            (
                row,
                self.entry_list_link(
                    period=row.period_id, dealer=row.dealer_id, lender=row.lender_id, kind=filters.kind
                ),
            )
            for row in context["rows"]
        ]
        return context

    def export_table(self):
        cells, kind = self.cells(), self.filters.kind
        headers = [_("Period"), _("Dealer code"), _("Dealer"), _("Lender"), *LEDGER_HEADERS]

        def rows():
            for row in ledger_rows(cells, kind):
                yield [f"{row.month:%Y-%m}", row.dealer_code, row.dealer, row.lender, *ledger_cells(row.totals)]
            yield [str(_("Total")), "", "", "", *ledger_cells(ledger_totals(self.sums(), kind))]

        return headers, rows()


class PayablesReportView(ReportView):
    """What each lender owes the dealers on the range's entries, and what it has paid."""

    template_name = "finance/reports/payables.html"
    title = _("Payables and receivables by lender")
    filter_fields = ("first_month", "last_month", "region", "dealer", "lender")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sums = self.sums()
        filters = self.filters
        lenders = payables_by_lender(sums)
        context.update(
            totals=ledger_totals(sums),
            figure=charts.payables_figure(lenders) if lenders else None,
            rows=[
                (
                    row,
                    self.entry_list_link(
                        month_from=filters.first_month,
                        month_to=filters.last_month,
                        region=filters.region_id,
                        dealer=filters.dealer_id,
                        lender=row.lender_id,
                    ),
                )
                for row in lenders
            ],
        )
        return context

    def export_table(self):
        sums = self.sums()
        headers = [_("Lender"), *LEDGER_HEADERS]

        def rows():
            for row in payables_by_lender(sums):
                yield [row.lender, *ledger_cells(row.totals)]
            yield [str(_("Total")), *ledger_cells(ledger_totals(sums))]

        return headers, rows()


class PenetrationReportView(ReportView):
    """Loan sales over all sales, and net commission per loan disbursed, by dealer and region."""

    template_name = "finance/reports/penetration.html"
    title = _("Finance penetration and commission per loan")

    def report(self) -> PenetrationReport:
        """Both tables (every dealer, most sales first) and the totals, from one grouped pass
        over the dealers' months: the export's."""
        filters = self.filters
        return penetration_report(
            regions=filters.regions(self.scoped(Region)) if self.by_region() else None,
            dealers=filters.dealers(self.scoped(Dealer)),
            months=filters.monthly(self.scoped(DealerMonthSummary)),
            name=str(_("Total")),
        )

    def by_region(self) -> bool:
        # A dealer user's "region" would hold its own figures only: it gets the dealer table.
        return role_of(self.request.user) != Role.DEALER_USER

    def get_context_data(self, **kwargs):
        """The dealers a page at a time by code (a keyset over the dealers, each found busy
        through its own months); the regions and totals from the per-region months, or from
        the dealer's own when it is one dealer's report."""
        context = super().get_context_data(**kwargs)
        filters, user = self.filters, self.request.user
        months = filters.monthly(self.scoped(DealerMonthSummary))
        dealers = active_dealers(filters.dealers(self.scoped(Dealer)), months).only("pk", "code", "name")
        listing = Listing(dealers.order_by("code"), self.request.GET, DEALERS_PER_PAGE)
        if region_level(user, filters):
            region_cells, region_key = filters.region_months(self.scoped(RegionMonthSummary)), "region"
        else:
            region_cells, region_key = months, "dealer__region"
        report = penetration_page(
            regions=filters.regions(self.scoped(Region)) if self.by_region() else None,
            region_cells=region_cells,
            region_key=region_key,
            dealers=listing.rows,
            dealer_cells=months,
            name=str(_("Total")),
        )
        context.update(
            listing=listing,
            rows=report.dealers,
            totals=report.totals,
            regions=report.regions,
            figure=charts.penetration_figure(report.regions or report.dealers),
        )
        return context

    def export_table(self):
        table = "region" if self.request.GET.get("table") == "region" and self.by_region() else "dealer"
        headers = [_("Code"), _("Region") if table == "region" else _("Dealer"), *PENETRATION_HEADERS]

        def rows():
            report = self.report()
            for row in report.regions if table == "region" else report.dealers:
                yield [row.code, row.name, *penetration_cells(row)]
            yield [report.totals.name, "", *penetration_cells(report.totals)]

        return headers, rows()


class RiskReportView(ReportView):
    """Default and early-payoff rates, clawbacks and exposure by lender, grade and term band."""

    template_name = "finance/reports/risk.html"
    title = _("Loan risk")
    filter_fields = ("first_month", "last_month", "region", "dealer", "lender")

    def report(self) -> RiskReport:
        """Every table and the totals: from the summaries, or one dealer's own loans."""
        return risk_report(
            sources=risk_sources(self.scoped, network=sees_network(self.request.user, self.filters)),
            filters=self.filters,
            label=str(_("Total")),
            by_summary=region_level(self.request.user, self.filters),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = self.report()
        tables = [(RISK_TITLES[dimension], dimension, report.tables[dimension]) for dimension in RISK_DIMENSIONS]
        by_lender, by_band = report.tables["lender"], report.tables["term_band"]
        context.update(
            tables=tables,
            totals=report.totals,
            exposure_computed_at=report.exposure_computed_at,
            rates_figure=charts.risk_rates_figure(by_lender, title=str(_("Default and early-payoff rates by lender")))
            if by_lender
            else None,
            exposure_figure=charts.exposure_figure(by_band, title=str(_("Exposure by term band"))) if by_band else None,
        )
        return context

    def export_table(self):
        dimension = self.request.GET.get("table")
        dimension = dimension if dimension in RISK_DIMENSIONS else "lender"
        headers = [RISK_TITLES[dimension], *RISK_HEADERS]

        def rows():
            report = self.report()
            for row in report.tables[dimension]:
                yield [row.label, *risk_cells(row)]
            yield [report.totals.label, *risk_cells(report.totals)]

        return headers, rows()
