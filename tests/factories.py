"""factory_boy factories for every model. Defaults build a consistent record (a sale's unit
has arrived at the sale's dealer, a loan's principal + down payment equals its sale price)."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import factory
from django.utils import timezone

from channels.admission.licence import check_character
from channels.models import (
    DEFAULT_SHARES,
    AdmissionDecision,
    ApplicationDocument,
    ApplicationStatus,
    ChecklistItem,
    ChecklistKind,
    ChecklistTemplate,
    CityMarket,
    Dealer,
    DealerApplication,
    DealerKind,
    DocumentKind,
    GraphCluster,
    GraphNode,
    GraphRun,
    GraphTie,
    HealthScore,
    HealthWeights,
    Inspection,
    Lead,
    LeadPage,
    LeadSource,
    OutletOverlap,
    PlanningRun,
    PlanningSettings,
    RatingBands,
    Recommendation,
    RecommendationKind,
    Region,
    RiskEvaluation,
    RiskOutcome,
    Scenario,
    TieKind,
    TradeArea,
    WhiteSpot,
)
from channels.planning.capacity import market_capacity
from customers.models import Customer, Inquiry, InquiryCategory, InquiryKind, ServiceKind, ServiceVisit
from datahub.models import ImportBatch, ImportKind, ImportRow, ImportStatus, RowAction, SourceKind
from dealerops.models import ExportJob, JobRun, JobStatus, Role, User
from finance.models import (
    AdjustmentReason,
    CommissionBasis,
    CommissionEntry,
    CommissionPeriod,
    CommissionPolicy,
    EntryKind,
    Lender,
    LenderKind,
    LenderStatement,
    Loan,
    LoanStatus,
)
from inventory.models import (
    AlertKind,
    Forecast,
    ForecastRun,
    ForecastSeries,
    Payment,
    Position,
    PositionSource,
    Powertrain,
    Sale,
    StockAlert,
    StockAlertRule,
    StockStatus,
    StockUnit,
    Transfer,
    TransferPlan,
    VehicleModel,
)

TODAY = dt.date(2026, 11, 15)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"R{n:02d}")
    name = factory.Sequence(lambda n: f"Region {n}")


class DealerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dealer

    code = factory.Sequence(lambda n: f"D{n:04d}")
    name = factory.Sequence(lambda n: f"Dealer {n}")
    kind = DealerKind.FOUR_S
    region = factory.SubFactory(RegionFactory)
    province = "Zhejiang"
    city = "Hangzhou"
    latitude = Decimal("30.274084")
    longitude = Decimal("120.155070")
    opened_on = dt.date(2018, 5, 1)
    sales_headcount = 10
    monthly_sales_target = 100


class CityMarketFactory(factory.django.DjangoModelFactory):
    """A city at the national reference of ``channels.planning.capacity``: 0.046 new cars a
    household a year, so 1,000 households make a capacity of 46."""

    class Meta:
        model = CityMarket

    region = factory.SubFactory(RegionFactory)
    province = "Zhejiang"
    city = factory.Sequence(lambda n: f"City {n}")
    year = 2025
    latitude = Decimal("30.274084")
    longitude = Decimal("120.155070")
    households = 1_000
    population = factory.LazyAttribute(lambda market: round(market.households * 2.62))
    disposable_income = Decimal("41314.00")
    vehicles_per_1000 = Decimal("250.00")
    nev_share = Decimal("0.4000")
    capacity_units = factory.LazyAttribute(lambda market: _capacity(market).units)
    nev_capacity_units = factory.LazyAttribute(lambda market: _capacity(market).nev_units)


def _capacity(market):
    """The capacity model on a factory's inputs (given as text or Decimal), as a writer stores it."""
    return market_capacity(
        SimpleNamespace(
            households=market.households,
            **{
                name: Decimal(str(getattr(market, name)))
                for name in ("disposable_income", "vehicles_per_1000", "nev_share")
            },
        )
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")
    role = Role.HEAD_OFFICE
    dealer = None

    @factory.post_generation
    def regions(self, create, extracted, **kwargs):
        if create and extracted:
            self.regions.set(extracted)
        if create:
            self.save()


class VehicleModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VehicleModel

    code = factory.Sequence(lambda n: f"M{n:03d}")
    brand = "Hongqi"
    series = factory.Sequence(lambda n: f"H{n}")
    trim = "Standard"
    powertrain = Powertrain.BEV
    msrp = Decimal("200000.00")
    guide_price_floor = Decimal("180000.00")
    dealer_invoice_cost = Decimal("170000.00")
    launch_date = dt.date(2024, 1, 1)


class StockUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockUnit

    vin = factory.Sequence(lambda n: f"LSV{n:014d}")
    model = factory.SubFactory(VehicleModelFactory)
    dealer = factory.SubFactory(DealerFactory)
    status = StockStatus.IN_STOCK
    arrived_on = TODAY - dt.timedelta(days=30)
    ordered_on = factory.LazyAttribute(lambda unit: (unit.arrived_on or TODAY) - dt.timedelta(days=30))


class PositionFactory(factory.django.DjangoModelFactory):
    """A position of a unit in transit, an hour ago, near Shanghai."""

    class Meta:
        model = Position

    stock_unit = factory.SubFactory(StockUnitFactory, status=StockStatus.IN_TRANSIT, arrived_on=None)
    recorded_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    latitude = Decimal("31.230000")
    longitude = Decimal("121.470000")
    source = PositionSource.API


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    home_dealer = factory.SubFactory(DealerFactory)
    name = factory.Sequence(lambda n: f"Customer {n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    city = "Hangzhou"


class SaleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sale

    dealer = factory.SubFactory(DealerFactory)
    stock_unit = factory.SubFactory(StockUnitFactory, dealer=factory.SelfAttribute("..dealer"), status=StockStatus.SOLD)
    customer = factory.SubFactory(CustomerFactory, home_dealer=factory.SelfAttribute("..dealer"))
    salesperson = "Wang Fang"
    sold_on = TODAY - dt.timedelta(days=10)
    transaction_price = Decimal("195000.00")
    payment = Payment.CASH
    registered_city = "Hangzhou"


class LenderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lender
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"L{n:02d}")
    name = factory.Sequence(lambda n: f"Lender {n}")
    kind = LenderKind.BANK


class LoanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Loan

    sale = factory.SubFactory(SaleFactory, payment=Payment.LOAN)
    dealer = factory.SelfAttribute("sale.dealer")
    reference = factory.Sequence(lambda n: f"LN{n:08d}")
    lender = factory.SubFactory(LenderFactory)
    down_payment = Decimal("45000.00")
    principal = factory.LazyAttribute(lambda loan: loan.sale.transaction_price - loan.down_payment)
    annual_rate = Decimal("0.050000")
    term_months = 36
    credit_grade = "B"
    status = LoanStatus.DISBURSED
    applied_on = factory.LazyAttribute(lambda loan: loan.sale.sold_on)
    disbursed_on = factory.LazyAttribute(lambda loan: loan.sale.sold_on + dt.timedelta(days=3))


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    source = LeadSource.WEBSITE
    customer_city = "Hangzhou"
    model_of_interest = factory.SubFactory(VehicleModelFactory)
    created_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=5))
    dealer = factory.SubFactory(DealerFactory)
    assigned_at = factory.LazyAttribute(lambda lead: lead.created_at + dt.timedelta(minutes=5))


class ServiceVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceVisit

    dealer = factory.SubFactory(DealerFactory)
    customer = factory.SubFactory(CustomerFactory, home_dealer=factory.SelfAttribute("..dealer"))
    visited_on = TODAY - dt.timedelta(days=3)
    kind = ServiceKind.MAINTENANCE
    amount = Decimal("880.00")
    satisfaction = 5


class InquiryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inquiry

    dealer = factory.SubFactory(DealerFactory)
    customer = factory.SubFactory(CustomerFactory, home_dealer=factory.SelfAttribute("..dealer"))
    kind = InquiryKind.INQUIRY
    category = InquiryCategory.SALES
    text = "When will the new trim arrive?"
    opened_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=2))


class CommissionPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommissionPolicy

    lender = factory.SubFactory(LenderFactory)
    version = 1
    basis = CommissionBasis.PRINCIPAL_BASED
    ratio = Decimal("0.008000")
    effective_from = dt.date(2024, 1, 1)


class CommissionPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommissionPeriod
        django_get_or_create = ["month"]

    month = dt.date(2025, 1, 1)


class CommissionEntryFactory(factory.django.DjangoModelFactory):
    """An adjustment on a loan (accruals come from the nightly posting)."""

    class Meta:
        model = CommissionEntry

    kind = EntryKind.ADJUSTMENT
    loan = factory.SubFactory(LoanFactory)
    dealer = factory.SelfAttribute("loan.dealer")
    lender = factory.SelfAttribute("loan.lender")
    period = factory.SubFactory(CommissionPeriodFactory, month=dt.date(2025, 2, 1))
    event_on = dt.date(2025, 2, 10)
    amount = Decimal("-120.00")
    reason = AdjustmentReason.LENDER_CORRECTION
    note = "Lender corrected the rate"


