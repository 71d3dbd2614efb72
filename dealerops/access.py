"""The one access-scoping layer: turns (user, model) into the queryset that user may see.

Every page, API viewset, export and form choice asks this module; nothing else filters by
role. A model must be registered in ``RULES`` before anyone can see it (fail closed), and
``tests/access/`` walks every URL to check that nothing leaks past it.

Visibility by role:
- head office (and superusers): everything;
- finance staff: the whole network, but only the models finance works with;
- regional manager: records of dealers in their region(s);
- dealer user: records of their own dealer (catalogues such as vehicle models are shared).
"""

from dataclasses import dataclass
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q, QuerySet

from dealerops.models import Role, User

M = TypeVar("M", bound=Model)

ALL_ROLES = frozenset(Role.values)
FIELD_ROLES = frozenset({Role.REGIONAL_MANAGER, Role.DEALER_USER, Role.HEAD_OFFICE})
FINANCE_ROLES = ALL_ROLES  # finance work is visible to finance plus the owners of the dealer
AUDIT_ROLES = frozenset({Role.HEAD_OFFICE})  # all changes across the network
SUMMARY_ROLES = frozenset({Role.FINANCE, Role.HEAD_OFFICE, Role.REGIONAL_MANAGER})  # region-level figures
PLANNING_ROLES = frozenset({Role.HEAD_OFFICE, Role.REGIONAL_MANAGER})  # the market table and the network plan
INSPECTION_WRITERS = frozenset({Role.HEAD_OFFICE, Role.REGIONAL_MANAGER})  # schedule, check in, fill


@dataclass(frozen=True)
class Rule:
    """How a model hangs off the network.

    ``dealer``: lookup from the model to its dealer's pk (``"pk"`` for Dealer itself), or
    None when records are not owned by a dealer. ``region``: lookup to its region's pk, or
    None for network-wide catalogues. ``roles``: who may see the model at all. ``owner``: lookup
    to the user a record belongs to, for records that are their owner's alone whatever the role
    (a background export holds rows computed with its owner's scope). ``other_dealer`` /
    ``other_region``: a second dealer and region a record belongs to as well (a transfer is its
    sending and its receiving dealer's), in either one's scope.
    """

    dealer: str | None
    region: str | None
    roles: frozenset[str]
    writers: frozenset[str] = frozenset({Role.HEAD_OFFICE})
    owner: str | None = None
    other_dealer: str | None = None
    other_region: str | None = None


