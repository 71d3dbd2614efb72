"""Each of the 12 metrics on a small hand-built network, with the expected raw value and sample
written out. The month is October 2026, its last day of data the 31st (computed on 5 November)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from channels.models import DealerKind, HealthMetric
from channels.selectors import health_scores
from customers.models import InquiryStatus
from finance.models import LoanStatus
from inventory.models import Payment, Sale, StockStatus, TransferStatus
from tests.channels.health import compute, metric, sell
from tests.factories import (
    CustomerFactory,
    DealerFactory,
    InquiryFactory,
    LeadFactory,
    LoanFactory,
    ServiceVisitFactory,
    StockUnitFactory,
    TransferFactory,
    VehicleModelFactory,
)

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An instant on ``day``, Shanghai time."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture(autouse=True)
def every_sample_counts(settings):
    """Minimum sample 1 everywhere, so each metric is scored on these few records."""
    settings.HEALTH_MIN_SAMPLES = dict.fromkeys(HealthMetric.values, 1)


@pytest.fixture
def dealer():
    return DealerFactory(monthly_sales_target=10, sales_headcount=2)


def test_target_achievement_and_staff_efficiency_count_the_months_sales(dealer, monkeypatch):
    for day in (dt.date(2026, 10, 1), dt.date(2026, 10, 15), dt.date(2026, 10, 31)):
        sell(dealer, day)
    sell(dealer, dt.date(2026, 9, 30))
    sell(dealer, dt.date(2026, 11, 1))
    compute(monkeypatch)

    target = metric(dealer, "target_achievement")
    assert (target.value, target.sample) == (Decimal("0.3000"), 10)  # 3 sales / target 10
    staff = metric(dealer, "staff_efficiency")
    assert (staff.value, staff.sample) == (Decimal("1.5000"), 2)  # 3 sales / 2 salespeople


def test_a_dealer_without_a_target_or_headcount_has_no_score_for_them(monkeypatch):
    dealer = DealerFactory(monthly_sales_target=0, sales_headcount=0)
    sell(dealer, dt.date(2026, 10, 10))
    compute(monkeypatch)

    for name in ("target_achievement", "staff_efficiency"):
        row = metric(dealer, name)
        assert (row.value, row.sample, row.score, row.insufficient) == (None, 0, None, True)


def test_lead_conversion_counts_sales_within_90_days_of_assignment_over_the_trailing_90_days(dealer, monkeypatch):
    def lead(assigned: dt.date, sold_on: dt.date | None = None):
        sale = sell(dealer, sold_on) if sold_on else None
        LeadFactory(dealer=dealer, created_at=at(assigned, 9), assigned_at=at(assigned), converted_sale=sale)

    lead(dt.date(2026, 10, 1), sold_on=dt.date(2026, 10, 20))  # converted
    lead(dt.date(2026, 8, 5), sold_on=dt.date(2026, 10, 30))  # converted on day 86
    lead(dt.date(2026, 8, 10), sold_on=dt.date(2026, 11, 3))  # sold after the month's last day
    lead(dt.date(2026, 10, 15))  # not (yet) converted
    lead(dt.date(2026, 7, 1), sold_on=dt.date(2026, 7, 20))  # assigned before the 90 days
    compute(monkeypatch)

    row = metric(dealer, "lead_conversion")
    assert (row.value, row.sample) == (Decimal("0.5000"), 4)  # 2 of the 4 leads of Aug 3 - Oct 31


def test_lead_response_is_the_median_minutes_to_first_contact_of_the_months_contacted_leads(dealer, monkeypatch):
    for minutes in (10, 30, 60, 1000):
        assigned = at(dt.date(2026, 10, 12))
        LeadFactory(
            dealer=dealer,
            created_at=assigned,
            assigned_at=assigned,
            first_contact_at=assigned + dt.timedelta(minutes=minutes),
        )
    LeadFactory(dealer=dealer, created_at=at(dt.date(2026, 10, 20)), assigned_at=at(dt.date(2026, 10, 20)))
    september = at(dt.date(2026, 9, 20))
    LeadFactory(dealer=dealer, created_at=september, assigned_at=september, first_contact_at=september)
    compute(monkeypatch)

    row = metric(dealer, "lead_response")
    assert (row.value, row.sample) == (Decimal("45.0000"), 4)  # median of 10, 30, 60, 1000 minutes


def test_inventory_coefficient_and_aged_stock_look_at_the_units_on_hand_at_month_end(dealer, monkeypatch):
    StockUnitFactory(dealer=dealer, arrived_on=dt.date(2026, 10, 2))
    StockUnitFactory(dealer=dealer, arrived_on=dt.date(2026, 9, 1))
    StockUnitFactory(dealer=dealer, arrived_on=dt.date(2026, 7, 1))  # 122 days on hand at Oct 31: aged
    sell(dealer, dt.date(2026, 11, 2), stock_unit__arrived_on=dt.date(2026, 10, 1))  # still on hand on Oct 31
    StockUnitFactory(dealer=dealer, arrived_on=dt.date(2026, 11, 3))  # arrived after the month
    StockUnitFactory(dealer=dealer, status=StockStatus.IN_TRANSIT, arrived_on=None)
    StockUnitFactory(dealer=dealer, status=StockStatus.TRANSFERRED, arrived_on=dt.date(2026, 8, 1))
    for day in (5, 6, 7):
        sell(dealer, dt.date(2026, 10, day))
    compute(monkeypatch)

    coefficient = metric(dealer, "inventory_coefficient")
    assert (coefficient.value, coefficient.sample) == (Decimal("1.3333"), 3)  # 4 on hand / 3 sold
    aged = metric(dealer, "aged_stock")
    assert (aged.value, aged.sample) == (Decimal("0.2500"), 4)  # 1 of 4 arrived before Aug 2


def test_finance_penetration_counts_live_loans_and_leases(dealer, monkeypatch):
    LoanFactory(sale=sell(dealer, dt.date(2026, 10, 3), payment=Payment.LOAN))
    LoanFactory(
        sale=sell(dealer, dt.date(2026, 10, 4), payment=Payment.LOAN), status=LoanStatus.REJECTED, disbursed_on=None
    )
    sell(dealer, dt.date(2026, 10, 5), payment=Payment.LEASE)
    sell(dealer, dt.date(2026, 10, 6), payment=Payment.CASH)
    compute(monkeypatch)

    row = metric(dealer, "finance_penetration")
    assert (row.value, row.sample) == (Decimal("0.5000"), 4)  # 1 live loan + 1 lease of 4 sales


def test_price_realisation_and_below_floor_compare_with_the_models_prices(dealer, monkeypatch):
    model = VehicleModelFactory(msrp=Decimal("200000.00"), guide_price_floor=Decimal("180000.00"))
    for price in ("179999.99", "180000.00", "220000.00"):
        sell(dealer, dt.date(2026, 10, 8), stock_unit__model=model, transaction_price=Decimal(price))
    compute(monkeypatch)

    realisation = metric(dealer, "price_realisation")
    # (0.89999995 + 0.9 + 1.1) / 3 = 0.96666665
    assert (realisation.value, realisation.sample) == (Decimal("0.9667"), 3)
    below = metric(dealer, "below_floor")
    assert (below.value, below.sample) == (Decimal("0.3333"), 3)  # 1 of 3 under the floor


def test_satisfaction_averages_rated_visits_and_inquiries_resolved_in_the_month(dealer, monkeypatch):
    for rating, day in ((5, dt.date(2026, 10, 3)), (4, dt.date(2026, 10, 30)), (None, dt.date(2026, 10, 4))):
        ServiceVisitFactory(dealer=dealer, visited_on=day, satisfaction=rating)
    ServiceVisitFactory(dealer=dealer, visited_on=dt.date(2026, 9, 30), satisfaction=1)
    InquiryFactory(
        dealer=dealer,
        opened_at=at(dt.date(2026, 9, 28)),
        status=InquiryStatus.RESOLVED,
        resolved_at=at(dt.date(2026, 10, 10)),
        satisfaction=2,
    )
    InquiryFactory(
        dealer=dealer,
        opened_at=at(dt.date(2026, 10, 28)),
        status=InquiryStatus.CLOSED,
        resolved_at=at(dt.date(2026, 11, 2)),
        satisfaction=1,
    )
    compute(monkeypatch)

    row = metric(dealer, "satisfaction")
    assert (row.value, row.sample) == (Decimal("3.6667"), 3)  # (5 + 4 + 2) / 3


def test_retention_counts_buyers_of_one_to_three_years_ago_back_in_the_workshop_within_12_months(dealer, monkeypatch):
    other = DealerFactory()

    def buyer(bought: dt.date, visited: dt.date | None = None, at_dealer=None):
        customer = CustomerFactory(home_dealer=dealer)
        sell(dealer, bought, customer=customer)
        if visited:
            ServiceVisitFactory(dealer=at_dealer or dealer, customer=customer, visited_on=visited)

    buyer(dt.date(2024, 6, 1), visited=dt.date(2026, 3, 1))  # retained
    buyer(dt.date(2025, 1, 1), visited=dt.date(2025, 9, 1))  # came back, but more than 12 months ago
    buyer(dt.date(2024, 1, 1), visited=dt.date(2026, 5, 1), at_dealer=other)  # went to another workshop
    buyer(dt.date(2026, 1, 1), visited=dt.date(2026, 6, 1))  # bought less than a year ago
    buyer(dt.date(2023, 5, 1), visited=dt.date(2026, 6, 1))  # bought more than three years ago
    compute(monkeypatch)

    row = metric(dealer, "retention")
    assert (row.value, row.sample) == (Decimal("0.3333"), 3)  # 1 of the 3 buyers of Oct 2023 - Oct 2025


def test_data_timeliness_needs_entry_within_48_hours_and_no_change_after_the_cutoff(dealer, monkeypatch):
    on_time = sell(dealer, dt.date(2026, 10, 10), recorded_at=at(dt.date(2026, 10, 12), 23, 59))
    late = sell(dealer, dt.date(2026, 10, 10), recorded_at=at(dt.date(2026, 10, 13), 0, 30))
    changed_late = sell(dealer, dt.date(2026, 10, 20), recorded_at=at(dt.date(2026, 10, 20)))
    changed_in_time = sell(dealer, dt.date(2026, 10, 31), recorded_at=at(dt.date(2026, 11, 2)))
    for sale, changed in (
        (on_time, at(dt.date(2026, 10, 12), 23, 59)),
        (late, at(dt.date(2026, 10, 13), 0, 30)),
        (changed_late, at(dt.date(2026, 11, 6), 0, 1)),  # after the end of the 5th
        (changed_in_time, at(dt.date(2026, 11, 5), 23, 59)),
    ):
        Sale.objects.filter(pk=sale.pk).update(updated_at=changed)
    compute(monkeypatch, on=dt.date(2026, 11, 7))

    row = metric(dealer, "data_timeliness")
    assert (row.value, row.sample) == (Decimal("0.5000"), 4)


def test_only_active_and_probation_dealers_are_scored_and_each_gets_all_12_metrics(monkeypatch):
    active = DealerFactory()
    probation = DealerFactory(status="probation")
    DealerFactory(status="exited")
    DealerFactory(status="applying")
    sell(active, dt.date(2026, 10, 10))
    run = compute(monkeypatch)

    assert run.rows == 2
    for dealer in (active, probation):
        assert [row.metric for row in health_scores().get(dealer=dealer).metrics.all()] == HealthMetric.values
    assert probation.health_scores.get().dealer_kind == DealerKind.FOUR_S


def test_transferred_units_count_where_they_were_held_at_month_end_and_keep_their_age(dealer, monkeypatch):
    """Oct 31 is the last day: a unit that arrived elsewhere in October counts there, aged; one
    on its way that day counts nowhere; one sent in November counts at its sender."""
    other = DealerFactory(region=dealer.region)
    october, november = at(dt.date(2026, 10, 10)), at(dt.date(2026, 11, 2))

    def moved(unit, *, to, sent, arrived_on, status=TransferStatus.ARRIVED):
        TransferFactory(
            stock_unit=unit, to_dealer=to, status=status, eta=arrived_on or dt.date(2026, 11, 20),
            decided_at=sent, arrived_on=arrived_on,
        )  # fmt: skip

    aged = StockUnitFactory(dealer=other, arrived_on=dt.date(2026, 7, 1))  # arrived at ``dealer`` Oct 12
    moved(aged, to=dealer, sent=october, arrived_on=dt.date(2026, 10, 12))
    aged.dealer = dealer
    aged.save()
    on_the_way = StockUnitFactory(dealer=dealer, status=StockStatus.IN_TRANSIT, arrived_on=dt.date(2026, 9, 1))
    moved(on_the_way, to=other, sent=october, arrived_on=None, status=TransferStatus.CONFIRMED)
    later = StockUnitFactory(dealer=dealer, arrived_on=dt.date(2026, 9, 1))  # still ``dealer``'s on Oct 31
    moved(later, to=other, sent=november, arrived_on=dt.date(2026, 11, 3))
    later.dealer = other
    later.save()
    StockUnitFactory(dealer=dealer, arrived_on=dt.date(2026, 9, 1))
    for day in (5, 6, 7):
        sell(dealer, dt.date(2026, 10, day))
    compute(monkeypatch)

    coefficient = metric(dealer, "inventory_coefficient")
    assert (coefficient.value, coefficient.sample) == (Decimal("1.0000"), 3)  # 3 on hand / 3 sold
    aged_row = metric(dealer, "aged_stock")
    assert (aged_row.value, aged_row.sample) == (Decimal("0.3333"), 3)  # the transferred unit from July