class HealthWeightsFactory(factory.django.DjangoModelFactory):
    """Version 1, every metric weighing 1 (the default the first computation creates)."""

    class Meta:
        model = HealthWeights
        django_get_or_create = ["version"]

    version = 1


class RatingBandsFactory(factory.django.DjangoModelFactory):
    """Version 2, the default shares of the peer group (the migration creates it)."""

    class Meta:
        model = RatingBands
        django_get_or_create = ["version"]

    version = 2
    method = "shares"
    a_share = DEFAULT_SHARES["a_share"]
    b_share = DEFAULT_SHARES["b_share"]
    c_share = DEFAULT_SHARES["c_share"]
    d_share = DEFAULT_SHARES["d_share"]


class HealthScoreFactory(factory.django.DjangoModelFactory):
    """A dealer's October 2026, rated B (its metrics come from the computation, not from here)."""

    class Meta:
        model = HealthScore

    dealer = factory.SubFactory(DealerFactory)
    month = dt.date(2026, 10, 1)
    weights = factory.SubFactory(HealthWeightsFactory)
    rating_bands = factory.SubFactory(RatingBandsFactory)
    dealer_kind = factory.SelfAttribute("dealer.kind")
    composite = Decimal("72.50")
    rating = "B"
    metrics_scored = 12
    computed_at = factory.LazyFunction(timezone.now)


class LenderStatementFactory(factory.django.DjangoModelFactory):
    """A statement as stored after upload (its lines come from the reconciliation service)."""

    class Meta:
        model = LenderStatement

    lender = factory.SubFactory(LenderFactory)
    reference = factory.Sequence(lambda n: f"ST-2025-{n:04d}")
    first_month = dt.date(2025, 3, 1)
    last_month = dt.date(2025, 3, 1)
    file_name = "statement.csv"
    line_count = 0
    total_amount = Decimal("0.00")
    uploaded_by = factory.SubFactory(UserFactory, role=Role.FINANCE)


class ImportBatchFactory(factory.django.DjangoModelFactory):
    """An import as stored after upload and check: a customers file, ready, one row to create
    (its row is added by ``rows``); flows through the services are in tests/datahub."""

    class Meta:
        model = ImportBatch
        skip_postgeneration_save = True

    dealer = factory.SubFactory(DealerFactory)
    kind = ImportKind.CUSTOMERS
    source = SourceKind.CRM
    system_name = "CRM 5"
    file_name = factory.Sequence(lambda n: f"customers-{n}.csv")
    content = b"phone,name,city\n13812341234,Zhang,Hangzhou\n"
    file_sha256 = "0" * 64
    columns = factory.LazyFunction(lambda: {"phone": "phone", "name": "name", "city": "city"})
    file_headers = factory.LazyFunction(lambda: ["phone", "name", "city"])
    status = ImportStatus.READY
    rows_total = 1
    rows_checked = 1
    rows_create = 1

    @factory.post_generation
    def rows(self, create, extracted, **kwargs):
        if create:
            ImportRow.objects.create(batch=self, row_number=2, action=RowAction.CREATE, natural_key="13812341234")


