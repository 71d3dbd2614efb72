"""Data quality: each rule on a small hand-built month with the expected numbers written out,
idempotent re-runs, alerts, scoping of the pages, and agreement with health metric 12.

The month is October 2026, computed on 7 November (after its reporting cut-off, the end of
5 November). Event times of the audit trail are set directly in the event table.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from channels.models import HealthMetric
from customers.models import Customer
from datahub.models import DataIssue, DataQualityAlert, DataQualityScore, ImportBatch, ImportKind
from datahub.quality import services
from finance.models import CommissionPeriod, Loan, LoanStatus, PeriodStatus
from inventory.models import Payment, Sale, StockStatus, StockUnit
from tests.channels.health import compute as compute_health
from tests.channels.health import metric, sell
from tests.datahub.helpers import confirm, run_import
from tests.factories import (
    CustomerFactory,
    DataQualityScoreFactory,
    DealerFactory,
    LeadFactory,
    LoanFactory,
    SaleFactory,
    ServiceVisitFactory,
    StockUnitFactory,
)

pytestmark = pytest.mark.django_db

OCTOBER = dt.date(2026, 10, 1)
NOVEMBER = dt.date(2026, 11, 1)
COMPUTED_ON = dt.date(2026, 11, 7)
SaleEvent = apps.get_model("inventory", "SaleEvent")
StockUnitEvent = apps.get_model("inventory", "StockUnitEvent")
LoanEvent = apps.get_model("finance", "LoanEvent")
CustomerEvent = apps.get_model("customers", "CustomerEvent")


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An instant on ``day``, Shanghai time."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def compute(monkeypatch, month: dt.date = OCTOBER, *, on: dt.date = COMPUTED_ON):
    monkeypatch.setattr(services, "today", lambda: on)
    return services.data_quality_compute(month=month)


def score(dealer, month: dt.date = OCTOBER) -> DataQualityScore:
    return DataQualityScore.objects.get(dealer=dealer, month=month)


def counts(row: DataQualityScore, dimension: str) -> tuple[Decimal | None, int, int]:
    return getattr(row, dimension), getattr(row, f"{dimension}_passed"), getattr(row, f"{dimension}_checked")


def issues(dealer, dimension: str, month: dt.date = OCTOBER) -> list[tuple[str, int]]:
    rows = DataIssue.objects.filter(dealer=dealer, month=month, dimension=dimension)
    return sorted(rows.values_list("rule", "record_id"))


def entered(sale: Sale, when: dt.datetime, label: str = "insert") -> None:
    """Set when the audit trail saw the sale's insert (or other) event."""
    SaleEvent.objects.filter(pgh_obj_id=sale.pk, pgh_label=label).update(pgh_created_at=when)


def on_time(dealer, sold_on: dt.date, **fields) -> Sale:
    """A sale entered (and last changed) on its sale day, in the record and in the audit trail;
    its unit's audit events are dated on its arrival day."""
    sale = sell(dealer, sold_on, recorded_at=at(sold_on), **fields)
    Sale.objects.filter(pk=sale.pk).update(updated_at=at(sold_on))
    entered(sale, at(sold_on))
    entered(sale, at(sold_on), label="update")
    unit = sale.stock_unit
    StockUnitEvent.objects.filter(pgh_obj_id=unit.pk).update(pgh_created_at=at(unit.arrived_on))
    return sale


