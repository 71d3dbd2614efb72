"""What each role's home page shows: real numbers of the user's scope and the 24-month chart.

Every figure reads through ``dealerops.access.scope``, so one code path serves all roles:
the role only changes the headline and which extra panel is shown. The figures come from the
summaries of ``inventory.summaries`` and, for loans, finance.DisbursementSummary (all kept exact
by triggers), so a page sums at most regions × months rows (dealers × months for a dealer, and
dealers × lenders × months for loans) however many sales, units and loans there are.
"""

import calendar
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from channels.models import Dealer, DealerStatus
from datahub.quality.selectors import alerts_context
from dealerops.access import can_view, role_of, scope
from dealerops.formats import format_count, format_ratio, format_yuan
from dealerops.models import Role, User
from finance import selectors as loan_selectors
from finance.models import DisbursementSummary
from inventory import charts, summaries
from inventory.models import (
    RegionSalesMonth,
    RegionStockMonth,
    SalesDay,
    SalesMonth,
    StockAlert,
    StockDay,
    StockMonth,
)
from inventory.selectors import live_stock_alerts, month_start

CHART_MONTHS = 24


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    hint: str = ""


def _same_days_a_year_before(first: date, last: date) -> tuple[date, date]:
    """The same stretch of days one year earlier (29 February becomes the 28th)."""

    def before(day: date) -> date:
        return day.replace(year=day.year - 1, day=min(day.day, calendar.monthrange(day.year - 1, day.month)[1]))

    return before(first), before(last)


def _days(first: date, last: date) -> str:
    return f"{first:%m-%d}" if first == last else f"{first:%m-%d} – {last:%m-%d}"


def _change(now: int, before: int) -> str:
    """``now`` against ``before`` as a signed percentage ("–" with nothing to compare with)."""
    return "–" if not before else ("+" if now > before else "") + format_ratio(now - before, before)


def _scope_title(user: User, role: str) -> str:
    if role == Role.DEALER_USER:
        return str(user.dealer)
    if role == Role.REGIONAL_MANAGER:
        names = ", ".join(region.name for region in user.regions.all())
        return names or _("No region assigned yet: ask head office to assign your regions.")
    return _("Whole network")


