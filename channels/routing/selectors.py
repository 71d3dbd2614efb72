"""Reads for the lead routing: the active dealers as the scoring's arrays and the figures of
the candidates (open leads, 90-day conversion, models in stock), the cities' centres, and the
explanation of a lead's assignments for its page."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db import connection
from django.utils.translation import gettext

from channels.models import CityMarket, Dealer, DealerKind, DealerStatus, Lead, LeadOutcome
from channels.routing.models import SCORE_PART_LABELS, SCORE_PARTS, AssignmentKind, LeadAssignment, LeadPage
from channels.routing.scoring import Outlets
from dealerops.access import role_of, scope
from dealerops.formats import format_count, format_number, format_percent
from dealerops.models import Role, User
from inventory.models import StockStatus

TRAILING_DAYS = 90  # the conversion's window, as health metric 3's; open leads older than it are stale
OPEN_OUTCOMES = (LeadOutcome.OPEN, LeadOutcome.CONTACTED, LeadOutcome.TEST_DRIVE)


def routable_outlets() -> Outlets:
    """Every active dealer (dealers on probation, exited or still applying receive no new
    leads), in code order, without the figures (``outlet_figures`` adds the candidates')."""
    rows = list(
        Dealer.objects.filter(status=DealerStatus.ACTIVE)
        .order_by("code")
        .values_list("id", "code", "name", "kind", "latitude", "longitude", "sales_headcount", "opens_at", "closes_at")
    )
    columns = list(zip(*rows, strict=True)) if rows else [()] * 9
    return Outlets(
        ids=np.array(columns[0], dtype=np.int64),
        codes=list(columns[1]),
        names=list(columns[2]),
        kinds=np.array(columns[3], dtype=str),
        lat=np.array(columns[4], dtype=float),
        lon=np.array(columns[5], dtype=float),
        headcount=np.array(columns[6], dtype=np.int64),
        opens_at=list(columns[7]),
        closes_at=list(columns[8]),
    )


# One pass over the candidates' leads of the trailing 90 days, by the (dealer, assigned_at)
# index: those still open (not won or lost) and those converted into a sale. (Positional
# parameters: inside an audit context, pghistory prefixes each statement with its own.)
FIGURES = """
SELECT l.dealer_id,
       count(*) FILTER (WHERE l.outcome = ANY(%s)) AS open_leads,
       count(*) AS assigned,
       count(*) FILTER (WHERE l.converted_sale_id IS NOT NULL) AS converted
FROM channels_lead l
WHERE l.dealer_id = ANY(%s) AND l.assigned_at >= %s AND l.assigned_at < %s
GROUP BY l.dealer_id
"""

IN_STOCK = """
SELECT DISTINCT u.dealer_id, u.model_id FROM inventory_stockunit u
WHERE u.status = %s AND u.dealer_id = ANY(%s) AND u.model_id = ANY(%s)
"""


def outlet_figures(outlets: Outlets, positions: np.ndarray | None, model_ids: list[int], at: datetime) -> None:
    """Fill in the figures of the outlets at ``positions`` (the candidates; None: every one)
    as of ``at``: open leads and the trailing 90 days' assigned and converted leads (a lead
    converted when it names its sale, as health metric 3 counts it), and which of
    ``model_ids`` (``LeadPoints.model`` indexes them in this order) each has in stock."""
    outlets.model_ids = list(model_ids)
    outlets.figures_read = positions is None
    positions = np.arange(len(outlets.ids)) if positions is None else np.unique(positions)
    dealers = outlets.ids[positions].tolist()
    if not dealers:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            FIGURES,
            [list(OPEN_OUTCOMES), dealers, at - timedelta(days=TRAILING_DAYS), at],
        )
        for dealer_id, open_leads, assigned, converted in cursor.fetchall():
            index = outlets.position[dealer_id]
            outlets.open_leads[index] = open_leads
            outlets.assigned_90[index] = assigned
            outlets.converted_90[index] = converted
        if model_ids:
            cursor.execute(IN_STOCK, [StockStatus.IN_STOCK, dealers, model_ids])
            model_index = {model_id: index for index, model_id in enumerate(model_ids)}
            outlets.stock_keys = np.array(
                [outlets.position[dealer] * outlets.models + model_index[model] for dealer, model in cursor.fetchall()],
                dtype=np.int64,
            )


