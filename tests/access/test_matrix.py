"""The access matrix: every URL pattern x every role x a record the role must not see.

The URL patterns are enumerated from the resolver, so a page or API route added tomorrow is
checked tomorrow. For a pattern with a ``pk`` the model comes from the view (``model`` on a
Django view, ``queryset``/``model`` on a DRF viewset); a pattern whose model has no foreign
record below, or whose arguments this test does not know, fails until it is added here.
"""

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver
from openpyxl import load_workbook

from channels.models import GraphRun, PlanningRun
from datahub.models import ImportBatch, ImportKind
from dealerops.access import can_view, can_write, role_of, rule_for
from dealerops.entry_views import RecordEntryView
from dealerops.exports import EXPORT_FORMATS, XLSX_CONTENT_TYPE
from dealerops.models import ExportStatus, Role
from tests.factories import (
    ApplicationDocumentFactory,
    ChecklistTemplateFactory,
    CityMarketFactory,
    CommissionEntryFactory,
    CustomerFactory,
    DataIssueFactory,
    DataQualityAlertFactory,
    DataQualityScoreFactory,
    DealerApplicationFactory,
    DealerFactory,
    ExportJobFactory,
    ForecastFactory,
    ForecastSeriesFactory,
    GraphClusterFactory,
    GraphNodeFactory,
    GraphTieFactory,
    HealthScoreFactory,
    ImportBatchFactory,
    InquiryFactory,
    InspectionFactory,
    LeadFactory,
    LeadPageFactory,
    LoanFactory,
    OutletOverlapFactory,
    PlanningRunFactory,
    PositionFactory,
    RecommendationFactory,
    RiskEvaluationFactory,
    SaleFactory,
    ServiceVisitFactory,
    StockAlertFactory,
    StockUnitFactory,
    TradeAreaFactory,
    TransferFactory,
    TransferPlanFactory,
    WhiteSpotFactory,
    submitted_inspection,
)
from tests.photos import JPEG

# Paths outside the portal's own pages: Django admin (staff only, its own permissions),
# authentication and language switching, which show no records.
EXEMPT_NAMESPACES = {"admin"}
# A new dealer's set-password page (account-invite) is opened by its link, before any log-in.
EXEMPT_NAMES = {"login", "logout", "set_language", "api-auth-token", "healthz", "account-invite"}
# The public lead page and its thank-you page: no login by design, by a page's random code
# (tests/channels/test_public_lead_page.py checks that they show no record).
PUBLIC_NAMES = {"channels:public-lead-page", "channels:public-lead-thanks"}

# Models whose POST actions are each for one party of the record (inventory.transfers.services).
ONE_PARTY_STEPS = {"inventory.Transfer"}

# Strings that appear only in the foreign dealer's records.
FOREIGN_MARKERS = {
    "channels.Dealer": "Chengdu Jinjiang 4S",
    "channels.CityMarket": "Foreign City Lhasa",
    "channels.OutletOverlap": "Foreign Neighbour Yaan",
    "channels.WhiteSpot": "Foreign Spot Nagqu",
    "channels.Recommendation": "Foreign Site Shigatse",
    "channels.DealerApplication": "Foreign Applicant Dali",
    "channels.ApplicationDocument": "foreign-lease-scan.pdf",
    "channels.GraphTie": "Foreign Tie Leshan",
    "channels.LeadPage": "Foreign Poster Leshan",
    "inventory.StockUnit": "LFVFZRXGNA0000001",
    "inventory.Sale": "LFVFZRXGNA0000002",
    "inventory.Position": "Foreign carrier stop Mianyang",
    "inventory.Transfer": "LFVFZRXGNA0000003",
    "customers.Customer": "Foreign Buyer Zhao",
    "customers.ServiceVisit": "Foreign Visitor Qian",
    "customers.Inquiry": "Foreign Asker Sun",
    "finance.Loan": "LNFOREIGN0001",
    "finance.CommissionEntry": "Foreign adjustment Zhou",
    "datahub.ImportBatch": "foreign-dms-export-cd01.csv",
    "datahub.DataIssue": "Foreign issue Zheng",
    "datahub.DataQualityAlert": "Foreign alert Wu",
    # An inspection's finding (the failed item's note): its follow-up's page and the API show it.
    "channels.FollowUp": "Foreign finding Feng",
    # Head office's file of the whole network (city markets): no dealer, so no one's scope but theirs.
    "network import": "network-city-markets-2025.csv",
}