class DataQualityScoreFactory(factory.django.DjangoModelFactory):
    """A dealer's October 2026 data quality, as the nightly job would store it."""

    class Meta:
        model = "datahub.DataQualityScore"

    dealer = factory.SubFactory(DealerFactory)
    month = dt.date(2026, 10, 1)
    timeliness = Decimal("75.00")
    timeliness_passed = 3
    timeliness_checked = 4
    overall = Decimal("75.00")
    issues = 1
    computed_at = factory.LazyFunction(timezone.now)


class DataIssueFactory(factory.django.DjangoModelFactory):
    """A late sale of October 2026."""

    class Meta:
        model = "datahub.DataIssue"

    dealer = factory.SubFactory(DealerFactory)
    month = dt.date(2026, 10, 1)
    dimension = "timeliness"
    rule = "sale_late"
    record_type = "inventory.Sale"
    record_id = factory.Sequence(lambda n: n + 1)
    detail = "entered late"
    detected_at = factory.LazyFunction(timezone.now)


class DataQualityAlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "datahub.DataQualityAlert"

    dealer = factory.SubFactory(DealerFactory)
    month = dt.date(2026, 10, 1)
    rule = "repeated_backdating"
    message = "3 back-dated or moved sales in 2026-10."
    created_at = factory.LazyFunction(timezone.now)


class ExportJobFactory(factory.django.DjangoModelFactory):
    """A background export of the loans list, queued (the task writes its file)."""

    class Meta:
        model = ExportJob

    owner = factory.SubFactory(UserFactory, role=Role.FINANCE)
    title = "Loans"
    fmt = "csv"
    path = "/loans/"
    query = "export=csv"
    language = "en"
    file_name = factory.Sequence(lambda n: f"loans-{n}.csv")
    ascii_file_name = factory.LazyAttribute(lambda job: job.file_name)
    lease_expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(minutes=10))  # waiting for a worker
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=24))


class PlanningRunFactory(factory.django.DjangoModelFactory):
    """A finished plan run on settings version 1 (the migration's), for the pages to read."""

    class Meta:
        model = PlanningRun

    job_run = factory.LazyFunction(
        lambda: JobRun.objects.create(job="channels.plan_network", status=JobStatus.SUCCEEDED)
    )
    settings = factory.LazyFunction(lambda: PlanningSettings.objects.get_or_create(version=1)[0])
    year = 2025
    buyers_from = dt.date(2025, 11, 16)
    buyers_to = TODAY
    exponent = Decimal("1.050")
    fitted_exponent = Decimal("1.050")
    fit_log_likelihood = -900.0
    published_log_likelihood = -950.0
    flat_log_likelihood = -1200.0
    fit_buyers = 1000
    computed_at = factory.LazyFunction(timezone.now)


class TradeAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TradeArea

    run = factory.SubFactory(PlanningRunFactory)
    dealer = factory.SubFactory(DealerFactory)
    attraction = Decimal("13.000")
    composite = Decimal("80.00")
    rating = "A"
    demand_units = 12_000
    sold_units = 240
    leads = 960
    capture = factory.LazyAttribute(
        lambda area: (Decimal(area.sold_units) / area.demand_units).quantize(Decimal("0.0001"))
    )


class OutletOverlapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutletOverlap

    run = factory.SubFactory(PlanningRunFactory)
    first = factory.SubFactory(DealerFactory)
    second = factory.SubFactory(DealerFactory)
    region = factory.LazyAttribute(lambda pair: pair.first.region if pair.first.region == pair.second.region else None)
    first_share = Decimal("0.6000")
    second_share = Decimal("0.4000")
    shared_units = 5_000
    distance_km = Decimal("3.5")


class WhiteSpotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WhiteSpot

    run = factory.SubFactory(PlanningRunFactory)
    region = factory.SubFactory(RegionFactory)
    rank = factory.Sequence(lambda n: n + 1)
    near_city = "Huzhou"
    cells = 40
    capacity_units = 3_000
    latitude = Decimal("30.900000")
    longitude = Decimal("120.100000")
    nearest_km = Decimal("75.0")


class RecommendationFactory(factory.django.DjangoModelFactory):
    """A proposed new site (no outlet) with its figures as the run writes them."""

    class Meta:
        model = Recommendation

    run = factory.SubFactory(PlanningRunFactory)
    kind = RecommendationKind.ADD
    region = factory.SubFactory(RegionFactory)
    near_city = "Huzhou"
    latitude = Decimal("30.900000")
    longitude = Decimal("120.100000")
    units = 2_500
    figures = factory.LazyFunction(
        lambda: {"covered_units": 2500, "cells": 30, "white_spots": [1], "drive_km": 60.0, "optimal": True}
    )