def city_centres(cities: Iterable[str]) -> dict[str, tuple[float, float]]:
    """Where each of ``cities`` lies, for leads that give no coordinates: the centre the market
    table gives (its newest year), else the mean position of the city's dealers; a city
    neither knows is left out."""
    names = sorted(set(cities))
    centres: dict[str, tuple[float, float]] = {}
    for city, lat, lon in (
        CityMarket.objects.filter(city__in=names)
        .order_by("city", "-year")
        .distinct("city")
        .values_list("city", "latitude", "longitude")
    ):
        centres[city] = (float(lat), float(lon))
    missing = [name for name in names if name not in centres]
    if missing:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT city, avg(latitude), avg(longitude) FROM channels_dealer WHERE city = ANY(%s) GROUP BY city",
                [missing],
            )
            for city, lat, lon in cursor.fetchall():
                centres[city] = (float(lat), float(lon))
    return centres


def known_cities() -> list[str]:
    """The cities whose centre routing knows (the market table's, the active dealers'): what
    the public page suggests as the customer types."""
    markets = CityMarket.objects.values_list("city", flat=True)
    dealers = Dealer.objects.filter(status=DealerStatus.ACTIVE).values_list("city", flat=True)
    return sorted(set(markets) | set(dealers))


def lead_page_by_code(code: str) -> LeadPage | None:
    """An active lead page by its public code (what the QR code's URL carries)."""
    return (
        LeadPage.objects.filter(code=code, active=True).select_related("dealer", "model_of_interest").first()
        if code
        else None
    )


@dataclass(frozen=True)
class CandidateRow:
    """One candidate of a lead's routing as its page shows it."""

    dealer_id: int
    code: str
    name: str
    kind: str  # its label
    km: float
    score: float
    parts: list[tuple[str, float, str]]  # (label, 0-1, the figure behind it) in SCORE_PARTS order
    open_leads: int
    headcount: int
    conversion: float | None
    in_stock: bool | None
    chosen: bool  # the routing's choice
    holds: bool  # the dealer holding the lead now
    tried: bool  # had it at some point


@dataclass(frozen=True)
class RoutingExplanation:
    """Why a lead is where it is: its routed assignment's candidates (as the user may see
    them) and every step of its history."""

    routed: LeadAssignment | None
    candidates: list[CandidateRow]
    hidden_candidates: int  # other dealers' figures a dealer user does not see
    steps: list[LeadAssignment]
    shows_other_dealers: bool
    part_labels: list[str]


def _parts(candidate: dict) -> list[tuple[str, float, str]]:
    """A candidate's parts with what each was computed from: its open leads per salesperson,
    its 90-day conversion rate (or that it had too few leads), whether the model is in stock."""
    figures = {
        "distance": gettext("%(km)s km") % {"km": format_number(candidate["km"], 1)},
        "channel": "",
        "load": gettext("%(leads)s open / %(staff)s sales staff")
        % {"leads": format_count(candidate["open_leads"]), "staff": format_count(candidate["headcount"])},
        "conversion": format_percent(candidate["conversion"], 1),
        "stock": ""
        if candidate["in_stock"] is None
        else (gettext("in stock") if candidate["in_stock"] else gettext("none")),
    }
    return [(SCORE_PART_LABELS[part], candidate["parts"][part], figures[part]) for part in SCORE_PARTS]


def routing_explanation(lead: Lead, user: User) -> RoutingExplanation:
    """The lead's assignment history, oldest first, and its routed candidates. A dealer user
    sees its own line of the candidates and the other dealers as a count only (their load and
    conversion are theirs), and the history without the other dealers' names."""
    steps = list(
        LeadAssignment.objects.filter(lead=lead).select_related("dealer", "previous_dealer", "assigned_by", "settings")
    )
    routed = next((step for step in steps if step.kind == AssignmentKind.ROUTED), None)
    shows_others = role_of(user) != Role.DEALER_USER
    tried = {step.dealer_id for step in steps}
    visible = set(scope(user, Dealer).values_list("pk", flat=True)) if not shows_others else None
    rows: list[CandidateRow] = []
    hidden = 0
    for candidate in routed.candidates if routed else []:
        if visible is not None and candidate["dealer"] not in visible:
            hidden += 1
            continue
        rows.append(
            CandidateRow(
                dealer_id=candidate["dealer"],
                code=candidate["code"],
                name=candidate["name"],
                kind=DealerKind(candidate["kind"]).label,
                km=candidate["km"],
                score=candidate["score"],
                parts=_parts(candidate),
                open_leads=candidate["open_leads"],
                headcount=candidate["headcount"],
                conversion=candidate["conversion"],
                in_stock=candidate["in_stock"],
                chosen=candidate["dealer"] == routed.dealer_id,
                holds=candidate["dealer"] == lead.dealer_id,
                tried=candidate["dealer"] in tried,
            )
        )
    return RoutingExplanation(
        routed=routed,
        candidates=rows,
        hidden_candidates=hidden,
        steps=steps,
        shows_other_dealers=shows_others,
        part_labels=[SCORE_PART_LABELS[part] for part in SCORE_PARTS],
    )