@dataclass
class Route:
    path: str  # the pattern as a printable route, e.g. "sales/<pk>/"
    name: str
    regex: str
    view: Callable
    kwargs: set[str]
    namespace: str = ""

    def url(self, **values) -> str:
        """Build a concrete URL by substituting the named groups of the pattern's regex."""
        url = self.regex
        for name, value in values.items():
            url = re.sub(rf"\(\?P<{name}>[^)]*\)", str(value), url)
        url = url.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")
        url = re.sub(r"/\?$", "/", url)
        return "/" + url.lstrip("/")


def iter_routes(patterns=None, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        regex = pattern.pattern.regex.pattern
        if isinstance(pattern, URLResolver):
            inner_namespace = pattern.namespace or namespace
            yield from iter_routes(pattern.url_patterns, prefix + regex.lstrip("^").rstrip("$"), inner_namespace)
        elif isinstance(pattern, URLPattern):
            full = (prefix + regex.lstrip("^")).replace("\\Z", "$")
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else (pattern.name or "")
            yield Route(
                path=str(full),
                name=name,
                regex=full,
                view=pattern.callback,
                kwargs=set(pattern.pattern.regex.groupindex),
                namespace=namespace,
            )


def portal_routes() -> list[Route]:
    routes = []
    for route in iter_routes():
        if route.namespace in EXEMPT_NAMESPACES or route.name in EXEMPT_NAMES | PUBLIC_NAMES:
            continue
        if route.path.startswith("static/") or "format" in route.kwargs:
            continue  # static files; DRF's ".json" suffix variants repeat the plain routes
        routes.append(route)
    return routes


def model_of(route: Route) -> type[Model]:
    view = route.view
    view_class = getattr(view, "view_class", None) or getattr(view, "cls", None)
    model = getattr(view_class, "model", None)
    if model is None and getattr(view_class, "queryset", None) is not None:
        model = view_class.queryset.model
    assert model is not None, f"{route.path}: set `model` (or `queryset`) on its view so access can be checked"
    return model


def make_records(dealer, markers: dict[str, str]) -> dict[str, Model]:
    """One record of every dealer-owned model, owned by ``dealer``; ``markers`` name them."""

    def named(label: str, field: str) -> dict[str, str]:
        return {field: markers[label]} if label in markers else {}

    loan_sale = SaleFactory(dealer=dealer, payment="loan")
    run = PlanningRun.objects.first() or PlanningRunFactory()  # the network's plan: one run for both dealers
    graph = GraphRun.objects.first() or RiskEvaluationFactory().run  # the network's graph, likewise
    cluster = GraphClusterFactory(run=graph, hub=dealer)
    loan = LoanFactory(sale=loan_sale, **named("finance.Loan", "reference"))
    # Submitted: nothing the walk's empty POSTs send (a file, the submission) can change it.
    application = DealerApplicationFactory(
        parent=dealer, submitted=True, **named("channels.DealerApplication", "outlet_name")
    )
    # A scheduled inspection (its checklist to fill), and a submitted one whose failed item left
    # a follow-up and a photo.
    inspected = submitted_inspection(dealer=dealer, note=markers.get("channels.FollowUp", "Dusty glass"), photo=JPEG)
    follow_up = inspected.follow_ups.get()
    # The week's forecast (one network run): the forecast page names each series' dealer (the
    # foreign dealer's name is its marker).
    series = ForecastSeriesFactory(dealer=dealer)
    return {
        "channels.Region": dealer.region,
        "channels.Dealer": dealer,
        "channels.CityMarket": CityMarketFactory(region=dealer.region, **named("channels.CityMarket", "city")),
        "channels.Lead": LeadFactory(dealer=dealer),
        "channels.LeadPage": LeadPageFactory(dealer=dealer, **named("channels.LeadPage", "name")),
        "channels.HealthScore": HealthScoreFactory(dealer=dealer),
        "channels.TradeArea": TradeAreaFactory(run=run, dealer=dealer),
        "channels.OutletOverlap": OutletOverlapFactory(
            run=run,
            first=dealer,
            second=DealerFactory(region=dealer.region, **named("channels.OutletOverlap", "name")),
        ),
        "channels.WhiteSpot": WhiteSpotFactory(
            run=run, region=dealer.region, **named("channels.WhiteSpot", "near_city")
        ),
        "channels.Recommendation": RecommendationFactory(
            run=run, region=dealer.region, **named("channels.Recommendation", "near_city")
        ),
        "channels.DealerApplication": application,
        "channels.ApplicationDocument": ApplicationDocumentFactory(
            application=application, **named("channels.ApplicationDocument", "original_name")
        ),
        "channels.GraphCluster": cluster,
        "channels.GraphNode": GraphNodeFactory(run=graph, dealer=dealer, cluster=cluster),
        "channels.GraphTie": GraphTieFactory(
            run=graph, first=dealer, second=DealerFactory(region=dealer.region, **named("channels.GraphTie", "name"))
        ),
        "inventory.StockUnit": StockUnitFactory(dealer=dealer, **named("inventory.StockUnit", "vin")),
        "inventory.Sale": SaleFactory(dealer=dealer, **named("inventory.Sale", "stock_unit__vin")),
        "inventory.Position": PositionFactory(stock_unit__dealer=dealer, **named("inventory.Position", "note")),
        "inventory.StockAlert": StockAlertFactory(dealer=dealer),  # the dealer's name marks it
        # A transfer between two dealers of the region (both dealers' scopes): the unit's VIN marks it.
        "inventory.Transfer": TransferFactory(
            stock_unit__dealer=dealer, **named("inventory.Transfer", "stock_unit__vin")
        ),
        "customers.Customer": CustomerFactory(home_dealer=dealer, **named("customers.Customer", "name")),
        "customers.ServiceVisit": ServiceVisitFactory(
            dealer=dealer, **named("customers.ServiceVisit", "customer__name")
        ),
        "customers.Inquiry": InquiryFactory(dealer=dealer, **named("customers.Inquiry", "customer__name")),
        "finance.Loan": loan,
        "finance.CommissionEntry": CommissionEntryFactory(
            loan=loan, **{"note": markers.get("finance.CommissionEntry", "Adjustment")}
        ),
        "datahub.ImportBatch": ImportBatchFactory(dealer=dealer, **named("datahub.ImportBatch", "file_name")),
        "datahub.DataQualityScore": DataQualityScoreFactory(dealer=dealer),
        "datahub.DataIssue": DataIssueFactory(
            dealer=dealer, record_id=loan_sale.pk, **named("datahub.DataIssue", "detail")
        ),
        "datahub.DataQualityAlert": DataQualityAlertFactory(
            dealer=dealer, **named("datahub.DataQualityAlert", "message")
        ),
        "channels.Inspection": InspectionFactory(dealer=dealer),
        "channels.FollowUp": follow_up,
        "channels.EvidencePhoto": follow_up.result.photo,
        "inventory.ForecastSeries": series,
        "inventory.Forecast": ForecastFactory(series=series),
    }


def shared_records() -> dict[str, Model]:
    """Network-wide catalogues: visible to every role that may open them."""
    from tests.factories import (
        CommissionPeriodFactory,
        CommissionPolicyFactory,
        LenderFactory,
        LenderStatementFactory,
        ScenarioFactory,
        StockAlertRuleFactory,
        VehicleModelFactory,
    )

    return {
        "inventory.VehicleModel": VehicleModelFactory(),
        "inventory.StockAlertRule": StockAlertRuleFactory(),
        "finance.Lender": LenderFactory(),
        "finance.CommissionPolicy": CommissionPolicyFactory(),
        "finance.CommissionPeriod": CommissionPeriodFactory(),
        # Statements are lender-level: finance and head office see every one, nobody else any.
        "finance.LenderStatement": LenderStatementFactory(),
        # Head office's what-ifs on the network's plan run.
        "channels.Scenario": ScenarioFactory(run=PlanningRun.objects.first() or PlanningRunFactory()),
        # The SOP checklists are the network's.
        "channels.ChecklistTemplate": ChecklistTemplateFactory(),
        # Transfer plans are network-wide runs (their lines are scoped transfers).
        "inventory.TransferPlan": TransferPlanFactory(),
    }


@pytest.fixture
def records(network):
    home = make_records(network.home_dealer, {})
    foreign = make_records(network.foreign_dealer, FOREIGN_MARKERS)
    network_import = ImportBatchFactory(
        dealer=None, kind=ImportKind.CITY_MARKETS, file_name=FOREIGN_MARKERS["network import"]
    )
    return {"home": home, "foreign": foreign, "shared": shared_records(), "network": network_import}


def readable_text(response) -> str:
    """The text a user would read in the response: a page, a CSV, or every cell of an XLSX."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith(XLSX_CONTENT_TYPE):
        workbook = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row)
    return body.decode("utf-8", errors="replace")


def answer(client, url: str):
    """GET the URL; a POST-only action (405 to a GET) gets an empty POST instead, which must be
    scoped just the same: refused for a record outside the scope, never a server error."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
        response.was_post = True
    return response


def is_edit_form(route: Route) -> bool:
    """A record's edit form (``RecordEntryView``): its page is for the model's writers only."""
    view_class = getattr(route.view, "view_class", None)
    return view_class is not None and issubclass(view_class, RecordEntryView)


def allowed(response, user, model, route: Route | None = None) -> set[int]:
    """What a record the user may see answers: its page (its edit form only to a writer: 403
    to a reader); for a POST action a result or a 400 when the role may write the model, else
    a refusal."""
    if not getattr(response, "was_post", False):
        return {403} if route is not None and is_edit_form(route) and not can_write(user, model) else {200}
    if not can_write(user, model):
        return {403, 404}
    # A transfer's steps are one of its two dealers' each: the other dealer is refused (403).
    return {200, 201, 302, 400, 403} if model._meta.label in ONE_PARTY_STEPS else {200, 201, 302, 400}


def detail_routes() -> list[Route]:
    return [route for route in portal_routes() if route.kwargs]


def list_routes() -> list[Route]:
    return [route for route in portal_routes() if not route.kwargs]


def expected_foreign_status(user, model) -> set[int]:
    """What a detail URL of a record of the foreign dealer must answer for this user."""
    if not can_view(user, model):
        return {403, 404}
    rule = rule_for(model)
    if role_of(user) in (Role.HEAD_OFFICE, Role.FINANCE) or (rule.dealer is None and rule.region is None):
        return {200}
    return {404}


@pytest.mark.django_db
def test_the_matrix_finds_the_portal_pages_and_api_routes():
    names = {route.name for route in portal_routes()}
    for expected in (
        "home",
        "channels:dealer-detail",
        "inventory:sale-list",
        "finance:loan-detail",
        "sale-detail",
        "inventory:stock-options",  # the pickers' JSON: scoped like any list
        "customers:customer-options",
        "channels:dealer-options",
    ):
        assert expected in names, f"{expected} missing: the URL walk is broken"


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role.values))
def test_no_role_opens_a_record_outside_its_scope(network, records, client_for, role, settings, tmp_path):
    user = network.users()[role]
    client = client_for(user)
    checked = 0
    for route in detail_routes():
        assert route.kwargs == {"pk"}, f"{route.path}: teach the access matrix about URL arguments {route.kwargs}"
        model = model_of(route)
        label = model._meta.label
        if rule_for(model).owner is not None:
            # A record of one user (a background export): only its owner opens it, whatever the role.
            other = network.head_office if user != network.head_office else network.finance_user
            others = answer(client, route.url(pk=ExportJobFactory(owner=other).pk))
            assert others.status_code == 404, f"{role} opened {route.path} of another user: {others.status_code}"
            settings.EXPORT_ROOT = tmp_path
            (tmp_path / "own.csv").write_text("Reference\n")
            ready = ExportJobFactory(owner=user, status=ExportStatus.SUCCEEDED, stored_as="own.csv")
            own = answer(client, route.url(pk=ready.pk))
            assert own.status_code in allowed(own, user, model), f"{role} {route.path} own: {own.status_code}"
            continue
        shared = records["shared"].get(label)
        if shared is not None:
            response = answer(client, route.url(pk=shared.pk))
            expected = allowed(response, user, model) if can_view(user, model) else {403, 404}
            assert response.status_code in expected, f"{role} {route.path} shared record: {response.status_code}"
            continue
        assert label in records["foreign"], f"{route.path}: add a foreign {label} record to the access matrix"
        foreign, home = records["foreign"][label], records["home"][label]

        response = answer(client, route.url(pk=foreign.pk))
        expected = expected_foreign_status(user, model)
        if getattr(response, "was_post", False) and not can_write(user, model):
            expected = {403, 404}
        # Out of scope answers 404 before a reader's 403 (an edit form does not confirm the record exists).
        assert response.status_code in (allowed(response, user, model, route) if expected == {200} else expected), (
            f"{role} opened {route.path} of a foreign {label}: {response.status_code}"
        )
        # A refusal shows nothing of the record; a role that may see it may read it on a 400 too
        # (an action's page shown again with its errors).
        if response.status_code != 200 and expected != {200}:
            marker = FOREIGN_MARKERS.get(label)
            assert not marker or marker not in response.content.decode(), f"{route.path} leaked {marker}"

        own = answer(client, route.url(pk=home.pk))
        expected_own = allowed(own, user, model, route) if can_view(user, model) else {403, 404}
        assert own.status_code in expected_own, f"{role} {route.path} own {label}: {own.status_code}"
        checked += 1
    assert checked >= 5


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role.values))
def test_a_network_import_is_opened_by_head_office_alone(network, records, client_for, role):
    """A dealer-less import (the city market table) is outside every dealer's and region's
    scope: each import URL answers as for a foreign record, except to head office."""
    user = network.users()[role]
    client = client_for(user)
    batch = records["network"]
    checked = 0
    for route in detail_routes():
        if model_of(route) is not ImportBatch:
            continue
        response = answer(client, route.url(pk=batch.pk))
        expected = allowed(response, user, ImportBatch, route) if role == Role.HEAD_OFFICE else {403, 404}
        assert response.status_code in expected, f"{role} {route.path} of the network import: {response.status_code}"
        if response.status_code != 200:
            assert FOREIGN_MARKERS["network import"] not in response.content.decode()
        checked += 1
    assert checked >= 5


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DEALER_USER, Role.REGIONAL_MANAGER])
def test_no_list_page_or_endpoint_shows_a_foreign_record(network, records, client_for, role):
    client = client_for(network.users()[role])
    for route in list_routes():
        url = route.url()
        # The API has no exports (it refuses a parameter it does not take): pages only.
        formats = () if url.startswith("/api/") else EXPORT_FORMATS
        for response in (client.get(url), *(client.get(url, {"export": fmt}) for fmt in formats)):
            assert response.status_code in (200, 403, 405), f"{role} {url}: {response.status_code}"
            text = readable_text(response)
            for label, marker in FOREIGN_MARKERS.items():
                assert marker not in text, f"{role} saw foreign {label} ({marker}) on {url}"


@pytest.mark.django_db
def test_anonymous_visitors_see_no_page_and_no_endpoint(records, client):
    for route in portal_routes():
        url = route.url(pk=records["home"]["inventory.Sale"].pk) if route.kwargs else route.url()
        response = client.get(url)
        assert response.status_code in (302, 401, 403, 405), f"anonymous {url}: {response.status_code}"
        if response.status_code == 302:
            assert response["Location"].startswith("/login/")