class ScenarioFactory(factory.django.DjangoModelFactory):
    """A saved what-if with its totals (its changes and effects, where a test needs them)."""

    class Meta:
        model = Scenario

    run = factory.SubFactory(PlanningRunFactory)
    name = factory.Sequence(lambda n: f"Scenario {n}")
    cells = 1_200
    units_before = Decimal("40.0")
    units_after = Decimal("38.5")
    leads_before = Decimal("160.0")
    leads_after = Decimal("154.0")


def licence_code(n: int) -> str:
    """A well-formed unified social credit code of Hangzhou (330100), the n-th of its kind."""
    body = f"91330100{n:09d}"
    return body + check_character(body)


# The smallest file each checked type starts as (channels.admission.files tells types by content).
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


class DealerApplicationFactory(factory.django.DjangoModelFactory):
    """A draft under a 4S store, at its city; ``submitted=True`` sends it for review."""

    class Meta:
        model = DealerApplication

    class Params:
        submitted = factory.Trait(status=ApplicationStatus.SUBMITTED, submitted_at=factory.LazyFunction(timezone.now))

    parent = factory.SubFactory(DealerFactory)
    company_name = factory.Sequence(lambda n: f"Applicant Company {n}")
    licence_number = factory.Sequence(licence_code)
    legal_representative = "Wang Fang"
    outlet_name = factory.Sequence(lambda n: f"Applicant Outlet {n}")
    province = "Zhejiang"
    city = "Hangzhou"
    address = "88 Wensan Road"
    latitude = Decimal("30.290000")
    longitude = Decimal("120.130000")
    sales_headcount = 4
    monthly_sales_target = 20
    contact_name = "Li Ming"
    contact_phone = "13812341234"
    contact_email = "li.ming@example.cn"
    applied_by = factory.LazyAttribute(lambda application: application.parent.users.first())


class ApplicationDocumentFactory(factory.django.DjangoModelFactory):
    """A PDF of the checklist, stored under MEDIA_ROOT (a temporary folder in tests)."""

    class Meta:
        model = ApplicationDocument

    application = factory.SubFactory(DealerApplicationFactory)
    kind = DocumentKind.BUSINESS_LICENCE
    file = factory.django.FileField(data=PDF_BYTES, filename="document.pdf")
    original_name = "business-licence.pdf"
    content_type = "application/pdf"
    size = len(PDF_BYTES)
    sha256 = "0" * 64
    uploaded_at = factory.LazyFunction(timezone.now)


class AdmissionDecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdmissionDecision

    application = factory.SubFactory(DealerApplicationFactory, submitted=True, status=ApplicationStatus.REJECTED)
    outcome = "rejected"
    reason = "Too close to the parent store"
    decided_at = factory.LazyFunction(timezone.now)


class GraphRunFactory(factory.django.DjangoModelFactory):
    """A finished dealer-graph run, for the pages to read (its evaluation: RiskEvaluationFactory)."""

    class Meta:
        model = GraphRun

    job_run = factory.LazyFunction(
        lambda: JobRun.objects.create(job="channels.dealer_graph", status=JobStatus.SUCCEEDED)
    )
    as_of = TODAY
    outlets = 2
    parent_ties = 0
    overlap_ties = 1
    tied_outlets = 2
    clusters = 1
    computed_at = factory.LazyFunction(timezone.now)


class RiskEvaluationFactory(factory.django.DjangoModelFactory):
    """The risk model judged on a hold-out of August to October 2026, where the graph adds nothing."""

    class Meta:
        model = RiskEvaluation

    run = factory.SubFactory(GraphRunFactory)
    outcome = RiskOutcome.EVALUATED
    months = 12
    train_from = dt.date(2025, 12, 1)
    train_to = dt.date(2026, 7, 1)
    test_from = dt.date(2026, 8, 1)
    test_to = dt.date(2026, 10, 1)
    train_rows = 1_600
    train_positives = 240
    test_rows = 600
    test_positives = 90
    auc_with_graph = Decimal("0.8120")
    auc_without_graph = Decimal("0.8150")
    auc_persistence = Decimal("0.7000")
    difference_low = Decimal("-0.0180")
    difference_high = Decimal("0.0110")
    uses_graph = False
    predicted_month = dt.date(2026, 11, 1)
    coefficients = factory.LazyFunction(
        lambda: {
            "without_graph": {"intercept": -2.2, "composite": -1.1},
            "with_graph": {"intercept": -2.2, "composite": -0.9, "graph_composite": -0.3},
        }
    )


class GraphClusterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GraphCluster

    run = factory.SubFactory(GraphRunFactory)
    number = factory.Sequence(lambda n: n + 1)
    hub = factory.SubFactory(DealerFactory)
    region = factory.LazyAttribute(lambda cluster: cluster.hub.region)
    outlets = 2
    ties = 1
    regions = 1
    composite = Decimal("55.00")
    rated_d = 0
    risk = Decimal("0.1200")


class GraphNodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GraphNode

    run = factory.SubFactory(GraphRunFactory)
    dealer = factory.SubFactory(DealerFactory)
    ties = 1
    strength = Decimal("0.600")
    betweenness = Decimal("0.0")
    composite = Decimal("48.00")
    rating = "C"
    neighbours_rated_d = Decimal("0.0000")
    risk = Decimal("0.2100")
    risk_without_graph = Decimal("0.2100")
    risk_with_graph = Decimal("0.2300")


class GraphTieFactory(factory.django.DjangoModelFactory):
    """An overlap tie; ``first`` and ``second`` are put in key order."""

    class Meta:
        model = GraphTie

    run = factory.SubFactory(GraphRunFactory)
    kind = TieKind.OVERLAP
    first = factory.SubFactory(DealerFactory)
    second = factory.SubFactory(DealerFactory)
    region = factory.LazyAttribute(lambda tie: tie.first.region if tie.first.region == tie.second.region else None)
    weight = Decimal("0.6000")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs["first"].pk > kwargs["second"].pk:
            kwargs["first"], kwargs["second"] = kwargs["second"], kwargs["first"]
        return super()._create(model_class, *args, **kwargs)


class ChecklistTemplateFactory(factory.django.DjangoModelFactory):
    """A checklist version with three items weighing 1, 2 and 1 (``items=[(text, criterion,
    weight), ...]`` gives others)."""

    class Meta:
        model = ChecklistTemplate
        skip_postgeneration_save = True

    kind = ChecklistKind.SHOWROOM
    version = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Showroom checklist {n}")
    follow_up_days = 14
    pass_mark = Decimal("80.00")

    @factory.post_generation
    def items(self, create, extracted, **kwargs):
        if not create:
            return
        rows = extracted or [
            ("Showroom clean", "Floors and glass without dust", Decimal("1")),
            ("Greeting", "A consultant greets within 30 seconds", Decimal("2")),
            ("Price display", "Prices shown as in the system", Decimal("1")),
        ]
        ChecklistItem.objects.bulk_create(
            ChecklistItem(template=self, position=position, text=text, criterion=criterion, weight=weight)
            for position, (text, criterion, weight) in enumerate(rows, start=1)
        )


class InspectionFactory(factory.django.DjangoModelFactory):
    """A scheduled inspection, due in a week of the factories' today."""

    class Meta:
        model = Inspection

    dealer = factory.SubFactory(DealerFactory)
    template = factory.SubFactory(ChecklistTemplateFactory)
    due_on = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=7))
    scheduled_by = factory.SubFactory(UserFactory, role=Role.HEAD_OFFICE)


