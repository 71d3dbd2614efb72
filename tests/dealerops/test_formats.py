"""Every figure is written one way (``dealerops.formats``): fixed precision, thousands
separators, money on charts in 元 / 万元 / 亿元 rather than plotly's SI suffixes."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from dealerops import formats
from finance import charts as finance_charts
from finance.reports import LenderPayable, MonthlyNet, RiskRow
from finance.selectors import LedgerTotals
from inventory import charts as inventory_charts
from inventory.selectors import MonthlySales

D = Decimal


def render(text: str, **context) -> str:
    request = RequestFactory().get("/")
    return Template("{% load tables %}" + text).render(Context({"request": request, **context}))


def test_a_float_from_the_database_prints_to_two_decimals():
    peer_median = D(49.61)  # what percentile_cont's double becomes: 49.60999999999999943…
    assert len(str(peer_median)) > 40
    assert render("{{ v|number }}", v=peer_median) == "49.61"
    assert render("{{ v|number:1 }}", v=D("30.2750")) == "30.3"  # half-up
    assert render("{{ v|number }}", v=None) == "–"


def test_counts_have_thousands_separators_and_money_two_decimals():
    assert render("{{ v|count }}", v=1234567) == "1,234,567"
    assert render("{{ v|yuan }}", v=D("-41779.335")) == "-¥41,779.34"
    assert render("{{ v|percent }}", v=D("0.0075")) == "0.75 %"
    assert render("{{ v|signed }}", v=D("3.2")) == "+3.20"
    assert formats.format_ratio(3, 4) == "75.0 %" and formats.format_ratio(3, 0) == "–"


@pytest.mark.parametrize(
    ("largest", "unit"), [(D("9999.99"), "yuan"), (D("10000"), "10k yuan"), (D("-250000000"), "100M yuan")]
)
def test_a_charts_money_unit_follows_its_largest_amount(largest, unit):
    assert formats.money_unit([D("1.00"), largest, None])[1] == unit


def totals(net: str) -> LedgerTotals:
    return LedgerTotals(accrued=D(net), clawed_back=D(0), adjusted=D(0), received=D(0), entries=1)


def test_money_charts_draw_in_ten_thousands_of_yuan_with_the_unit_in_title_and_hover():
    figure = finance_charts.payables_figure([LenderPayable(1, "ICBC Auto", totals("523456.78"))])
    axis = figure["layout"]["yaxis"]
    assert axis["title"]["text"] == "10k yuan"
    assert (axis["tickformat"], axis["exponentformat"]) == (",.2~f", "none")  # no 0.5M, no 0.5B
    bar = figure["data"][0]
    assert bar["y"] == [pytest.approx(52.345678)]
    assert bar["hovertemplate"] == "%{y:,.2f} 10k yuan"


def test_a_network_sized_figure_draws_in_hundred_millions():
    rows = [MonthlyNet(month=dt.date(2026, 11, 1), lender="ICBC Auto", net=D("512000000.00"))]
    figure = finance_charts.monthly_net_figure(rows, [dt.date(2026, 11, 1)])
    assert figure["layout"]["yaxis"]["title"]["text"] == "100M yuan"
    assert figure["data"][0]["y"] == [pytest.approx(5.12)]
    risk = RiskRow("x", "36 months", 10, 1, 1, D("0"), 9, D("1500000.00"))
    exposure = finance_charts.exposure_figure([risk], title="Exposure")
    assert exposure["layout"]["yaxis"]["title"]["text"] == "10k yuan" and exposure["data"][0]["y"] == [150.0]


def test_unit_charts_tick_whole_units_with_separators():
    rows = [MonthlySales(month=dt.date(2026, 11, 1), units=12500, revenue=D("0"), financed_units=4000)]
    axis = inventory_charts.monthly_sales_figure(rows, title="Units")["layout"]["yaxis"]
    assert (axis["tickformat"], axis["hoverformat"]) == (",d", ",d")  # 12,500, not 12.5k


def test_the_chinese_units_are_wan_and_yi(settings):
    from django.utils import translation

    with translation.override("zh-hans"):
        assert [formats.money_unit([D(v)])[1] for v in ("1", "20000", "300000000")] == ["元", "万元", "亿元"]


# -- no page prints an unrounded figure ----------------------------------------------------------

LONG_DECIMAL = re.compile(r"\d\.\d{5,}")


def visible(html: str) -> str:
    """The page's text without scripts (figures carry plotting coordinates) or tag attributes."""
    html = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    return re.sub(r"<[^>]*>", " ", html)


@pytest.fixture
def busy_network(network, monkeypatch):
    """October 2026 with sales, loans on the ledger, health and data-quality scores."""
    from channels.health import services as health_services
    from datahub.quality import services as quality_services
    from finance.services.ledger import commissions_post
    from finance.services.policies import PolicyTerms, policy_version_create
    from tests.channels.health import sell
    from tests.factories import DealerFactory, LenderFactory
    from tests.finance.test_commission_posting import make_loan

    lender = LenderFactory(code="ICBC", name="ICBC Auto")
    policy_version_create(
        lender=lender, terms=PolicyTerms(basis="rate_based", effective_from=dt.date(2026, 1, 1), ratio=D("0.0133"))
    )
    neighbour = DealerFactory(code="HZ02", name="Hangzhou Binjiang 4S", region=network.home_region)
    # Three peers selling 1, 2 and 3 units: medians such as 33.33 that a float cannot hold.
    for units, dealer in enumerate((network.home_dealer, neighbour, network.foreign_dealer), start=1):
        for day in range(units):
            sell(dealer, dt.date(2026, 10, 3 + day), transaction_price=D("123456.78"))
    for dealer in (network.home_dealer, network.foreign_dealer):
        make_loan(dealer, lender, principal="187654.32", rate="0.047700", disbursed=dt.date(2026, 10, 12))
    commissions_post(as_of=dt.date(2026, 11, 3))
    monkeypatch.setattr(health_services, "today", lambda: dt.date(2026, 11, 3))
    health_services.health_month_compute(month=dt.date(2026, 10, 1))
    monkeypatch.setattr(quality_services, "today", lambda: dt.date(2026, 11, 3))
    quality_services.data_quality_compute(month=dt.date(2026, 10, 1))
    return network


@pytest.mark.django_db
def test_no_page_prints_a_long_unrounded_number(busy_network, client_for):
    dealer = busy_network.home_dealer
    pages = [
        "/",
        f"/dealers/{dealer.pk}/",
        f"/dealers/{dealer.pk}/health/",
        f"/data-quality/dealers/{dealer.pk}/",
        "/health/",
        "/health/scores/",
        "/data-quality/",
        "/commissions/",
        "/commissions/periods/",
        "/commissions/reports/ledger/?first_month=2026-01&last_month=2026-12",
        "/commissions/reports/payables/",
        "/commissions/reports/penetration/?first_month=2026-01&last_month=2026-12",
        "/commissions/reports/risk/?first_month=2026-01&last_month=2026-12",
        "/loans/",
        "/sales/",
    ]
    checked = 0
    for user in busy_network.users().values():
        client = client_for(user)
        for url in pages:
            response = client.get(url)
            if response.status_code != 200:
                continue  # pages the role may not open
            checked += 1
            found = LONG_DECIMAL.findall(visible(response.content.decode()))
            assert not found, (user.username, url, found)
    assert checked >= 30
