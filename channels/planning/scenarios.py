"""What-if scenarios on a plan run: checked, computed (``channels.planning.whatif``) and stored
whole, or refused with errors naming the change and field; and the decision on them.

Our units follow the demand as ``whatif.redistribute`` moves them, from each outlet's units
sold in the run's period (its capture of its demand); a new outlet wins uncovered demand at
the network's median capture. Leads follow units at each outlet's leads per unit sold in the
period; a new outlet's, as the outlets the scenario touches draw them together."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import (
    CHINA_LATITUDES,
    CHINA_LONGITUDES,
    ChangeKind,
    Dealer,
    DealerStatus,
    PlanningRun,
    RunCells,
    Scenario,
    ScenarioChange,
    ScenarioEffect,
    ScenarioStatus,
    TradeArea,
)
from channels.planning.geometry import cells_from_bytes
from channels.planning.services import huff_model
from channels.planning.whatif import Addition, redistribute
from dealerops.models import User

MAX_CHANGES = 5
MIN_CHANGE = 0.5  # an outlet whose demand and units a year move by less is not listed
MONTH_PLACES = Decimal("0.1")
# An added outlet's attraction: its staff × (½ + an average composite of 50 ÷ 100), as an
# outlet not yet scored counts (channels.planning.selectors.active_outlets).
NEW_HEALTH = 1.0


@dataclass(frozen=True)
class ChangeInput:
    kind: str
    dealer: Dealer | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    sales_headcount: int | None = None


def scenario_create(*, user: User, run: PlanningRun, name: str, note: str, changes: list[ChangeInput]) -> Scenario:
    """Check, compute and store a scenario; errors are keyed ``changes-<n>-<field>`` (or
    ``name``, ``changes``), and nothing is written when there is one."""
    areas = list(
        TradeArea.objects.filter(run=run)
        .order_by("dealer_id")
        .values_list(
            "dealer_id", "dealer__latitude", "dealer__longitude", "attraction", "demand_units", "sold_units", "leads"
        )
    )
    position = {row[0]: n for n, row in enumerate(areas)}
    _check(name, changes, position)
    ids = np.array([row[0] for row in areas], dtype=np.int64)
    attraction = np.array([float(row[3]) for row in areas])
    demand = np.array([float(row[4]) for row in areas])
    sold = np.array([float(row[5]) for row in areas])
    capture = np.divide(sold, demand, out=np.zeros_like(sold), where=demand > 0)
    closed, added, added_for = [], [], []
    for n, change in enumerate(changes):
        if change.kind in (ChangeKind.CLOSE, ChangeKind.MOVE):
            closed.append(position[change.dealer.pk])
        if change.kind != ChangeKind.CLOSE:
            # A move takes the outlet's attraction along; an addition draws by its staff.
            draw = attraction[position[change.dealer.pk]] if change.dealer else change.sales_headcount * NEW_HEALTH
            added.append(Addition(float(change.latitude), float(change.longitude), float(draw)))
            added_for.append(n)
    result = redistribute(
        cells_from_bytes(RunCells.objects.get(run=run).data),
        np.array([float(row[1]) for row in areas]),
        np.array([float(row[2]) for row in areas]),
        attraction,
        capture,
        closed=closed,
        added=added,
        added_capture=float(np.median(capture[demand > 0])) if (demand > 0).any() else 0.0,
        model=huff_model(run.settings, float(run.exponent)),
    )
    moved = (np.abs(result.demand_change) >= MIN_CHANGE) | (np.abs(result.units_change) >= MIN_CHANGE)
    touched = [n for n in np.flatnonzero(moved) if n not in closed]
    leads = _LeadRates.of([areas[n] for n in [*closed, *touched]])
    new_demand = dict(zip(added_for, result.added_demand.tolist(), strict=True))
    new_units = dict(zip(added_for, result.added_units.tolist(), strict=True))
    # Closures alone: where the closed outlets' demand goes, each neighbour's part and the part
    # nobody reaches now, which together are all of it.
    parts = [result.demand_change[n] for n in touched] + [result.uncovered_after - result.uncovered_before]
    shares = _shares_of(parts) if closed and not added else None
    with transaction.atomic():
        scenario = Scenario.objects.create(
            run=run,
            name=name.strip(),
            note=note.strip(),
            cells=result.cells,
            uncovered_before=round(result.uncovered_before),
            uncovered_after=round(result.uncovered_after),
            uncovered_share=shares[-1] if shares else None,
            created_by=user,
        )
        rows: list[ScenarioChange | ScenarioEffect] = []
        for n, change in enumerate(changes):
            own = position[change.dealer.pk] if change.dealer else None
            units_before = sold[own] if own is not None else 0.0
            units_after = new_units.get(n, 0.0)
            rows.append(
                ScenarioChange(
                    scenario=scenario,
                    kind=change.kind,
                    dealer=change.dealer,
                    latitude=change.latitude,
                    longitude=change.longitude,
                    sales_headcount=change.sales_headcount if change.kind == ChangeKind.ADD else None,
                    demand_before=round(demand[own]) if own is not None else 0,
                    demand_after=round(new_demand.get(n, 0.0)),
                    units_before=_month(units_before),
                    units_after=_month(units_after),
                    leads_before=_month(units_before * leads.per_unit(change.dealer)),
                    leads_after=_month(units_after * leads.per_unit(change.dealer)),
                )
            )
        for k, n in enumerate(touched):
            dealer_id = int(ids[n])
            units_after = max(sold[n] + result.units_change[n], 0.0)
            rows.append(
                ScenarioEffect(
                    scenario=scenario,
                    dealer_id=dealer_id,
                    demand_before=round(demand[n]),
                    demand_after=max(round(demand[n] + result.demand_change[n]), 0),
                    share_of_closed=shares[k] if shares else None,
                    units_before=_month(sold[n]),
                    units_after=_month(units_after),
                    leads_before=_month(sold[n] * leads.per_unit(dealer_id)),
                    leads_after=_month(units_after * leads.per_unit(dealer_id)),
                )
            )
        ScenarioChange.objects.bulk_create([row for row in rows if isinstance(row, ScenarioChange)])
        ScenarioEffect.objects.bulk_create([row for row in rows if isinstance(row, ScenarioEffect)])
        scenario.units_before = sum((row.units_before for row in rows), Decimal(0))
        scenario.units_after = sum((row.units_after for row in rows), Decimal(0))
        scenario.leads_before = sum((row.leads_before for row in rows), Decimal(0))
        scenario.leads_after = sum((row.leads_after for row in rows), Decimal(0))
        scenario.save()
    return scenario


def _check(name: str, changes: list[ChangeInput], position: dict[int, int]) -> None:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Name the scenario.")
    elif Scenario.objects.filter(name=name.strip()).exists():
        errors["name"] = _("A scenario of this name exists: choose another.")
    if not changes:
        errors["changes"] = _("Add at least one change: an outlet to close, add or move.")
    elif len(changes) > MAX_CHANGES:
        errors["changes"] = _("A scenario holds at most %(count)s changes.") % {"count": MAX_CHANGES}
    seen: set[int] = set()
    for n, change in enumerate(changes):
        prefix = f"changes-{n}-"
        if change.kind in (ChangeKind.CLOSE, ChangeKind.MOVE):
            if change.dealer is None:
                errors[prefix + "dealer"] = _("Choose the outlet to close or move.")
            elif change.dealer.status == DealerStatus.EXITED:
                errors[prefix + "dealer"] = _(
                    "%(dealer)s has exited the network: only active outlets close or move."
                ) % {"dealer": change.dealer}
            elif change.dealer.pk not in position:
                errors[prefix + "dealer"] = _("%(dealer)s was not an active outlet in this plan run.") % {
                    "dealer": change.dealer
                }
            elif change.dealer.pk in seen:
                errors[prefix + "dealer"] = _("This outlet is already changed by the scenario.")
            else:
                seen.add(change.dealer.pk)
        if change.kind in (ChangeKind.ADD, ChangeKind.MOVE):
            if change.latitude is None or change.longitude is None:
                errors[prefix + "latitude"] = _("Give the new site's latitude and longitude.")
            elif not (
                CHINA_LATITUDES[0] <= change.latitude <= CHINA_LATITUDES[1]
                and CHINA_LONGITUDES[0] <= change.longitude <= CHINA_LONGITUDES[1]
            ):
                errors[prefix + "latitude"] = _("The point (%(lat)s, %(lon)s) lies outside China.") % {
                    "lat": change.latitude,
                    "lon": change.longitude,
                }
        if change.kind == ChangeKind.ADD and not change.sales_headcount:
            errors[prefix + "sales_headcount"] = _("Give the new outlet's sales headcount (at least 1).")
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class _LeadRates:
    """Leads per unit sold in the run's period, for the outlets a scenario touches; a new
    outlet draws leads as they do together."""

    by_dealer: dict[int, float]
    pooled: float

    @classmethod
    def of(cls, areas: list[tuple]) -> "_LeadRates":
        """``areas``: the touched outlets' rows (dealer id first, units sold and leads last)."""
        units, leads = sum(row[5] for row in areas), sum(row[6] for row in areas)
        return cls(
            by_dealer={row[0]: row[6] / row[5] for row in areas if row[5]},
            pooled=leads / units if units else 0.0,
        )

    def per_unit(self, dealer: Dealer | int | None) -> float:
        if dealer is None:
            return self.pooled
        return self.by_dealer.get(dealer if isinstance(dealer, int) else dealer.pk, 0.0)