def submitted_inspection(*, dealer, outcomes=("pass", "fail", "na"), note="Dusty glass", by=None, photo=None):
    """An inspection of ``dealer`` checked in at the dealer and submitted through the services
    (a failed item gets ``note`` and, if given, ``photo``'s bytes): its follow-ups are open."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from channels.inspections.services import Answer, inspection_check_in, inspection_fill

    by = by or UserFactory(role=Role.HEAD_OFFICE)
    inspection = InspectionFactory(dealer=dealer, scheduled_by=by)
    inspection_check_in(
        inspection_id=inspection.pk, user=by, latitude=dealer.latitude, longitude=dealer.longitude, accuracy_m=20
    )
    items = list(inspection.template.items.order_by("position"))
    answers = {
        item.pk: Answer(
            outcome=outcome,
            note=note if outcome == "fail" else "",
            photo=SimpleUploadedFile("finding.jpg", photo) if photo is not None and outcome == "fail" else None,
        )
        for item, outcome in zip(items, outcomes, strict=False)
    }
    return inspection_fill(inspection_id=inspection.pk, user=by, answers=answers, submit=True)


class LeadPageFactory(factory.django.DjangoModelFactory):
    """A campaign's lead page (pass ``dealer=`` for a dealer's, with its region)."""

    class Meta:
        model = LeadPage

    code = factory.Sequence(lambda n: f"page{n:06d}")
    name = factory.Sequence(lambda n: f"Campaign {n}")
    region = factory.LazyAttribute(lambda page: page.dealer.region if page.dealer else None)


class ForecastRunFactory(factory.django.DjangoModelFactory):
    """A finished weekly forecast run (the Monday after TODAY's week)."""

    class Meta:
        model = ForecastRun
        django_get_or_create = ["week"]

    week = dt.date(2026, 11, 16)
    status = "succeeded"
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(timezone.now)


class ForecastSeriesFactory(factory.django.DjangoModelFactory):
    """A smooth dealer × model series of a run, back-tested."""

    class Meta:
        model = ForecastSeries

    run = factory.SubFactory(ForecastRunFactory)
    dealer = factory.SubFactory(DealerFactory)
    model = factory.SubFactory(VehicleModelFactory)
    series_class = "smooth"
    method = "Theta"
    adi = 1.0
    cv2 = 0.2
    history_weeks = 60
    units_sold = 300
    backtested = True
    abs_error = 20.0
    actual = 100.0
    points = 26
    scaled_points = 26
    scaled_error = 20.0
    base_abs_error = 30.0
    base_scaled_error = 30.0
    computed_at = factory.LazyFunction(timezone.now)


class ForecastFactory(factory.django.DjangoModelFactory):
    """One target week's forecast of a series (pass ``series=``, or dealer, model and run)."""

    class Meta:
        model = Forecast
        exclude = ["series"]

    series = factory.SubFactory(ForecastSeriesFactory)
    run = factory.LazyAttribute(lambda row: row.series.run)
    dealer = factory.LazyAttribute(lambda row: row.series.dealer)
    model = factory.LazyAttribute(lambda row: row.series.model)
    target_week = dt.date(2026, 11, 16)
    units = 4.5
    lo = 2.0
    hi = 7.0
    method = "Theta"
    series_class = "smooth"
    computed_at = factory.LazyFunction(timezone.now)


class StockAlertRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockAlertRule

    name = factory.Sequence(lambda n: f"Stock rule {n}")
    kind = AlertKind.AGED_UNITS
    threshold = Decimal("0")


class StockAlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockAlert

    dealer = factory.SubFactory(DealerFactory)
    model = factory.SubFactory(VehicleModelFactory)
    rule = factory.SubFactory(StockAlertRuleFactory)
    metric_value = Decimal("2.00")
    threshold = Decimal("0")
    opened_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)


class TransferPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TransferPlan

    model = factory.SubFactory(VehicleModelFactory)
    as_of = TODAY
    parameters = factory.LazyFunction(lambda: {"max_hours": 12, "cost_per_km": "8.00", "handling_cost": "300.00"})
    units = 1
    total_cost = Decimal("1100.00")
    greedy_units = 1
    greedy_cost = Decimal("1300.00")


class TransferFactory(factory.django.DjangoModelFactory):
    """A proposed transfer of a unit in stock to another dealer of the same region."""

    class Meta:
        model = Transfer

    stock_unit = factory.SubFactory(StockUnitFactory)
    from_dealer = factory.SelfAttribute("stock_unit.dealer")
    to_dealer = factory.SubFactory(DealerFactory, region=factory.SelfAttribute("..from_dealer.region"))
    distance_km = Decimal("100.0")
    cost = Decimal("1100.00")
    proposed_at = factory.LazyFunction(timezone.now)
