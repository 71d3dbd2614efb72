"""Reads for the admission pages: the parents an applicant may file under, an application's
checklist, and the market the proposed outlet would trade in (the city's capacity and our
penetration; the demand it would take from the outlets around it, by the latest plan run's
Huff model)."""

from dataclasses import dataclass

import numpy as np
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from channels.admission.models import (
    REQUIRED_DOCUMENTS,
    ApplicationDocument,
    ApplicationStatus,
    DealerApplication,
    DocumentKind,
)
from channels.models import CityMarket, Dealer, DealerKind, DealerStatus, PlanningRun, RunCells, TradeArea
from channels.planning.geometry import cells_from_bytes, haversine_km
from channels.planning.scenarios import MIN_CHANGE, NEW_HEALTH
from channels.planning.selectors import TRADING, MarketFigures, city_market_figures, latest_run
from channels.planning.services import huff_model
from channels.planning.whatif import Addition, redistribute
from dealerops.access import can_view, can_write, scope
from dealerops.models import User

# A secondary dealer sells under a 4S store or a city showroom that is trading normally.
PARENT_KINDS = (DealerKind.FOUR_S, DealerKind.SHOWROOM)
UNDECIDED = (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED)
NEAREST = 5  # outlets listed by distance from the site
LISTED_OUTLETS = 8  # outlets the new one takes demand from, listed by name; the rest summed


def parent_choices(user: User) -> QuerySet[Dealer]:
    """The dealers ``user`` may file an application under: a dealer user's own store, a
    regional manager's regions' stores, any for head office; active 4S stores and showrooms."""
    if not can_write(user, DealerApplication):
        return Dealer.objects.none()
    return scope(user, Dealer).filter(kind__in=PARENT_KINDS, status=DealerStatus.ACTIVE)


@dataclass(frozen=True)
class ChecklistItem:
    kind: str
    label: str
    required: bool
    documents: list[ApplicationDocument]

    @property
    def missing(self) -> bool:
        return self.required and not self.documents


def application_checklist(application: DealerApplication) -> list[ChecklistItem]:
    """Every kind of document, in the checklist's order, with the files the application holds."""
    held: dict[str, list[ApplicationDocument]] = {}
    for document in application.documents.select_related("uploaded_by"):
        held.setdefault(document.kind, []).append(document)
    return [
        ChecklistItem(kind, label, kind in REQUIRED_DOCUMENTS, held.get(kind, []))
        for kind, label in DocumentKind.choices
    ]


def missing_documents(application: DealerApplication) -> list[str]:
    """The required kinds of document the application has no file of, by their labels."""
    held = set(application.documents.values_list("kind", flat=True))
    return [str(DocumentKind(kind).label) for kind in REQUIRED_DOCUMENTS if kind not in held]


@dataclass(frozen=True)
class Nearby:
    dealer: Dealer
    km: float


@dataclass(frozen=True)
class Taken:
    """Demand a year the new outlet would take from an outlet (or a group of them), its share
    of the new outlet's demand, and our units a year that outlet would lose."""

    label: str
    dealer: Dealer | None
    units: float
    share: float
    our_units: float
    is_parent: bool = False


@dataclass(frozen=True)
class Overlap:
    run: PlanningRun
    demand: float  # the new outlet's trade-area demand a year
    taken: list[Taken]
    from_uncovered: float  # demand no outlet reached before
    uncovered_share: float
    our_units: float  # our units a year at the new outlet
    units_from_ours: float  # of them, taken from our own outlets

    @property
    def net_units(self) -> float:
        return self.our_units - self.units_from_ours


@dataclass(frozen=True)
class MarketContext:
    market: CityMarket | None
    figures: MarketFigures | None
    city_outlets: int  # trading outlets in the city, the whole network's
    nearest: list[Nearby]
    overlap: Overlap | None
    no_overlap: str  # why there is no overlap, when there is none

    @property
    def capacity_per_outlet(self) -> tuple[float, float] | None:
        """The city's capacity per outlet now and with the new one."""
        if self.figures is None:
            return None
        units = self.figures.capacity.units
        return (units / self.city_outlets if self.city_outlets else None, units / (self.city_outlets + 1))


