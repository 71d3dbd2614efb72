"""Each role lands on a home page with its own numbers and the 24-month chart."""

import datetime as dt
from decimal import Decimal

import pytest

from dealerops.home import home_context
from inventory.models import Payment, StockStatus
from tests.factories import LoanFactory, SaleFactory, StockUnitFactory

TODAY = dt.date(2026, 11, 20)


def kpi(context: dict, label: str) -> str:
    return next(k.value for k in context["kpis"] if k.label == label)


@pytest.fixture
def sales(network):
    """Home dealer: 3 sales this month (one on loan), 1 last month; foreign dealer: 2 this month."""
    for day in (3, 10, 18):
        SaleFactory(dealer=network.home_dealer, sold_on=dt.date(2026, 11, day))
    LoanFactory(
        sale=SaleFactory(dealer=network.home_dealer, sold_on=dt.date(2026, 10, 30), payment=Payment.LOAN),
        principal=Decimal("150000.00"),
        down_payment=Decimal("45000.00"),
        disbursed_on=dt.date(2026, 11, 2),
    )
    for day in (5, 6):
        SaleFactory(dealer=network.foreign_dealer, sold_on=dt.date(2026, 11, day))
    StockUnitFactory(dealer=network.home_dealer, status=StockStatus.IN_STOCK, arrived_on=dt.date(2026, 7, 1))
    StockUnitFactory(dealer=network.home_dealer, status=StockStatus.IN_STOCK, arrived_on=dt.date(2026, 11, 1))
    return network


@pytest.mark.django_db
class TestHomeNumbers:
    def test_the_dealer_user_sees_their_own_dealer_against_its_target(self, sales):
        context = home_context(sales.dealer_user, TODAY)
        assert context["scope_title"] == str(sales.home_dealer)
        assert kpi(context, "Units sold this month") == "3"
        assert kpi(context, "Units sold last month") == "1"
        assert kpi(context, "Target achieved this month") == "3.0 %"
        assert kpi(context, "Loan or lease share last month") == "100.0 %"
        assert kpi(context, "Units in stock") == "2"
        assert kpi(context, "In stock over 90 days") == "1"

    def test_the_change_on_last_year_compares_the_same_days_and_says_so(self, sales):
        # Last November: one sale in its first 20 days, three after them.
        for day in (20, 21, 25, 30):
            SaleFactory(
                dealer=sales.home_dealer, sold_on=dt.date(2025, 11, day), stock_unit__arrived_on=dt.date(2025, 10, 1)
            )
        context = home_context(sales.dealer_user, TODAY)
        change = next(k for k in context["kpis"] if k.label == "Change on the same days last year")
        assert change.value == "+200.0 %"  # 3 sales against 1, not against the whole month's 4
        assert change.hint == "11-01 – 11-20 against the same days of 2025: 1"

    def test_a_change_on_a_day_without_a_year_before_reads_as_no_comparison(self, sales):
        assert kpi(home_context(sales.dealer_user, TODAY), "Change on the same days last year") == "–"

    def test_the_target_achieved_so_far_says_how_much_of_the_month_has_gone(self, sales):
        target = next(
            k for k in home_context(sales.dealer_user, TODAY)["kpis"] if k.label == "Target achieved this month"
        )
        assert (target.value, target.hint) == ("3.0 %", "so far: day 20 of 30")

    def test_the_chart_covers_24_months_ending_with_this_month(self, sales):
        figure = home_context(sales.dealer_user, TODAY)["figure"]
        assert figure["layout"]["title"]["text"].endswith(" · this month to 11-20")  # the last bar is partial
        bars = figure["data"][0]
        assert len(bars["x"]) == 24
        assert bars["x"][0].startswith("2024-12-01") and bars["x"][-1].startswith("2026-11-01")
        assert bars["y"][-2:] == [1, 3]
        target = figure["data"][2]
        assert set(target["y"]) == {100}

    def test_the_regional_manager_sees_only_their_region(self, sales):
        context = home_context(sales.regional_manager, TODAY)
        assert context["scope_title"] == "East"
        assert kpi(context, "Units sold this month") == "3"
        assert [dealer.code for dealer in context["top_dealers"]] == ["HZ01"]
        assert context["top_dealers"][0].units == 3

    def test_head_office_sees_the_network_stacked_by_region(self, sales):
        context = home_context(sales.head_office, TODAY)
        assert kpi(context, "Units sold this month") == "5"
        by_region = {trace["name"]: trace["y"][-1] for trace in context["figure"]["data"]}
        assert by_region == {"East": 3, "West": 2}

    def test_finance_sees_loans_disbursed_this_month_to_the_fen(self, sales):
        context = home_context(sales.finance_user, TODAY)
        assert kpi(context, "Loans disbursed this month") == "1"
        assert kpi(context, "Principal disbursed this month") == "¥150,000.00"
        assert [(v.lender, v.loans, v.average_rate_percent) for v in context["lender_volumes"]] == [
            (sales.home_dealer.loans.get().lender.name, 1, "5.00 %")
        ]

    def test_a_regional_manager_without_regions_sees_an_empty_network(self, sales):
        sales.regional_manager.regions.clear()
        context = home_context(sales.regional_manager, TODAY)
        assert kpi(context, "Units sold this month") == "0"
        assert "No region assigned" in context["scope_title"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["dealer_user", "regional_manager", "finance", "head_office"])
def test_every_role_lands_on_a_home_page_with_the_chart(sales, client_for, role):
    response = client_for(sales.users()[role]).get("/")
    assert response.status_code == 200
    assert b'id="sales-chart-data"' in response.content
    assert b"/static/plotly/plotly.min.js" in response.content


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