def _shares_of(parts: list[float]) -> list[Decimal] | None:
    """Each part's share of their sum to four places, rounded by largest remainder so that the
    shares sum to exactly 1 (None when there is nothing to share)."""
    whole = sum(parts)
    if whole <= 0:
        return None
    raw = [part / whole * 10_000 for part in parts]
    floors = [int(np.floor(value)) for value in raw]
    short = round(sum(raw)) - sum(floors)
    for n in sorted(range(len(raw)), key=lambda n: floors[n] - raw[n])[: max(short, 0)]:
        floors[n] += 1
    return [Decimal(value) / 10_000 for value in floors]


def _month(units_a_year: float) -> Decimal:
    return Decimal(str(float(units_a_year) / 12)).quantize(MONTH_PLACES, ROUND_HALF_UP)


def scenario_decide(*, scenario: Scenario, user: User, status: str, note: str) -> Scenario:
    """Record head office's decision on a scenario, once, with its reason. The live network
    is not changed here: closing or opening an outlet is that outlet's own decision."""
    errors = {}
    if status not in (ScenarioStatus.APPROVED, ScenarioStatus.REJECTED):
        errors["status"] = _("Choose approve or reject.")
    if not note.strip():
        errors["decision_note"] = _("Give the reason for the decision.")
    if scenario.status != ScenarioStatus.DRAFT:
        errors["status"] = _("This scenario was decided on %(when)s.") % {
            "when": timezone.localtime(scenario.decided_at).strftime("%Y-%m-%d %H:%M")
        }
    if errors:
        raise ValidationError(errors)
    updated = Scenario.objects.filter(pk=scenario.pk, status=ScenarioStatus.DRAFT).update(
        status=status, decision_note=note.strip()[:300], decided_by=user, decided_at=timezone.now()
    )
    if not updated:  # decided meanwhile by someone else
        raise ValidationError({"status": _("This scenario has just been decided by someone else.")})
    scenario.refresh_from_db()
    return scenario