def market_context(user: User, application: DealerApplication) -> MarketContext | None:
    """What the review page shows of the market as it is now, or None once the application is
    decided (its decision gives the reason) or for a role that may not read the market table
    (a dealer user). Outlets outside the reader's regions are summed, not named."""
    if application.status not in UNDECIDED or not can_view(user, CityMarket):
        return None
    city = application.city
    market = (
        scope(user, CityMarket)
        .filter(city__in={city, city.removesuffix("市")})
        .select_related("region")
        .order_by("-year")
        .first()
    )
    return MarketContext(
        market=market,
        figures=city_market_figures(market) if market is not None else None,
        city_outlets=Dealer.objects.filter(city=market.city if market else city, status__in=TRADING).count(),
        nearest=_nearest(user, application),
        **_overlap(user, application),
    )


def _nearest(user: User, application: DealerApplication) -> list[Nearby]:
    rows = list(scope(user, Dealer).filter(status__in=TRADING).values_list("pk", "latitude", "longitude"))
    if not rows:
        return []
    km = haversine_km(
        float(application.latitude),
        float(application.longitude),
        np.array([float(row[1]) for row in rows]),
        np.array([float(row[2]) for row in rows]),
    )
    order = np.argsort(km, kind="stable")[:NEAREST]
    dealers = Dealer.objects.in_bulk([rows[n][0] for n in order])
    return [Nearby(dealers[rows[n][0]], float(km[n])) for n in order]


def _overlap(user: User, application: DealerApplication) -> dict:
    """The new outlet added to the latest plan run, as a what-if adds one (its attraction by
    its staff, our units at the network's median capture)."""
    run = latest_run(user)
    if run is None:
        return {"overlap": None, "no_overlap": _("No network plan has been computed yet: the overlap is not known.")}
    cells = RunCells.objects.filter(run=run).values_list("data", flat=True).first()
    areas = list(
        TradeArea.objects.filter(run=run)
        .order_by("dealer_id")
        .values_list("dealer_id", "dealer__latitude", "dealer__longitude", "attraction", "demand_units", "sold_units")
    )
    if cells is None or not areas:
        return {
            "overlap": None,
            "no_overlap": _("The latest plan run kept no demand cells: compute the plan again to see the overlap."),
        }
    demand = np.array([float(row[4]) for row in areas])
    sold = np.array([float(row[5]) for row in areas])
    capture = np.divide(sold, demand, out=np.zeros_like(sold), where=demand > 0)
    result = redistribute(
        cells_from_bytes(bytes(cells)),
        np.array([float(row[1]) for row in areas]),
        np.array([float(row[2]) for row in areas]),
        np.array([float(row[3]) for row in areas]),
        capture,
        closed=[],
        added=[
            Addition(
                float(application.latitude), float(application.longitude), application.sales_headcount * NEW_HEALTH
            )
        ],
        added_capture=float(np.median(capture[demand > 0])) if (demand > 0).any() else 0.0,
        model=huff_model(run.settings, float(run.exponent)),
    )
    new_demand = float(result.added_demand[0])
    if new_demand < MIN_CHANGE:
        return {"overlap": None, "no_overlap": _("No demand of the plan's market lies within reach of the site.")}
    ids = [row[0] for row in areas]
    lost = -result.demand_change
    touched = [n for n in np.argsort(-lost, kind="stable") if lost[n] >= MIN_CHANGE]
    visible = scope(user, Dealer).in_bulk([ids[n] for n in touched])
    named = [n for n in touched if ids[n] in visible][:LISTED_OUTLETS]
    rest = [n for n in touched if n not in named and ids[n] in visible]
    hidden = [n for n in touched if ids[n] not in visible]
    units_lost = np.maximum(-result.units_change, 0.0)

    def row(label: str, group: list[int], dealer: Dealer | None = None) -> Taken:
        units = float(lost[group].sum())
        return Taken(
            label=label,
            dealer=dealer,
            units=units,
            share=units / new_demand,
            our_units=float(units_lost[group].sum()),
            is_parent=dealer is not None and dealer.pk == application.parent_id,
        )

    taken = [row(visible[ids[n]].name, [n], visible[ids[n]]) for n in named]
    if rest:
        taken.append(row(_("%(count)s other outlets") % {"count": len(rest)}, rest))
    if hidden:
        taken.append(row(_("%(count)s outlets outside your regions") % {"count": len(hidden)}, hidden))
    from_uncovered = max(result.uncovered_before - result.uncovered_after, 0.0)
    return {
        "overlap": Overlap(
            run=run,
            demand=new_demand,
            taken=taken,
            from_uncovered=from_uncovered,
            uncovered_share=from_uncovered / new_demand,
            our_units=float(result.added_units[0]),
            units_from_ours=float(units_lost.sum()),
        ),
        "no_overlap": "",
    }