RULES: dict[str, Rule] = {
    "channels.Region": Rule(dealer=None, region="pk", roles=ALL_ROLES),
    "channels.Dealer": Rule(dealer="pk", region="region", roles=ALL_ROLES),
    "channels.Lead": Rule(
        dealer="dealer",
        region="dealer__region",
        roles=FIELD_ROLES,
        writers=frozenset({Role.DEALER_USER, Role.HEAD_OFFICE}),
    ),
    # Channel health: a dealer sees its own scores, a regional manager the region's, finance
    # and head office all; the weights and the months' state are network-wide.
    "channels.HealthScore": Rule(dealer="dealer", region="dealer__region", roles=ALL_ROLES),
    "channels.HealthMetricScore": Rule(
        dealer="health_score__dealer", region="health_score__dealer__region", roles=ALL_ROLES
    ),
    # The market table is planning's: head office keeps it, a regional manager reads their regions'.
    "channels.CityMarket": Rule(dealer=None, region="region", roles=PLANNING_ROLES),
    # The network plan (channels.planning): head office plans, a regional manager reads their
    # regions' part; the runs and settings are network-wide, the rows by region (a pair of
    # outlets across a region border has none: head office's).
    "channels.PlanningSettings": Rule(dealer=None, region=None, roles=PLANNING_ROLES),
    "channels.PlanningRun": Rule(dealer=None, region=None, roles=PLANNING_ROLES),
    "channels.TradeArea": Rule(dealer="dealer", region="dealer__region", roles=PLANNING_ROLES, writers=frozenset()),
    "channels.OutletOverlap": Rule(dealer=None, region="region", roles=PLANNING_ROLES, writers=frozenset()),
    "channels.WhiteSpot": Rule(dealer=None, region="region", roles=PLANNING_ROLES, writers=frozenset()),
    "channels.Recommendation": Rule(dealer=None, region="region", roles=PLANNING_ROLES, writers=frozenset()),
    # The dealer graph (channels.graph): head office builds it, a regional manager reads their
    # regions' outlets, ties and clusters (a tie or cluster across a region border has none:
    # head office's); the runs and the model's evaluation are network-wide figures.
    "channels.GraphRun": Rule(dealer=None, region=None, roles=PLANNING_ROLES),
    "channels.RiskEvaluation": Rule(dealer=None, region=None, roles=PLANNING_ROLES, writers=frozenset()),
    "channels.GraphNode": Rule(dealer="dealer", region="dealer__region", roles=PLANNING_ROLES, writers=frozenset()),
    "channels.GraphTie": Rule(dealer=None, region="region", roles=PLANNING_ROLES, writers=frozenset()),
    "channels.GraphCluster": Rule(dealer=None, region="region", roles=PLANNING_ROLES, writers=frozenset()),
    # An outlet's probation and exit: head office decides; the outlet and its region read why.
    "channels.DealerDecision": Rule(dealer="dealer", region="dealer__region", roles=FIELD_ROLES),
    # Dealer admission (channels.admission): the parent store's staff, the region's managers and
    # head office file an application under a parent and add its documents; the region's
    # managers and head office decide. The documents (an ID card among them) are theirs alone.
    "channels.DealerApplication": Rule(
        dealer="parent", region="parent__region", roles=FIELD_ROLES, writers=FIELD_ROLES
    ),
    "channels.ApplicationDocument": Rule(
        dealer="application__parent", region="application__parent__region", roles=FIELD_ROLES, writers=FIELD_ROLES
    ),
    "channels.AdmissionDecision": Rule(
        dealer="application__parent",
        region="application__parent__region",
        roles=FIELD_ROLES,
        writers=frozenset({Role.REGIONAL_MANAGER, Role.HEAD_OFFICE}),
    ),
    # What-if scenarios are head office's: they move demand across regions.
    **{
        label: Rule(dealer=None, region=None, roles=frozenset({Role.HEAD_OFFICE}))
        for label in ("channels.Scenario", "channels.ScenarioChange", "channels.ScenarioEffect", "channels.RunCells")
    },
    # Field inspections (channels.inspections): head office keeps the checklists; a regional
    # manager schedules and fills the inspections of their regions' dealers; a dealer user sees
    # its own and corrects its follow-ups (the services say who may do which step). Finance has
    # no part in them. Photos are their dealer's, like the records they prove.
    "channels.ChecklistTemplate": Rule(dealer=None, region=None, roles=FIELD_ROLES),
    "channels.ChecklistItem": Rule(dealer=None, region=None, roles=FIELD_ROLES),
    "channels.Inspection": Rule(
        dealer="dealer", region="dealer__region", roles=FIELD_ROLES, writers=INSPECTION_WRITERS
    ),
    "channels.InspectionResult": Rule(
        dealer="inspection__dealer", region="inspection__dealer__region", roles=FIELD_ROLES, writers=frozenset()
    ),
    "channels.FollowUp": Rule(dealer="dealer", region="dealer__region", roles=FIELD_ROLES, writers=FIELD_ROLES),
    "channels.FollowUpEvent": Rule(
        dealer="follow_up__dealer", region="follow_up__dealer__region", roles=FIELD_ROLES, writers=frozenset()
    ),
    "channels.EvidencePhoto": Rule(dealer="dealer", region="dealer__region", roles=FIELD_ROLES, writers=FIELD_ROLES),
    # Lead routing (channels.routing): head office sets the settings and keeps the lead pages
    # (their QR codes), a regional manager reads them for the region; a lead's assignments are
    # read with the lead (its page shows a dealer user only its own figures among them).
    "channels.RoutingSettings": Rule(dealer=None, region=None, roles=PLANNING_ROLES),
    "channels.LeadPage": Rule(dealer="dealer", region="region", roles=PLANNING_ROLES),
    "channels.LeadAssignment": Rule(
        dealer="lead__dealer", region="lead__dealer__region", roles=FIELD_ROLES, writers=frozenset()
    ),
    "channels.HealthWeights": Rule(dealer=None, region=None, roles=ALL_ROLES),
    # The rating bands are network-wide too: everyone reads how they are rated; head office sets them.
    "channels.RatingBands": Rule(dealer=None, region=None, roles=ALL_ROLES),
    "channels.HealthMonth": Rule(dealer=None, region=None, roles=ALL_ROLES),
    "inventory.VehicleModel": Rule(dealer=None, region=None, roles=ALL_ROLES),
    "inventory.StockUnit": Rule(
        dealer="dealer",
        region="dealer__region",
        roles=FIELD_ROLES,
        writers=frozenset({Role.DEALER_USER, Role.HEAD_OFFICE}),
    ),
    # In-transit tracking (inventory.tracking): a unit's positions are its dealer's to see; the
    # carriers' and trackers' feeds write them through head office's integration accounts.
    "inventory.Position": Rule(dealer="stock_unit__dealer", region="stock_unit__dealer__region", roles=FIELD_ROLES),
    "inventory.LatestPosition": Rule(
        dealer="stock_unit__dealer", region="stock_unit__dealer__region", roles=FIELD_ROLES
    ),
    "inventory.Tracker": Rule(dealer="stock_unit__dealer", region="stock_unit__dealer__region", roles=FIELD_ROLES),
    "inventory.TrackerRejection": Rule(dealer=None, region=None, roles=AUDIT_ROLES),
    "inventory.Sale": Rule(
        dealer="dealer",
        region="dealer__region",
        roles=ALL_ROLES,
        writers=frozenset({Role.DEALER_USER, Role.HEAD_OFFICE}),
    ),
    # A transfer is its sending and its receiving dealer's: both (and their regions) see it; the
    # dealers take its steps (which one, each step's own rule: inventory.transfers.services).
    "inventory.Transfer": Rule(
        dealer="from_dealer",
        region="from_dealer__region",
        other_dealer="to_dealer",
        other_region="to_dealer__region",
        roles=FIELD_ROLES,
        writers=frozenset({Role.DEALER_USER, Role.HEAD_OFFICE}),
    ),
    # Transfer plans: head office and regional managers plan (a manager within their regions).
    "inventory.TransferPlan": Rule(dealer=None, region=None, roles=PLANNING_ROLES, writers=PLANNING_ROLES),
    # Stock alerts (inventory.alerts): head office sets the rules and floorplan rates; a dealer
    # user, the region's managers and head office acknowledge and resolve their alerts.
    "inventory.StockAlertRule": Rule(dealer=None, region=None, roles=FIELD_ROLES),
    "inventory.FloorplanRate": Rule(dealer="dealer", region="dealer__region", roles=FIELD_ROLES),
    "inventory.StockAlert": Rule(dealer="dealer", region="dealer__region", roles=FIELD_ROLES, writers=FIELD_ROLES),
    # The home pages' summaries (inventory.summaries), scoped as the rows they sum; triggers
    # write them, nobody else. Loans are summed network-wide: for the network-wide roles.
    **{
        label: Rule(dealer="dealer", region="dealer__region", roles=roles, writers=frozenset())
        for label, roles in (
            ("inventory.SalesMonth", ALL_ROLES),
            ("inventory.SalesDay", ALL_ROLES),
            ("inventory.StockMonth", FIELD_ROLES),
            ("inventory.StockDay", FIELD_ROLES),
        )
    },
    # By region: not for dealer users (a dealer would see its region's totals).
    "inventory.RegionSalesMonth": Rule(
        dealer=None,
        region="region",
        roles=frozenset({Role.REGIONAL_MANAGER, Role.FINANCE, Role.HEAD_OFFICE}),
        writers=frozenset(),
    ),
    "inventory.RegionStockMonth": Rule(
        dealer=None,
        region="region",
        roles=frozenset({Role.REGIONAL_MANAGER, Role.HEAD_OFFICE}),
        writers=frozenset(),
    ),
    # The weekly forecast (inventory.forecasting): a dealer sees its own series, a regional
    # manager the region's, head office all; finance has no part in it. The runs are the
    # network's (their counts and CNY profile name no dealer).
    "inventory.ForecastRun": Rule(dealer=None, region=None, roles=FIELD_ROLES),
    "inventory.ForecastSeries": Rule(dealer="dealer", region="dealer__region", roles=FIELD_ROLES, writers=frozenset()),
    "inventory.Forecast": Rule(dealer="dealer", region="dealer__region", roles=FIELD_ROLES, writers=frozenset()),
    "customers.Customer": Rule(
        dealer="home_dealer",
        region="home_dealer__region",
        roles=FIELD_ROLES,
        writers=frozenset({Role.DEALER_USER, Role.HEAD_OFFICE}),
    ),
    "customers.ServiceVisit": Rule(
        dealer="dealer",
        region="dealer__region",
        roles=FIELD_ROLES,
        writers=frozenset({Role.DEALER_USER, Role.HEAD_OFFICE}),
    ),
    "customers.Inquiry": Rule(
        dealer="dealer",
        region="dealer__region",
        roles=FIELD_ROLES,
        writers=frozenset({Role.DEALER_USER, Role.HEAD_OFFICE}),
    ),
    "finance.Lender": Rule(
        dealer=None, region=None, roles=ALL_ROLES, writers=frozenset({Role.FINANCE, Role.HEAD_OFFICE})
    ),
    "dealerops.JobRun": Rule(
        dealer=None,
        region=None,
        roles=frozenset({Role.FINANCE, Role.HEAD_OFFICE}),
        writers=frozenset({Role.FINANCE, Role.HEAD_OFFICE}),
    ),
    "dealerops.ExportJob": Rule(dealer=None, region=None, roles=ALL_ROLES, writers=ALL_ROLES, owner="owner"),
    "finance.CommissionPolicy": Rule(
        dealer=None,
        region=None,
        roles=frozenset({Role.FINANCE, Role.HEAD_OFFICE, Role.REGIONAL_MANAGER}),
        writers=frozenset({Role.FINANCE, Role.HEAD_OFFICE}),
    ),
    # Months of the ledger; their pages total only the entries the user may see.
    "finance.CommissionPeriod": Rule(
        dealer=None,
        region=None,
        roles=ALL_ROLES,
        writers=frozenset({Role.FINANCE, Role.HEAD_OFFICE}),
    ),
    # A dealer sees its own commissions, a regional manager those of the region.
    "finance.CommissionEntry": Rule(
        dealer="dealer",
        region="dealer__region",
        roles=ALL_ROLES,
        writers=frozenset({Role.FINANCE, Role.HEAD_OFFICE}),
    ),
    # A lender's statements and their reconciliation are lender-level: finance's work alone.
    "finance.LenderStatement": Rule(
        dealer=None,
        region=None,
        roles=frozenset({Role.FINANCE, Role.HEAD_OFFICE}),
        writers=frozenset({Role.FINANCE, Role.HEAD_OFFICE}),
    ),
    "finance.StatementLine": Rule(
        dealer=None,
        region=None,
        roles=frozenset({Role.FINANCE, Role.HEAD_OFFICE}),
        writers=frozenset({Role.FINANCE, Role.HEAD_OFFICE}),
    ),
    "finance.Loan": Rule(
        dealer="dealer",
        region="dealer__region",
        roles=FINANCE_ROLES,
        writers=frozenset({Role.DEALER_USER, Role.FINANCE, Role.HEAD_OFFICE}),
    ),
    # Finance's summary tables (finance.models.summaries), written by triggers only: the
    # dealer-level ones as the rows they sum; the region-level ones hold no one dealer's
    # figures, so a dealer user's reports read its own rows instead.
    **{
        label: Rule(dealer="dealer", region="dealer__region", roles=ALL_ROLES, writers=frozenset())
        for label in ("finance.LedgerSummary", "finance.DealerMonthSummary", "finance.DisbursementSummary")
    },
    **{
        label: Rule(dealer=None, region="region", roles=SUMMARY_ROLES, writers=frozenset())
        for label in (
            "finance.LedgerRollup",
            "finance.ClawbackSummary",
            "finance.LoanOutcomeSummary",
            "finance.ExposureFigure",
            "finance.RegionMonthSummary",
        )
    },
    # The network's risk figures, no region's: for the network-wide roles only.
    "finance.RiskSummary": Rule(
        dealer=None, region=None, roles=frozenset({Role.FINANCE, Role.HEAD_OFFICE}), writers=frozenset()
    ),
    "finance.ExposureSnapshot": Rule(dealer=None, region=None, roles=SUMMARY_ROLES, writers=frozenset()),
    # Imports: a dealer user imports its own files, head office any dealer's and the network's
    # own (city markets: no dealer, so outside every dealer's and region's filter); the regional
    # manager reads the region's (data quality is part of watching a dealer).
    "datahub.ImportBatch": Rule(
        dealer="dealer",
        region="dealer__region",
        roles=FIELD_ROLES,
        writers=frozenset({Role.DEALER_USER, Role.HEAD_OFFICE}),
    ),
    # A file's rows name customers by their whole phone number: for the roles that may see it.
    "datahub.ImportRow": Rule(
        dealer="batch__dealer",
        region="batch__dealer__region",
        roles=frozenset({Role.DEALER_USER, Role.HEAD_OFFICE}),
        writers=frozenset({Role.DEALER_USER, Role.HEAD_OFFICE}),
    ),
    "datahub.ColumnMapping": Rule(
        dealer="dealer",
        region="dealer__region",
        roles=FIELD_ROLES,
        writers=frozenset({Role.DEALER_USER, Role.HEAD_OFFICE}),
    ),
    # The audit trail's event tables: head office reads every change across them (the changes
    # page); a record's own page shows its history to whoever may open that record.
    **{
        label: Rule(
            dealer=dealer, region=f"{dealer}__region" if dealer else None, roles=AUDIT_ROLES, writers=frozenset()
        )
        for label, dealer in (
            ("inventory.SaleEvent", "dealer"),
            ("inventory.StockUnitEvent", "dealer"),
            ("finance.LoanEvent", "dealer"),
            ("customers.CustomerEvent", "home_dealer"),
            ("customers.ServiceVisitEvent", "dealer"),
            ("channels.LeadEvent", "dealer"),
            ("inventory.VehicleModelPriceEvent", None),
        )
    },
    # The market table's changes belong to a region, like its rows (still head office's to read).
    "channels.CityMarketEvent": Rule(dealer=None, region="region", roles=AUDIT_ROLES, writers=frozenset()),
    # Data quality: a dealer sees its own scores and issues (to correct them), a regional
    # manager the region's, finance and head office all. Alerts of suspicious patterns are for the
    # managers only; the region's manager and head office acknowledge them.
    "datahub.DataQualityScore": Rule(dealer="dealer", region="dealer__region", roles=ALL_ROLES),
    "datahub.DataIssue": Rule(dealer="dealer", region="dealer__region", roles=ALL_ROLES),
    "datahub.DataQualityAlert": Rule(
        dealer="dealer",
        region="dealer__region",
        roles=frozenset({Role.REGIONAL_MANAGER, Role.HEAD_OFFICE}),
        writers=frozenset({Role.REGIONAL_MANAGER, Role.HEAD_OFFICE}),
    ),
}