def home_context(user: User, today: date) -> dict:
    role = role_of(user)
    sales_months, sales_days = scope(user, SalesMonth), scope(user, SalesDay)
    # Who sees whole regions reads the regions' months: 8 rows a month, not one per dealer.
    months = sales_months if role == Role.DEALER_USER else scope(user, RegionSalesMonth)
    first_month = month_start(today, CHART_MONTHS - 1)
    this_month = month_start(today)
    last_month = month_start(today, 1)
    # The network-wide roles (and a manager of several regions) see the months by region.
    by_region = role in (Role.HEAD_OFFICE, Role.FINANCE) or (role == Role.REGIONAL_MANAGER and user.regions.count() > 1)
    if by_region:
        monthly, regions = summaries.monthly_sales_and_regions(
            months, sales_days, first_month=first_month, last_day=today
        )
    else:
        monthly = summaries.monthly_sales(months, sales_days, first_month=first_month, last_day=today)
    current, previous = monthly[-1], monthly[-2]
    # The month so far against the same days of the month a year before, never against the
    # whole of it (2 days of December against all of last December reads as a collapse).
    year_before = _same_days_a_year_before(this_month, today)
    year_before_units = summaries.units_sold(months, sales_days, first_day=year_before[0], last_day=year_before[1])
    days_in_month = calendar.monthrange(today.year, today.month)[1]

    kpis = [
        Kpi(_("Units sold this month"), format_count(current.units), _("since %(day)s") % {"day": this_month}),
        Kpi(_("Units sold last month"), format_count(previous.units)),
        Kpi(
            _("Change on the same days last year"),
            _change(current.units, year_before_units),
            _("%(days)s against the same days of %(year)s: %(units)s")
            % {"days": _days(this_month, today), "year": year_before[0].year, "units": format_count(year_before_units)},
        ),
        Kpi(_("Loan or lease share last month"), format_ratio(previous.financed_units, previous.units)),
    ]
    context: dict = {"role": role, "scope_title": _scope_title(user, role), "kpis": kpis, "panels": []}

    monthly_target = None
    if role == Role.DEALER_USER:
        monthly_target = user.dealer.monthly_sales_target
        kpis.insert(
            1,
            Kpi(
                _("Target achieved this month"),
                format_ratio(current.units, monthly_target),
                # The month's whole target against the month so far: say how much of it has gone.
                _("so far: day %(day)s of %(days)s") % {"day": today.day, "days": days_in_month},
            ),
        )
    if role in (Role.DEALER_USER, Role.REGIONAL_MANAGER, Role.HEAD_OFFICE):
        stock_months = scope(user, StockMonth if role == Role.DEALER_USER else RegionStockMonth)
        stock = summaries.stock_summary(stock_months, scope(user, StockDay), today=today)
        kpis += [
            Kpi(
                _("Units in stock"),
                format_count(stock.in_stock),
                _("%(n)s ordered or in transit") % {"n": format_count(stock.in_transit)},
            ),
            Kpi(_("In stock over 90 days"), format_count(stock.aged_over_90_days)),
        ]
    if role == Role.FINANCE:
        # Whole months of the finance summary: exact for the month so far, as no loan is
        # disbursed in the future (its services and the data hub refuse future dates).
        loans = scope(user, DisbursementSummary)
        count, principal = loan_selectors.summary_disbursement_totals(loans, this_month, this_month)
        kpis += [
            Kpi(_("Loans disbursed this month"), format_count(count), _("since %(day)s") % {"day": this_month}),
            Kpi(_("Principal disbursed this month"), format_yuan(principal), _("since %(day)s") % {"day": this_month}),
        ]
        context["lender_volumes"] = loan_selectors.summary_volume_by_lender(loans, last_month, this_month)
    # Managers watch their dealers' health from the home page.
    context["health_dashboard"] = role in (Role.REGIONAL_MANAGER, Role.HEAD_OFFICE)
    if role == Role.REGIONAL_MANAGER:
        context["top_dealers"] = _dealers_this_month(user, sales_months, sales_days, this_month, today)
        context["month_so_far"] = {"first": this_month, "last": today, "day": today.day, "days": days_in_month}
    # Stock alerts of the dealer's (or the manager's dealers') stock, newest open first.
    if can_view(user, StockAlert):
        context["stock_alerts"], context["stock_alerts_live"] = live_stock_alerts(scope(user, StockAlert))
        context["is_dealer"] = role == Role.DEALER_USER
    # Suspicious data patterns of the manager's dealers, to acknowledge from here.
    context.update(alerts_context(user))

    # The last bar is the month so far: say so, or it reads as a collapse.
    to_date = " · " + _("this month to %(day)s") % {"day": f"{today:%m-%d}"}
    if by_region:
        context["figure"] = charts.stacked_monthly_figure(
            regions,
            [row.month for row in monthly],
            title=_("Units sold per month by region, last %(n)s months") % {"n": CHART_MONTHS} + to_date,
        )
    else:
        context["figure"] = charts.monthly_sales_figure(
            monthly,
            title=_("Units sold per month, last %(n)s months") % {"n": CHART_MONTHS} + to_date,
            monthly_target=monthly_target,
        )
    return context


def _dealers_this_month(
    user: User,
    months: QuerySet[SalesMonth],
    days: QuerySet[SalesDay],
    first_day: date,
    today: date,
    limit: int = 10,
) -> list[Dealer]:
    """The region's active dealers ranked by units sold this month, with target achievement."""
    sold = summaries.dealer_units(months, days, first_day=first_day, last_day=today)
    dealers = (
        scope(user, Dealer)
        .filter(status__in=[DealerStatus.ACTIVE, DealerStatus.PROBATION])
        .annotate(units=sold)
        .order_by("-units", "code")[:limit]
    )
    for dealer in dealers:
        dealer.achievement = format_ratio(dealer.units, dealer.monthly_sales_target)
    return list(dealers)