def checked_as_committed() -> None:
    """Run the deferred triggers of the records written so far, as a commit would: a later
    change to another table (a unit's arrival) is then not checked against them."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.fixture
def dealer():
    return DealerFactory()


def test_completeness_counts_the_expected_optional_fields(dealer, monkeypatch):
    located = CustomerFactory(home_dealer=dealer, latitude=Decimal("30.27"), longitude=Decimal("120.15"))
    unlocated = CustomerFactory(home_dealer=dealer)
    Customer.objects.filter(pk__in=[located.pk, unlocated.pk]).update(created_at=at(dt.date(2026, 10, 3)))
    rated = ServiceVisitFactory(dealer=dealer, visited_on=dt.date(2026, 10, 4), satisfaction=4)
    unrated = ServiceVisitFactory(dealer=dealer, visited_on=dt.date(2026, 10, 5), satisfaction=None)
    ServiceVisitFactory(dealer=dealer, visited_on=dt.date(2026, 9, 30), satisfaction=None)  # another month
    with_rate = LoanFactory(sale=on_time(dealer, dt.date(2026, 10, 6), payment=Payment.LOAN), buy_rate=Decimal("0.03"))
    without_rate = LoanFactory(sale=on_time(dealer, dt.date(2026, 10, 7), payment=Payment.LOAN), buy_rate=None)
    contacted = LeadFactory(
        dealer=dealer, created_at=at(dt.date(2026, 10, 8), 9), assigned_at=at(dt.date(2026, 10, 8)),
        first_contact_at=at(dt.date(2026, 10, 8), 11), outcome="contacted",
    )  # fmt: skip
    uncontacted = LeadFactory(
        dealer=dealer,
        created_at=at(dt.date(2026, 10, 9), 9),
        assigned_at=at(dt.date(2026, 10, 9)),
        outcome="test_drive",
    )
    LeadFactory(dealer=dealer, created_at=at(dt.date(2026, 10, 9), 9), assigned_at=at(dt.date(2026, 10, 9)))  # open

    compute(monkeypatch)

    # 2 customers + 2 visits + 2 loans + 2 worked leads checked; one of each is missing its field.
    assert counts(score(dealer), "completeness") == (Decimal("50.00"), 4, 8)
    assert issues(dealer, "completeness") == sorted(
        [
            ("customer_no_coordinates", unlocated.pk),
            ("visit_no_satisfaction", unrated.pk),
            ("loan_no_buy_rate", without_rate.pk),
            ("lead_no_first_contact", uncontacted.pk),
        ]
    )
    assert located.pk and rated.pk and with_rate.pk and contacted.pk


def test_validity_counts_refused_import_rows_and_records_breaking_format_rules(network, monkeypatch):
    dealer = network.home_dealer
    StockUnitFactory(vin="LFV2A21K8N3000001", dealer=dealer, arrived_on=dt.date(2026, 9, 10))
    sales = (
        "VIN,sold on,transaction price,payment,salesperson,customer phone,customer name,registered city\n"
        "LFV2A21K8N3000001,2026-10-02,200000,cash,Li,13812341234,Zhang,Hangzhou\n"
        "LFV2A21K8N3000009,2026-10-03,200000,cash,Li,13812341235,Wang,Hangzhou\n"  # unknown VIN
        "LFV2A21K8N3000001X,2026-10-03,abc,cash,Li,13812341236,Zhao,Hangzhou\n"  # bad VIN and price
    )
    batch = run_import(network, ImportKind.SALES, sales)
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=at(dt.date(2026, 10, 4)))
    # Head office's market table with a refused row the same month: the network's file, no dealer's.
    markets = "省份,城市,年份,纬度,经度,常住人口,户数,人均可支配收入,千人汽车保有量,新能源渗透率,大区\n浙江,杭州,2025,30.2,120.1,1,2,1,1,0.4,EAST\n"
    network_file = run_import(network, ImportKind.CITY_MARKETS, markets)
    assert network_file.rows_error == 1
    ImportBatch.objects.filter(pk=network_file.pk).update(created_at=at(dt.date(2026, 10, 4)))
    swapped = CustomerFactory(home_dealer=dealer, latitude=Decimal("120.155070"), longitude=Decimal("30.274084"))
    placed = CustomerFactory(home_dealer=dealer, latitude=Decimal("30.274084"), longitude=Decimal("120.155070"))
    Customer.objects.filter(pk__in=[swapped.pk, placed.pk]).update(created_at=at(dt.date(2026, 10, 5)))
    before_it_happened = sell(dealer, dt.date(2026, 10, 12), recorded_at=at(dt.date(2026, 10, 11)))
    sell(dealer, dt.date(2026, 10, 12), recorded_at=at(dt.date(2026, 10, 12), 9))

    compute(monkeypatch)

    # 3 import rows (1 accepted) + 2 customers with coordinates (1 valid) + 2 sales (1 valid).
    assert counts(score(dealer), "validity") == (Decimal("42.86"), 3, 7)
    assert issues(dealer, "validity") == sorted(
        [
            ("customer_coordinates_outside_china", swapped.pk),
            ("import_rows_refused", batch.pk),
            ("sale_dated_after_entry", before_it_happened.pk),
        ]
    )
    detail = DataIssue.objects.get(rule="import_rows_refused").detail
    assert detail.startswith("2 of 3 rows refused")


def test_consistency_checks_what_the_database_does_not_prevent(dealer, monkeypatch):
    sound = on_time(dealer, dt.date(2026, 10, 3))
    arrival_moved = on_time(dealer, dt.date(2026, 10, 4))
    checked_as_committed()
    StockUnit.objects.filter(pk=arrival_moved.stock_unit_id).update(arrived_on=dt.date(2026, 10, 6))
    unit_left_in_stock = on_time(dealer, dt.date(2026, 10, 5))
    StockUnit.objects.filter(pk=unit_left_in_stock.stock_unit_id).update(status=StockStatus.IN_STOCK)
    loan_missing = on_time(dealer, dt.date(2026, 10, 10), payment=Payment.LOAN)
    on_time(dealer, dt.date(2026, 10, 28), payment=Payment.LOAN)  # within the 7 days' grace: loan not yet due
    other_dealer_sale = sell(DealerFactory(), dt.date(2026, 10, 9))
    lead = LeadFactory(
        dealer=dealer, created_at=at(dt.date(2026, 10, 1), 9), assigned_at=at(dt.date(2026, 10, 1)),
        first_contact_at=at(dt.date(2026, 10, 1), 11), outcome="won", converted_sale=other_dealer_sale,
    )  # fmt: skip

    compute(monkeypatch)

    # 5 sales + 1 converted lead checked; 3 sales and the lead fail one rule each.
    assert counts(score(dealer), "consistency") == (Decimal("33.33"), 2, 6)
    assert issues(dealer, "consistency") == sorted(
        [
            ("sale_before_arrival", arrival_moved.pk),
            ("sale_unit_not_sold", unit_left_in_stock.pk),
            ("loan_sale_without_loan", loan_missing.pk),
            ("lead_sale_of_other_dealer", lead.pk),
        ]
    )
    assert sound.pk


def test_timeliness_is_metric_12_and_the_import_lag_is_measured_per_source(network, monkeypatch, settings):
    settings.HEALTH_MIN_SAMPLES = dict.fromkeys(HealthMetric.values, 1)
    dealer = network.home_dealer
    # The four sales of the metric-12 test: on time, 30 minutes late, changed after the
    # cut-off, changed on the cut-off day.
    on_time_sale = sell(dealer, dt.date(2026, 10, 10), recorded_at=at(dt.date(2026, 10, 12), 23, 59))
    late = sell(dealer, dt.date(2026, 10, 10), recorded_at=at(dt.date(2026, 10, 13), 0, 30))
    changed_late = sell(dealer, dt.date(2026, 10, 20), recorded_at=at(dt.date(2026, 10, 20)))
    changed_in_time = sell(dealer, dt.date(2026, 10, 31), recorded_at=at(dt.date(2026, 11, 2)))
    for sale, changed in (
        (on_time_sale, at(dt.date(2026, 10, 12), 23, 59)),
        (late, at(dt.date(2026, 10, 13), 0, 30)),
        (changed_late, at(dt.date(2026, 11, 6), 0, 1)),
        (changed_in_time, at(dt.date(2026, 11, 5), 23, 59)),
    ):
        Sale.objects.filter(pk=sale.pk).update(updated_at=changed)
    # A DMS file with a sale of 10 September uploaded on the 15th at 10:00: 106 hours after the
    # end of the sale day.
    StockUnitFactory(vin="LFV2A21K8N3000001", dealer=dealer, arrived_on=dt.date(2026, 9, 10))
    sales = (
        "VIN,sold on,transaction price,payment,salesperson,customer phone,customer name,registered city\n"
        "LFV2A21K8N3000001,2026-09-10,200000,cash,Li,13812341234,Zhang,Hangzhou\n"
    )
    batch = confirm(network, run_import(network, ImportKind.SALES, sales))
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=at(dt.date(2026, 9, 15)))

    compute_health(monkeypatch, on=COMPUTED_ON)
    compute(monkeypatch)
    compute(monkeypatch, month=dt.date(2026, 9, 1))

    health = metric(dealer, "data_timeliness")
    assert (health.value, health.sample) == (Decimal("0.5000"), 4)
    assert counts(score(dealer), "timeliness") == (Decimal("50.00"), 2, 4)
    assert score(dealer).timeliness == health.value * 100
    assert issues(dealer, "timeliness") == sorted([("sale_late", late.pk), ("sale_late", changed_late.pk)])

    september = score(dealer, dt.date(2026, 9, 1))
    assert september.source_lag_hours == {"dms": 106.0}
    assert ("import_lag", batch.pk) in issues(dealer, "timeliness", dt.date(2026, 9, 1))
    # The lag is reported, not scored: September's one sale, imported late, is judged by metric 12.
    assert september.timeliness_checked == 1


def test_integrity_reads_the_audit_trail(dealer, monkeypatch):
    backdated = sell(dealer, dt.date(2026, 10, 1), recorded_at=at(dt.date(2026, 10, 1)))
    entered(backdated, at(dt.date(2026, 10, 10)))  # 9 days after the sale day, whatever recorded_at says
    sound = on_time(dealer, dt.date(2026, 10, 20))
    after_cutoff = sell(dealer, dt.date(2026, 10, 31), recorded_at=at(dt.date(2026, 10, 31)))
    entered(after_cutoff, at(dt.date(2026, 11, 6), 0, 30))  # into a month already reported
    moved = on_time(dealer, dt.date(2026, 11, 2))
    Sale.objects.filter(pk=moved.pk).update(sold_on=dt.date(2026, 10, 30))
    entered(moved, at(dt.date(2026, 11, 3)), label="update")
    edited = on_time(dealer, dt.date(2026, 10, 15))
    Sale.objects.filter(pk=edited.pk).update(salesperson="Li Na")
    entered(edited, at(dt.date(2026, 11, 6), 12), label="update")
    first = on_time(dealer, dt.date(2026, 10, 12))
    unit, first_pk = first.stock_unit, first.pk
    first.delete()
    SaleEvent.objects.filter(pgh_obj_id=first_pk, pgh_label="delete").update(pgh_created_at=at(dt.date(2026, 10, 13)))
    again = SaleFactory(dealer=dealer, stock_unit=unit, customer=first.customer, sold_on=dt.date(2026, 10, 14))
    entered(again, at(dt.date(2026, 10, 14)))

    compute(monkeypatch)

    # Six sales of October now (the deleted one is gone); five carry an integrity issue. The
    # units of five of them arrived in October (ten days before the sale) and are sound.
    assert counts(score(dealer), "integrity") == (Decimal("54.55"), 6, 11)
    assert issues(dealer, "integrity") == sorted(
        [
            ("sale_backdated", backdated.pk),
            ("sale_backdated", after_cutoff.pk),
            ("sale_moved_month", moved.pk),
            ("sale_edited_after_cutoff", edited.pk),
            ("sale_deleted_reentered", again.pk),
        ]
    )
    assert sound.pk
    moved_issue = DataIssue.objects.get(rule="sale_moved_month", month=OCTOBER)
    assert moved_issue.detail == "sale date 2026-11-02 -> 2026-10-30 on 2026-11-03 10:00"
    # Three back-dated or moved sales and a re-entered one: two alerts for the regional manager.
    assert sorted(DataQualityAlert.objects.filter(dealer=dealer).values_list("rule", flat=True)) == [
        DataQualityAlert.Rule.DELETED_REENTERED,
        DataQualityAlert.Rule.REPEATED_BACKDATING,
    ]

    compute(monkeypatch, month=NOVEMBER)
    # The moved sale also counts in the month it left.
    assert issues(dealer, "integrity", NOVEMBER) == [("sale_moved_month", moved.pk)]


def stamp(event_model, pk: int, when: dt.datetime) -> None:
    """Date the latest audit event of record ``pk`` (the write just made) at ``when``."""
    latest = event_model.objects.filter(pgh_obj_id=pk).order_by("-pgh_id").values("pgh_id")[:1]
    event_model.objects.filter(pgh_id__in=latest).update(pgh_created_at=when)


def disbursed(dealer, disbursed_on: dt.date, **fields) -> Loan:
    """A loan disbursed on ``disbursed_on`` on a September sale (so only the loan is October's),
    entered on its disbursement day."""
    sale = fields.pop("sale", None) or on_time(dealer, dt.date(2026, 9, 25), payment=Payment.LOAN)
    loan = LoanFactory(sale=sale, disbursed_on=disbursed_on, **fields)
    stamp(LoanEvent, loan.pk, at(disbursed_on))
    return loan


def snapshot(dealer, month: dt.date = OCTOBER) -> tuple[dict, list[dict]]:
    """The month's score (less its computation time) and issues, to compare two runs."""
    row = DataQualityScore.objects.filter(dealer=dealer, month=month).values().get()
    row.pop("computed_at")
    return row, list(DataIssue.objects.filter(dealer=dealer, month=month).order_by("id").values())


def test_integrity_of_loans_edits_after_the_month_closed_moves_and_re_entries(network, monkeypatch, client_for):
    dealer = network.home_dealer
    sound = disbursed(dealer, dt.date(2026, 10, 2))
    # Paid off after the cut-off: the loan's lifecycle, not an edit.
    Loan.objects.filter(pk=sound.pk).update(status=LoanStatus.PAID_OFF_EARLY, closed_on=dt.date(2026, 11, 20))
    stamp(LoanEvent, sound.pk, at(dt.date(2026, 11, 20)))
    regraded = disbursed(dealer, dt.date(2026, 10, 5))
    Loan.objects.filter(pk=regraded.pk).update(credit_grade="A")
    stamp(LoanEvent, regraded.pk, at(dt.date(2026, 11, 6), 12))  # after the cut-off (end of 5 November)
    rerated = disbursed(dealer, dt.date(2026, 10, 6), buy_rate=Decimal("0.030000"))
    Loan.objects.filter(pk=rerated.pk).update(buy_rate=Decimal("0.025000"))
    stamp(LoanEvent, rerated.pk, at(dt.date(2026, 11, 4)))  # before the cut-off
    moved = disbursed(dealer, dt.date(2026, 10, 30))
    Loan.objects.filter(pk=moved.pk).update(disbursed_on=dt.date(2026, 11, 2))
    stamp(LoanEvent, moved.pk, at(dt.date(2026, 11, 2)))
    first = disbursed(dealer, dt.date(2026, 10, 8), reference="LN-REENTERED")
    sale, first_pk = first.sale, first.pk
    first.delete()
    stamp(LoanEvent, first_pk, at(dt.date(2026, 10, 9)))
    again = disbursed(dealer, dt.date(2026, 10, 8), reference="LN-REENTERED", sale=sale)
    stamp(LoanEvent, again.pk, at(dt.date(2026, 10, 10)))
    checked_as_committed()

    compute(monkeypatch)

    # Loans disbursed in October: sound, regraded, rerated, again, plus the moved one flagged for
    # October; three carry an issue (the sales are September's, the customers November's).
    assert counts(score(dealer), "integrity") == (Decimal("40.00"), 2, 5)
    assert issues(dealer, "integrity") == sorted(
        [
            ("loan_edited_after_close", regraded.pk),
            ("loan_moved_month", moved.pk),
            ("loan_deleted_reentered", again.pk),
        ]
    )
    assert DataIssue.objects.get(rule="loan_edited_after_close").detail == (
        "1 edit(s) after the reporting cut-off, last on 2026-11-06 12:00 (credit_grade)"
    )
    assert DataIssue.objects.get(rule="loan_moved_month", month=OCTOBER).detail == (
        f"{moved.reference}: disbursement date 2026-10-30 -> 2026-11-02 on 2026-11-02 10:00"
    )
    assert DataIssue.objects.get(rule="loan_deleted_reentered").detail == (
        f"LN-REENTERED: loan #{first_pk} (disbursed 2026-10-08) deleted on 2026-10-09 10:00, "
        "entered again on 2026-10-10 10:00"
    )
    alert = DataQualityAlert.objects.get(dealer=dealer, rule=DataQualityAlert.Rule.DELETED_REENTERED)
    assert alert.message == "Deleted and entered again: 0 sales, 1 loans, 0 stock units, 0 customers."
    first_run = snapshot(dealer)
    compute(monkeypatch)
    assert snapshot(dealer) == first_run  # idempotent: same numbers, same issues, same detection times

    # Finance closes October's commission period on 3 November, before the cut-off: the
    # re-rating of the 4th now falls after the close too.
    CommissionPeriod.objects.create(month=OCTOBER, status=PeriodStatus.CLOSED, closed_at=at(dt.date(2026, 11, 3), 9))
    compute(monkeypatch)
    assert counts(score(dealer), "integrity") == (Decimal("20.00"), 1, 5)
    edited = DataIssue.objects.filter(rule="loan_edited_after_close").order_by("record_id")
    assert [(issue.record_id, issue.detail) for issue in edited] == [
        (regraded.pk, "1 edit(s) after the commission period closed on 2026-11-03 09:00, last on 2026-11-06 12:00 "
         "(credit_grade)"),
        (rerated.pk, "1 edit(s) after the commission period closed on 2026-11-03 09:00, last on 2026-11-04 10:00 "
         "(buy_rate)"),
    ]  # fmt: skip

    # The moved loan also counts in the month it entered (November, scored to the 7th).
    compute(monkeypatch, month=NOVEMBER)
    assert counts(score(dealer, NOVEMBER), "integrity") == (Decimal("0.00"), 0, 1)
    assert issues(dealer, "integrity", NOVEMBER) == [("loan_moved_month", moved.pk)]

    # The dealer page filters by the new rules and links the loan.
    page = client_for(network.regional_manager).get(
        f"/data-quality/dealers/{dealer.pk}/", {"month": "2026-10", "rule": "loan_deleted_reentered"}
    )
    [line] = page.context["lines"]
    assert (line.issue.record_id, line.url) == (again.pk, again.get_absolute_url())
    assert "Loan deleted and entered again" in page.content.decode()


def test_integrity_of_stock_units_arrivals_moved_after_the_cut_off_and_re_entries(dealer, monkeypatch):
    def arrived(arrived_on: dt.date, **fields) -> StockUnit:
        unit = StockUnitFactory(dealer=dealer, arrived_on=arrived_on, **fields)
        stamp(StockUnitEvent, unit.pk, at(arrived_on))
        return unit

    def move(unit: StockUnit, arrived_on: dt.date, when: dt.datetime) -> None:
        StockUnit.objects.filter(pk=unit.pk).update(arrived_on=arrived_on)
        stamp(StockUnitEvent, unit.pk, when)

    sound = arrived(dt.date(2026, 10, 3))
    moved_late = arrived(dt.date(2026, 10, 31))
    move(moved_late, dt.date(2026, 11, 1), at(dt.date(2026, 11, 6), 12))  # after October's cut-off
    moved_in_time = arrived(dt.date(2026, 10, 30))
    move(moved_in_time, dt.date(2026, 11, 2), at(dt.date(2026, 11, 3)))  # before it
    moved_within = arrived(dt.date(2026, 10, 10))
    move(moved_within, dt.date(2026, 10, 12), at(dt.date(2026, 11, 6), 12))  # same month
    first = arrived(dt.date(2026, 10, 5), vin="LFV2A21K8N3000077")
    first_pk = first.pk
    first.delete()
    stamp(StockUnitEvent, first_pk, at(dt.date(2026, 10, 20)))
    again = arrived(dt.date(2026, 10, 21), vin="LFV2A21K8N3000077")  # its stock age starts again

    compute(monkeypatch)

    # Units arrived in October: sound, moved within, again, plus the one moved out after the
    # cut-off; two carry an issue.
    assert counts(score(dealer), "integrity") == (Decimal("50.00"), 2, 4)
    assert issues(dealer, "integrity") == sorted(
        [("stock_arrival_moved_month", moved_late.pk), ("stock_unit_deleted_reentered", again.pk)]
    )
    assert DataIssue.objects.get(rule="stock_arrival_moved_month").detail == (
        f"{moved_late.vin}: arrival date 2026-10-31 -> 2026-11-01 on 2026-11-06 12:00"
    )
    assert DataIssue.objects.get(rule="stock_unit_deleted_reentered").detail == (
        f"LFV2A21K8N3000077: unit #{first_pk} (arrived 2026-10-05) deleted on 2026-10-20 10:00, "
        "entered again (arrived 2026-10-21) on 2026-10-21 10:00"
    )
    alert = DataQualityAlert.objects.get(dealer=dealer, rule=DataQualityAlert.Rule.DELETED_REENTERED)
    assert alert.message == "Deleted and entered again: 0 sales, 0 loans, 1 stock units, 0 customers."
    first_run = snapshot(dealer)
    compute(monkeypatch)
    assert snapshot(dealer) == first_run

    # November (scored to the 7th, its cut-off ahead): both units moved into it count, unflagged.
    compute(monkeypatch, month=NOVEMBER)
    assert counts(score(dealer, NOVEMBER), "integrity") == (Decimal("100.00"), 2, 2)
    assert sound.pk


def test_integrity_of_customers_deleted_and_entered_again(dealer, monkeypatch):
    def customer(created: dt.datetime, **fields) -> Customer:
        record = CustomerFactory(**{"home_dealer": dealer, **fields})
        Customer.objects.filter(pk=record.pk).update(created_at=created)
        CustomerEvent.objects.filter(pgh_obj_id=record.pk).update(pgh_created_at=created)  # insert and update
        return record

    sound = customer(at(dt.date(2026, 10, 3)))
    first = customer(at(dt.date(2026, 9, 1)), phone="13900000001")
    first_pk = first.pk
    first.delete()
    stamp(CustomerEvent, first_pk, at(dt.date(2026, 10, 10)))
    again = customer(at(dt.date(2026, 10, 11)), phone="13900000001")
    # The same phone deleted at another dealer: not this dealer's history.
    elsewhere = customer(at(dt.date(2026, 9, 1)), phone="13900000002", home_dealer=DealerFactory())
    elsewhere_pk = elsewhere.pk
    elsewhere.delete()
    stamp(CustomerEvent, elsewhere_pk, at(dt.date(2026, 10, 12)))
    new_here = customer(at(dt.date(2026, 10, 13)), phone="13900000002")

    compute(monkeypatch)

    # Customers created in October: sound, again, new_here; one re-entered.
    assert counts(score(dealer), "integrity") == (Decimal("66.67"), 2, 3)
    assert issues(dealer, "integrity") == [("customer_deleted_reentered", again.pk)]
    assert DataIssue.objects.get(rule="customer_deleted_reentered").detail == (
        f"customer #{first_pk} (created 2026-09-01) deleted on 2026-10-10 10:00, entered again on 2026-10-11 10:00"
    )
    assert (
        "1390000" not in DataIssue.objects.get(rule="customer_deleted_reentered").detail
    )  # no phone: managers read it
    alert = DataQualityAlert.objects.get(dealer=dealer, rule=DataQualityAlert.Rule.DELETED_REENTERED)
    assert alert.message == "Deleted and entered again: 0 sales, 0 loans, 0 stock units, 1 customers."
    first_run = snapshot(dealer)
    compute(monkeypatch)
    assert snapshot(dealer) == first_run
    assert sound.pk and new_here.pk


def test_several_records_changed_after_their_month_closed_raise_an_alert(dealer, monkeypatch, settings):
    settings.DATA_QUALITY_ALERT_CLOSED_EDITS = 3
    edited = on_time(dealer, dt.date(2026, 10, 15))
    Sale.objects.filter(pk=edited.pk).update(salesperson="Li Na")
    entered(edited, at(dt.date(2026, 11, 6), 12), label="update")
    loan = disbursed(dealer, dt.date(2026, 10, 5))
    Loan.objects.filter(pk=loan.pk).update(term_months=24)
    stamp(LoanEvent, loan.pk, at(dt.date(2026, 11, 6), 12))
    checked_as_committed()
    compute(monkeypatch)
    assert not DataQualityAlert.objects.filter(rule=DataQualityAlert.Rule.EDITED_AFTER_CLOSE).exists()

    unit = StockUnitFactory(dealer=dealer, arrived_on=dt.date(2026, 10, 31))
    StockUnit.objects.filter(pk=unit.pk).update(arrived_on=dt.date(2026, 11, 1))
    stamp(StockUnitEvent, unit.pk, at(dt.date(2026, 11, 8)))
    compute(monkeypatch, on=dt.date(2026, 11, 9))

    alert = DataQualityAlert.objects.get(dealer=dealer, rule=DataQualityAlert.Rule.EDITED_AFTER_CLOSE)
    assert alert.message == "Changed after their month closed: 1 sales, 1 loans, 1 stock arrival dates."


def test_a_sale_moved_by_a_re_import_is_caught_from_the_imports_audit_events(network, monkeypatch):
    dealer = network.home_dealer
    StockUnitFactory(vin="LFV2A21K8N3000001", dealer=dealer, arrived_on=dt.date(2026, 9, 10))
    header = "VIN,sold on,transaction price,payment,salesperson,customer phone,customer name,registered city\n"
    row = "LFV2A21K8N3000001,{day},200000,cash,Li,13812341234,Zhang,Hangzhou\n"
    confirm(network, run_import(network, ImportKind.SALES, header + row.format(day="2026-10-30")))
    moved = confirm(network, run_import(network, ImportKind.SALES, header + row.format(day="2026-11-02")))
    assert moved.rows_update == 1

    compute(monkeypatch)

    sale = Sale.objects.get(stock_unit__vin="LFV2A21K8N3000001")
    issue = DataIssue.objects.get(rule="sale_moved_month", month=OCTOBER)
    assert (issue.dealer, issue.record_id) == (dealer, sale.pk)
    assert issue.detail.startswith("sale date 2026-10-30 -> 2026-11-02 on ")


def test_the_nightly_task_is_scheduled_and_runs_the_service(dealer, monkeypatch):
    from datahub.quality.tasks import compute_data_quality
    from dealerops.schedules import beat_schedule

    assert beat_schedule()["datahub.compute_data_quality"]["task"] == compute_data_quality.name
    monkeypatch.setattr(services, "today", lambda: COMPUTED_ON)
    on_time(dealer, dt.date(2026, 10, 10))
    run_ids = compute_data_quality(as_of="2026-11-07")
    assert len(run_ids) == 2 and score(dealer).overall == Decimal("100.00")


def test_a_rerun_rewrites_the_same_numbers_and_keeps_the_issues(dealer, monkeypatch):
    late = sell(dealer, dt.date(2026, 10, 10), recorded_at=at(dt.date(2026, 10, 20)))
    entered(late, at(dt.date(2026, 10, 20)))
    loan = LoanFactory(sale=on_time(dealer, dt.date(2026, 10, 6), payment=Payment.LOAN), buy_rate=None)
    compute(monkeypatch)
    first_scores = DataQualityScore.objects.values().get()
    first_issues = list(DataIssue.objects.order_by("id").values())
    alerts = DataQualityAlert.objects.count()

    run = compute(monkeypatch)

    again = DataQualityScore.objects.values().get()
    assert {k: v for k, v in again.items() if k != "computed_at"} == {
        k: v for k, v in first_scores.items() if k != "computed_at"
    }
    assert list(DataIssue.objects.order_by("id").values()) == first_issues
    assert DataQualityAlert.objects.count() == alerts
    assert run.rows == 1

    # A corrected record's issue goes on the next run.
    loan.buy_rate = Decimal("0.031")
    loan.save()
    compute(monkeypatch)
    assert not DataIssue.objects.filter(rule="loan_no_buy_rate").exists()
    assert score(dealer).completeness == Decimal("100.00")


def test_a_sudden_drop_of_the_score_raises_an_alert(dealer, monkeypatch):
    on_time(dealer, dt.date(2026, 9, 10))
    compute(monkeypatch, month=dt.date(2026, 9, 1))
    for day in (3, 4, 5):
        sale = sell(dealer, dt.date(2026, 10, day), recorded_at=at(dt.date(2026, 10, 20)))
        entered(sale, at(dt.date(2026, 10, 20)))
    compute(monkeypatch)

    assert score(dealer, dt.date(2026, 9, 1)).overall == Decimal("100.00")
    assert score(dealer).overall == Decimal("50.00")  # timeliness and integrity at 0, validity, consistency 100
    alert = DataQualityAlert.objects.get(dealer=dealer, rule=DataQualityAlert.Rule.SCORE_DROP)
    assert alert.month == OCTOBER and "100.00" in alert.message and "50.00" in alert.message


def test_the_nightly_job_records_a_run_per_month(dealer, monkeypatch):
    on_time(dealer, dt.date(2026, 10, 10))
    monkeypatch.setattr(services, "today", lambda: COMPUTED_ON)
    runs = services.data_quality_nightly(as_of=COMPUTED_ON)
    assert [run.period for run in runs] == ["2026-10", "2026-11"]
    assert all(run.status == "succeeded" for run in runs)


# -- pages -----------------------------------------------------------------------------------


@pytest.fixture
def scored(network, monkeypatch):
    """October computed for the home dealer (one sale entered late, one on time) and the foreign dealer
    (one sale on time), plus an alert for each."""
    home_late = sell(network.home_dealer, dt.date(2026, 10, 10), recorded_at=at(dt.date(2026, 10, 20)))
    entered(home_late, at(dt.date(2026, 10, 20)))
    on_time(network.home_dealer, dt.date(2026, 10, 11))
    on_time(network.foreign_dealer, dt.date(2026, 10, 12))
    compute(monkeypatch)
    for dealer in (network.home_dealer, network.foreign_dealer):
        DataQualityAlert.objects.create(
            dealer=dealer, month=OCTOBER, rule="score_drop", message=f"Drop at {dealer.name}", created_at=timezone.now()
        )
    return home_late


def test_a_dealer_user_sees_only_their_own_dealer(network, scored, client_for):
    client = client_for(network.dealer_user)
    page = client.get("/data-quality/")
    assert page.status_code == 200
    text = page.content.decode()
    assert network.home_dealer.name in text and network.foreign_dealer.name not in text
    assert "Drop at" not in text  # alerts are for the managers
    export = client.get("/data-quality/", {"export": "csv"})
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert network.home_dealer.code in body and network.foreign_dealer.code not in body
    assert client.get(f"/data-quality/dealers/{network.foreign_dealer.pk}/").status_code == 404

    own = client.get(f"/data-quality/dealers/{network.home_dealer.pk}/", {"month": "2026-10"})
    assert own.status_code == 200
    assert f'href="/sales/{scored.pk}/"' in own.content.decode()  # the late sale, linked


def test_the_ranking_sorts_by_any_dimension(network, scored, client_for):
    client = client_for(network.head_office)
    rows = client.get("/data-quality/", {"ordering": "timeliness"}).context["object_list"]
    assert [row.dealer for row in rows] == [network.home_dealer, network.foreign_dealer]
    assert [row.timeliness for row in rows] == [Decimal("50.00"), Decimal("100.00")]
    rows = client.get("/data-quality/", {"ordering": "-timeliness"}).context["object_list"]
    assert [row.dealer for row in rows] == [network.foreign_dealer, network.home_dealer]
    workbook = client.get("/data-quality/", {"export": "xlsx"})
    assert workbook.status_code == 200


def test_the_dealer_page_filters_issues_by_dimension_and_rule(network, scored, client_for):
    client = client_for(network.regional_manager)
    url = f"/data-quality/dealers/{network.home_dealer.pk}/"
    everything = client.get(url).context["lines"]
    assert sorted(line.issue.rule for line in everything) == ["sale_backdated", "sale_late"]
    late = client.get(url, {"rule": "sale_late"}).context["lines"]
    assert [line.issue.record_id for line in late] == [scored.pk]
    integrity = client.get(url, {"dimension": "integrity"}).context["lines"]
    assert [line.issue.rule for line in integrity] == ["sale_backdated"]


def test_the_regional_manager_acknowledges_the_regions_alerts_from_the_home_page(network, scored, client_for):
    client = client_for(network.regional_manager)
    home = client.get("/").content.decode()
    assert f"Drop at {network.home_dealer.name}" in home
    assert f"Drop at {network.foreign_dealer.name}" not in home
    alert = DataQualityAlert.objects.get(dealer=network.home_dealer, rule="score_drop")
    foreign = DataQualityAlert.objects.get(dealer=network.foreign_dealer, rule="score_drop")

    assert client.post(f"/data-quality/alerts/{foreign.pk}/acknowledge/").status_code == 404
    response = client.post(f"/data-quality/alerts/{alert.pk}/acknowledge/", {"next": "/"})

    assert response.status_code == 302 and response["Location"] == "/"
    alert.refresh_from_db()
    assert alert.acknowledged_by == network.regional_manager and alert.acknowledged_at is not None
    assert f"Drop at {network.home_dealer.name}" not in client.get("/").content.decode()


def test_the_health_dashboard_shows_the_regions_open_alerts(network, scored, client_for):
    page = client_for(network.regional_manager).get("/health/").content.decode()
    assert f"Drop at {network.home_dealer.name}" in page
    assert f"Drop at {network.foreign_dealer.name}" not in page


def test_a_dealer_user_cannot_acknowledge_an_alert(network, scored, client_for):
    alert = DataQualityAlert.objects.get(dealer=network.home_dealer, rule="score_drop")
    response = client_for(network.dealer_user).post(f"/data-quality/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_the_pages_read_a_fixed_number_of_queries_whatever_the_number_of_dealers(
    network, scored, client_for, django_assert_max_num_queries, monkeypatch
):
    client = client_for(network.regional_manager)
    dealer_url = f"/data-quality/dealers/{network.home_dealer.pk}/"
    with django_assert_max_num_queries(20) as few:
        client.get("/data-quality/")
    with django_assert_max_num_queries(20) as few_issues:
        client.get(dealer_url)
    for _ in range(4):
        other = DealerFactory(region=network.home_region)
        sell(other, dt.date(2026, 10, 10), recorded_at=at(dt.date(2026, 10, 20)))
        sell(network.home_dealer, dt.date(2026, 10, 12), recorded_at=at(dt.date(2026, 10, 20)))
    compute(monkeypatch)
    with django_assert_max_num_queries(len(few)):
        client.get("/data-quality/")
    with django_assert_max_num_queries(len(few_issues)):
        client.get(dealer_url)


def test_the_nightly_job_recomputes_the_month_of_a_late_loan_edit(dealer, monkeypatch):
    loan = disbursed(dealer, dt.date(2026, 8, 5), sale=on_time(dealer, dt.date(2026, 8, 1), payment=Payment.LOAN))
    Loan.objects.filter(pk=loan.pk).update(credit_grade="A")
    stamp(LoanEvent, loan.pk, at(dt.date(2026, 11, 6), 12))  # yesterday, seen from the night of the 7th
    checked_as_committed()
    monkeypatch.setattr(services, "today", lambda: COMPUTED_ON)

    runs = services.data_quality_nightly(as_of=COMPUTED_ON)

    assert [run.period for run in runs] == ["2026-08", "2026-10", "2026-11"]
    assert issues(dealer, "integrity", dt.date(2026, 8, 1)) == [("loan_edited_after_close", loan.pk)]


# -- too little evidence ------------------------------------------------------------------------


def test_an_overall_score_needs_three_measurable_dimensions(dealer, monkeypatch):
    ServiceVisitFactory(dealer=dealer, visited_on=dt.date(2026, 10, 4), satisfaction=4)
    compute(monkeypatch)
    row = score(dealer)
    assert counts(row, "completeness") == (Decimal("100.00"), 1, 1)
    assert [getattr(row, d) is not None for d in ("validity", "consistency", "timeliness", "integrity")] == [False] * 4
    assert row.overall is None  # one check passed is not a perfect 100.00


def test_the_ranking_says_insufficient_data_ranks_it_last_and_counts_the_dealers_left_out(
    network, monkeypatch, client_for
):
    on_time(network.home_dealer, dt.date(2026, 10, 11))  # four dimensions measurable
    thin = DealerFactory(code="HZ09", name="Hangzhou Thin 4S", region=network.home_region)
    ServiceVisitFactory(dealer=thin, visited_on=dt.date(2026, 10, 4), satisfaction=4)  # one dimension
    silent = DealerFactory(code="HZ10", name="Hangzhou Silent 4S", region=network.home_region)  # nothing to check
    compute(monkeypatch)
    client = client_for(network.regional_manager)
    for ordering in ("overall", "-overall", ""):  # last: the page as it opens, without parameters
        response = client.get("/data-quality/", {"ordering": ordering} if ordering else {})
        assert [row.dealer for row in response.context["object_list"]] == [network.home_dealer, thin]
    html = response.content.decode()
    thin_row = re.search(r"<tr>((?:(?!</tr>).)*Hangzhou Thin 4S.*?)</tr>", html, re.S).group(1)
    assert "insufficient data" in thin_row and "100.00" in thin_row  # its one dimension, not an overall
    coverage = re.search(r'<div class="notice" id="ranking-coverage">(.*?)</div>', html, re.S).group(1)
    assert "2026-10: 2 of the 3 dealers in view have a data-quality score." in coverage
    assert "1 of them have too little evidence (fewer than 3 dimensions with checks)" in coverage
    assert "1 have no score this month" in coverage
    assert f'href="/data-quality/dealers/{silent.pk}/?month=2026-10">HZ10 Hangzhou Silent 4S</a>' in coverage
    assert network.foreign_dealer.name not in coverage
    export = client.get("/data-quality/", {"export": "csv"})
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert "HZ09" in lines[-1] and "insufficient data" in lines[-1]


def test_the_dealer_page_says_why_there_is_no_overall_score(network, monkeypatch, client_for):
    ServiceVisitFactory(dealer=network.home_dealer, visited_on=dt.date(2026, 10, 4), satisfaction=4)
    compute(monkeypatch)
    html = client_for(network.dealer_user).get(f"/data-quality/dealers/{network.home_dealer.pk}/").content.decode()
    overall = re.search(r'id="overall">(.*?)</div><div class="muted">(.*?)</div>', html, re.S)
    assert "insufficient data" in overall.group(1)
    assert "Only 1 of 5 dimensions had checks this month; an overall score needs at least 3." in overall.group(2)


def test_the_quality_pages_open_on_the_last_complete_month_and_mark_one_in_progress(network, monkeypatch, client_for):
    from datahub.quality import views as quality_views

    monkeypatch.setattr(quality_views, "today", lambda: dt.date(2026, 12, 2))
    for month in (OCTOBER, dt.date(2026, 12, 1)):
        DataQualityScoreFactory(dealer=network.home_dealer, month=month)
    client = client_for(network.regional_manager)
    ranking = client.get("/data-quality/")
    assert [row.month for row in ranking.context["object_list"]] == [OCTOBER]
    assert "badge provisional" not in ranking.content.decode()
    assert "badge provisional" in client.get("/data-quality/", {"month": "2026-12"}).content.decode()
    page = f"/data-quality/dealers/{network.home_dealer.pk}/"
    assert client.get(page).context["month"] == OCTOBER
    assert "badge provisional" in client.get(page, {"month": "2026-12"}).content.decode()