def rule_for(model: type[Model]) -> Rule:
    try:
        return RULES[model._meta.label]
    except KeyError:
        raise ImproperlyConfigured(
            f"{model._meta.label} has no access rule: register it in dealerops.access.RULES"
        ) from None


def role_of(user: User | AnonymousUser) -> str | None:
    """The effective role, or None for anonymous and inactive users."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.HEAD_OFFICE
    return user.role


def scope(user: User | AnonymousUser, queryset: QuerySet[M] | type[M]) -> QuerySet[M]:
    """The part of ``queryset`` (or of the model's table) that ``user`` may see."""
    if not isinstance(queryset, QuerySet):
        queryset = queryset._default_manager.all()
    rule = rule_for(queryset.model)
    role = role_of(user)
    if role is None or role not in rule.roles:
        return queryset.none()
    if rule.owner is not None:
        return queryset.filter(**{rule.owner: user.pk})
    if role in (Role.HEAD_OFFICE, Role.FINANCE):
        return queryset
    if role == Role.DEALER_USER:
        if rule.dealer is not None:
            return queryset.filter(_either(rule.dealer, rule.other_dealer, user.dealer_id))
        if rule.region is not None:
            return queryset.filter(**{rule.region: user.dealer.region_id})
        return queryset
    if role == Role.REGIONAL_MANAGER:
        if rule.region is not None:
            regions = user.regions.values("pk")
            either = _either(f"{rule.region}__in", rule.other_region and f"{rule.other_region}__in", regions)
            return queryset.filter(either)
        return queryset
    return queryset.none()


def _either(lookup: str, other: str | None, value) -> Q:
    """``lookup`` = value, or ``other`` = value for a record with a second owner."""
    condition = Q(**{lookup: value})
    return condition | Q(**{other: value}) if other else condition


def can_view(user: User | AnonymousUser, model: type[Model]) -> bool:
    """Whether the role may open the model's pages at all (records are still scoped)."""
    role = role_of(user)
    return role is not None and role in rule_for(model).roles


def can_write(user: User | AnonymousUser, model: type[Model]) -> bool:
    role = role_of(user)
    return role is not None and role in rule_for(model).writers


def writable_dealers(user: User | AnonymousUser):
    """Dealers for which ``user`` may enter records: a dealer user's own, or any for head office."""
    from channels.models import Dealer

    role = role_of(user)
    if role == Role.HEAD_OFFICE:
        return Dealer.objects.all()
    if role == Role.DEALER_USER:
        return Dealer.objects.filter(pk=user.dealer_id)
    return Dealer.objects.none()


def can_see_phone(user: User | AnonymousUser) -> bool:
    """Whole phone numbers are for the customer's own dealer and head office; others see 138****1234."""
    return role_of(user) in (Role.DEALER_USER, Role.HEAD_OFFICE)
