"""The one routing service: every new lead (the lead form, the API, a lead page, a data-hub
import) is assigned here, and every assignment is stored with its reason.

- A lead head office enters, or one left on a lead page, is **routed**: scored against the
  active dealers within reach (``channels.routing.scoring``) and given to the best, or to the
  dealer of its lead page while that dealer is active; an online order goes to the nearest
  active 4S store. Its contact is due within its source's SLA, counted in the dealer's
  opening hours (``channels.routing.hours``).
- A lead a dealer enters itself (its form, its API calls, its CRM import) is the dealer's
  **own**: the customer is the dealer's already, so it is not routed and has no SLA.
- Every few minutes (``leads_sla_pass``) a routed lead not contacted by its due time moves to
  its next candidate, at most ``max_reassignments`` times; then it is escalated to the
  regional manager. A lead no active dealer could take waits unassigned and is routed then.

Dealers on probation, exited or still applying receive no routed lead: only active dealers
are candidates (``channels.routing.selectors.routable_outlets``).
"""

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

import numpy as np
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import (
    CHINA_LATITUDES,
    CHINA_LONGITUDES,
    Dealer,
    DealerKind,
    DealerStatus,
    Lead,
    LeadOutcome,
    LeadSource,
)
from channels.routing.hours import sla_due
from channels.routing.models import (
    SCORE_PARTS,
    AssignmentKind,
    AssignmentReason,
    LeadAssignment,
    LeadPage,
    RoutingSettings,
)
from channels.routing.scoring import CHUNK, Candidates, LeadPoints, Outlets, Weights, candidate_pairs, merged, rank
from channels.routing.selectors import city_centres, outlet_figures, routable_outlets
from dealerops.bulk import bulk_insert
from dealerops.bulk_history import history_in_bulk
from dealerops.jobs import tracked_run
from dealerops.models import JobRun, User
from dealerops.privacy import phone_validator
from inventory.models import VehicleModel

SLA_JOB = "channels.route_leads"  # the JobRun.job of an SLA pass
SLA_CHUNK = 1000  # overdue leads locked and moved per transaction of an SLA pass
QUEUE_CHUNK = 5000  # waiting leads routed per transaction (each reads its candidates' figures once)
PLACES = 4  # decimals of the figures a candidate keeps


def routing_settings_in_force() -> RoutingSettings:
    settings = RoutingSettings.objects.order_by("-version").first()
    if settings is None:  # the migration creates version 1: only a flushed test database lacks it
        settings, _created = RoutingSettings.objects.get_or_create(version=1)
    return settings


@transaction.atomic
def routing_settings_create(*, created_by: User, note: str = "", **values) -> RoutingSettings:
    """A new version of the routing settings (versions are never edited); errors name the field."""
    version = RoutingSettings.objects.select_for_update().aggregate(top=Max("version"))["top"] or 0
    settings = RoutingSettings(version=version + 1, note=note, created_by=created_by, **values)
    settings.full_clean(validate_constraints=False)
    if sum(settings.weights().values()) <= 0:
        raise ValidationError({f"{part}_weight": _("At least one weight must be above zero.") for part in SCORE_PARTS})
    settings.save()
    return settings


def _weights(settings: RoutingSettings) -> Weights:
    return Weights(
        **{part: float(weight) for part, weight in settings.weights().items()},
        reach_km=float(settings.reach_km),
        leads_per_salesperson=float(settings.leads_per_salesperson),
        conversion_full=float(settings.conversion_full),
        keep=settings.candidates,
    )


@dataclass(frozen=True)
class NewLead:
    """A lead as it comes in, before it is routed. ``own_dealer_id``: the dealer that entered
    it itself (its own lead, not routed); ``lead_page``: the page it was left on;
    ``network_reference``: the network lead platform's id of a lead imported from it."""

    source: str
    customer_city: str
    created_at: datetime
    customer_latitude: Decimal | None = None
    customer_longitude: Decimal | None = None
    model_of_interest_id: int | None = None
    channel_preference: str = ""
    online_order: bool = False
    customer_name: str = ""
    customer_phone: str = ""
    lead_page: LeadPage | None = None
    consent_at: datetime | None = None
    own_dealer_id: int | None = None
    network_reference: str = ""


SOURCES = frozenset(LeadSource.values)
PREFERENCES = frozenset(("", *DealerKind.values))


def lead_refusals(lead: NewLead, centres: dict[str, tuple[float, float]]) -> dict[str, str]:
    """Why ``lead`` cannot be routed, by field (empty when it can): a city is needed, the
    coordinates come as a pair inside China, and without them the city must be one whose
    centre is known (``city_centres``)."""
    refusals: dict[str, str] = {}
    if lead.source not in SOURCES:
        refusals["source"] = _("Choose one of the lead sources.")
    if lead.channel_preference not in PREFERENCES:
        refusals["channel_preference"] = _("Choose a 4S store, a city showroom, a secondary dealer or no preference.")
    city = lead.customer_city.strip()
    if not city:
        refusals["customer_city"] = _("Give the customer's city: the lead is routed to the dealers near it.")
    latitude, longitude = lead.customer_latitude, lead.customer_longitude
    if (latitude is None) != (longitude is None):
        missing = "customer_longitude" if longitude is None else "customer_latitude"
        refusals[missing] = _("Give both coordinates of the customer, or neither.")
    elif latitude is not None:
        if not CHINA_LATITUDES[0] <= latitude <= CHINA_LATITUDES[1]:
            refusals["customer_latitude"] = _(
                "%(value)s lies outside China (latitudes %(low)s to %(high)s° N): check the coordinates."
            ) % {"value": latitude, "low": CHINA_LATITUDES[0], "high": CHINA_LATITUDES[1]}
        if not CHINA_LONGITUDES[0] <= longitude <= CHINA_LONGITUDES[1]:
            refusals["customer_longitude"] = _(
                "%(value)s lies outside China (longitudes %(low)s to %(high)s° E): check the coordinates."
            ) % {"value": longitude, "low": CHINA_LONGITUDES[0], "high": CHINA_LONGITUDES[1]}
    elif city and city not in centres and lead.own_dealer_id is None:
        refusals["customer_city"] = _(
            "No dealer or city market is known in %(city)s: give the customer's coordinates, or a city of the network."
        ) % {"city": city}
    if lead.customer_phone:
        try:
            phone_validator(lead.customer_phone)
        except ValidationError as error:
            refusals["customer_phone"] = error.messages[0]
    return refusals


@dataclass(frozen=True)
class Routing:
    """The routing of a batch of leads, in their order: each one's dealer (None when no active
    dealer can take it), the assignment's reason and kind, the kept candidates (best first)
    and when its contact is due."""

    dealer_ids: list[int | None]
    kinds: list[str]
    reasons: list[str]
    candidates: list[list[dict]]
    due: list[datetime | None]
    settings: RoutingSettings


def leads_route(
    leads: Sequence[NewLead],
    *,
    at: datetime,
    settings: RoutingSettings | None = None,
    centres: dict[str, tuple[float, float]] | None = None,
    outlets: Outlets | None = None,
) -> Routing:
    """Choose the dealer of each of ``leads`` as of ``at`` (nothing is written): own leads stay
    with their dealer; the others are scored against the active dealers near them. A lead that
    gives no coordinates is placed at its city's centre (``centres``, read when not given); one
    whose city has no known centre either, or that no active dealer can take, gets no dealer.
    ``outlets`` with every figure read already (``all_outlets``) saves reading them again."""
    settings = settings or routing_settings_in_force()
    if centres is None:
        centres = city_centres(lead.customer_city for lead in leads if lead.customer_latitude is None)
    count = len(leads)
    dealer_ids: list[int | None] = [lead.own_dealer_id for lead in leads]
    kinds = [AssignmentKind.OWN if lead.own_dealer_id else AssignmentKind.ROUTED for lead in leads]
    reasons = [AssignmentReason.OWN_LEAD if lead.own_dealer_id else "" for lead in leads]
    candidates: list[list[dict]] = [[] for _lead in leads]
    due: list[datetime | None] = [None] * count
    routed = [
        index
        for index, lead in enumerate(leads)
        if lead.own_dealer_id is None and (lead.customer_latitude is not None or lead.customer_city in centres)
    ]
    if routed and outlets is None:
        outlets = routable_outlets()
    if routed and len(outlets.ids):
        ranked, points = _ranked([leads[index] for index in routed], outlets, centres, _weights(settings), at)
        kept = _candidate_dicts(ranked, outlets, points)
        for position, index in enumerate(routed):
            chosen = int(ranked.chosen[position])
            if chosen < 0:
                continue
            dealer_ids[index] = int(outlets.ids[chosen])
            reasons[index] = ranked.reason[position]
            candidates[index] = kept.get(position, [])
            hours = settings.sla_hours(leads[index].source)
            due[index] = sla_due(at, hours, outlets.opens_at[chosen], outlets.closes_at[chosen])
    return Routing(dealer_ids, kinds, reasons, candidates, due, settings)


def _ranked(
    leads: Sequence[NewLead], outlets: Outlets, centres, weights: Weights, at: datetime
) -> tuple[Candidates, LeadPoints]:
    """Score the leads in chunks of ``CHUNK`` (the pairs of a national batch would not fit in
    memory at once). A small batch reads the figures of its candidates alone (a lead page's
    lead: a few dealers); a larger one, or one given ``all_outlets``, every active dealer's."""
    if not outlets.figures_read and len(leads) > CHUNK:
        outlet_figures(outlets, None, _model_ids(leads), at)
    model_ids = outlets.model_ids if outlets.figures_read else _model_ids(leads)
    points = _points(leads, centres, model_ids)
    if not outlets.figures_read:
        pairs = candidate_pairs(points, outlets, weights)
        outlet_figures(outlets, pairs[1], model_ids, at)
        return rank(points, outlets, weights, pairs), points
    chunks = [(start, points.part(slice(start, start + CHUNK))) for start in range(0, len(points), CHUNK)]
    return merged(
        [(start, rank(part, outlets, weights, candidate_pairs(part, outlets, weights))) for start, part in chunks]
    ), points


def _model_ids(leads: Sequence[NewLead]) -> list[int]:
    return sorted({lead.model_of_interest_id for lead in leads if lead.model_of_interest_id})


def all_outlets(at: datetime) -> Outlets:
    """Every active dealer with all its figures and every model it has in stock: read once for
    many batches (the SLA pass's chunks of waiting leads)."""
    outlets = routable_outlets()
    outlet_figures(outlets, None, list(VehicleModel.objects.order_by("pk").values_list("pk", flat=True)), at)
    return outlets


def _points(leads: Sequence[NewLead], centres: dict[str, tuple[float, float]], model_ids: list[int]) -> LeadPoints:
    """The leads as the scoring's arrays (the city's centre where no coordinates are given),
    their models of interest indexed in the order of ``model_ids``."""

    def position(lead: NewLead) -> tuple[float, float]:
        if lead.customer_latitude is not None:
            return float(lead.customer_latitude), float(lead.customer_longitude)
        return centres[lead.customer_city]

    located = np.array([position(lead) for lead in leads], dtype=float).reshape(-1, 2)
    model_index = {model_id: index for index, model_id in enumerate(model_ids)}
    return LeadPoints(
        lat=located[:, 0],
        lon=located[:, 1],
        preference=np.array([lead.channel_preference for lead in leads], dtype=str),
        model=np.array([model_index.get(lead.model_of_interest_id, -1) for lead in leads], dtype=np.int64),
        online_order=np.array([lead.online_order for lead in leads], dtype=bool),
        held_by=np.array(
            [(lead.lead_page.dealer_id or 0) if lead.lead_page is not None else 0 for lead in leads], dtype=np.int64
        ),
    )


def _candidate_dicts(ranked: Candidates, outlets: Outlets, points: LeadPoints) -> dict[int, list[dict]]:
    """Each lead's kept candidates as stored with its assignment: the dealer, distance, score,
    parts and the figures behind them (open leads, headcount, conversion, model in stock)."""
    outlet, lead = ranked.outlet, ranked.lead
    assigned = outlets.assigned_90[outlet]
    conversion = np.where(assigned > 0, outlets.converted_90[outlet] / np.maximum(assigned, 1), np.nan)
    has_model = points.model[lead] >= 0
    rows = zip(
        lead.tolist(),
        outlet.tolist(),
        np.round(ranked.km, 1).tolist(),
        np.round(ranked.score, 2).tolist(),
        np.round(ranked.parts, PLACES).tolist(),
        np.round(conversion, PLACES).tolist(),
        (ranked.parts[:, 4] > 0).tolist(),
        has_model.tolist(),
        strict=True,
    )
    kept: dict[int, list[dict]] = {}
    for position, index, km, score, parts, rate, in_stock, asks_model in rows:
        kept.setdefault(position, []).append(
            {
                "dealer": int(outlets.ids[index]),
                "code": outlets.codes[index],
                "name": outlets.names[index],
                "kind": str(outlets.kinds[index]),
                "km": km,
                "score": score,
                "parts": dict(zip(SCORE_PARTS, parts, strict=True)),
                "open_leads": int(outlets.open_leads[index]),
                "headcount": int(outlets.headcount[index]),
                "conversion": None if np.isnan(rate) else rate,
                "in_stock": in_stock if asks_model else None,
            }
        )
    return kept


def leads_create(*, leads: Sequence[NewLead], at: datetime | None = None) -> list[int]:
    """Create and route ``leads`` in one transaction; their ids, in order. Every lead is
    checked first (``lead_refusals``): a refused one raises a ValidationError naming the field
    (for a batch, the row too) and nothing is written. A lead no active dealer can take is
    stored unassigned; the next SLA pass routes it."""
    at = at or timezone.now()
    centres = city_centres(lead.customer_city.strip() for lead in leads if lead.customer_latitude is None)
    leads = [
        lead
        if lead.customer_city == lead.customer_city.strip()
        else replace(lead, customer_city=lead.customer_city.strip())
        for lead in leads
    ]
    errors = {index: lead_refusals(lead, centres) for index, lead in enumerate(leads)}
    errors = {index: refusals for index, refusals in errors.items() if refusals}
    if errors:
        if len(leads) == 1:
            raise ValidationError(errors[0])
        raise ValidationError(
            {
                field: _("row %(row)s: %(message)s") % {"row": index + 1, "message": message}
                for index, refusals in errors.items()
                for field, message in refusals.items()
            }
        )
    routing = leads_route(leads, at=at, centres=centres)
    with transaction.atomic(), history_in_bulk(Lead, source="routing") as history:
        ids = _new_ids(len(leads))
        _insert_json(
            Lead,
            [
                {
                    "id": lead_id,
                    "source": lead.source,
                    "customer_city": lead.customer_city,
                    "customer_latitude": lead.customer_latitude,
                    "customer_longitude": lead.customer_longitude,
                    "model_of_interest_id": lead.model_of_interest_id,
                    "created_at": lead.created_at,
                    "dealer_id": dealer_id,
                    "assigned_at": at if dealer_id else None,
                    "sla_due_at": due,
                    "outcome": LeadOutcome.OPEN,
                    "customer_name": lead.customer_name,
                    "customer_phone": lead.customer_phone,
                    "channel_preference": lead.channel_preference,
                    "online_order": lead.online_order,
                    "lead_page_id": lead.lead_page.pk if lead.lead_page else None,
                    "consent_at": lead.consent_at,
                    "network_reference": lead.network_reference,
                }
                for lead_id, lead, dealer_id, due in zip(ids, leads, routing.dealer_ids, routing.due, strict=True)
            ],
        )
        _record_assignments(ids, routing, at)
        history.record(Lead, "insert", ids)
    return ids


def _new_ids(count: int) -> list[int]:
    """Ids for new leads from their table's sequence, so the leads and their assignments are
    written by one statement each."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('channels_lead', 'id')) FROM generate_series(1, %s)", [count]
        )
        return [row[0] for row in cursor.fetchall()]


def _record_assignments(lead_ids: Sequence[int], routing: Routing, at: datetime, job_run: JobRun | None = None) -> None:
    _insert_assignments(
        [
            {
                "lead_id": lead_id,
                "kind": kind,
                "reason": reason,
                "dealer_id": dealer_id,
                "at": at,
                "sla_due_at": due,
                "candidates": candidates,
                "settings_id": routing.settings.pk if kind == AssignmentKind.ROUTED else None,
                "job_run_id": job_run.pk if job_run else None,
            }
            for lead_id, dealer_id, kind, reason, candidates, due in zip(
                lead_ids,
                routing.dealer_ids,
                routing.kinds,
                routing.reasons,
                routing.candidates,
                routing.due,
                strict=True,
            )
            if dealer_id is not None
        ]
    )


JSON_ROWS_PER_STATEMENT = 10_000  # bounds the JSON document held in memory at once


def _insert_json(model, rows: list[dict]) -> None:
    """Insert ``rows`` (field names to values, the same names in each) as JSON documents the
    server unpacks (``jsonb_to_recordset``), 10,000 rows a statement: JSON is encoded in C, and
    the candidates are JSON already (an array of JSON texts would be escaped value by value).
    Columns left out take their database default."""
    if not rows:
        return
    fields = {name: model._meta.get_field(name) for name in rows[0]}
    columns = ", ".join(f'"{field.column}"' for field in fields.values())
    types = ", ".join(f'"{field.column}" {field.db_type(connection)}' for field in fields.values())
    # Only the model's table and column names are interpolated; the values are one parameter.
    sql = (
        f'INSERT INTO "{model._meta.db_table}" ({columns}) '  # noqa: S608
        f"SELECT {columns} FROM jsonb_to_recordset(%s::jsonb) AS r({types})"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), JSON_ROWS_PER_STATEMENT):
            part = [
                {field.column: row.get(name) for name, field in fields.items()}
                for row in rows[start : start + JSON_ROWS_PER_STATEMENT]
            ]
            cursor.execute(sql, [json.dumps(part, default=_json_value, ensure_ascii=False)])


def _insert_assignments(rows: list[dict]) -> None:
    """Assignment rows; those of no routing keep no candidates."""
    empty = {"candidates": [], "previous_dealer_id": None, "sla_due_at": None, "settings_id": None, "job_run_id": None}
    _insert_json(LeadAssignment, [empty | row for row in rows])


def _json_value(value):
    """Times whole, to the microsecond (Django's encoder keeps milliseconds: an assignment's
    time is its lead's ``assigned_at``); coordinates as their exact decimal text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def lead_create(*, lead: NewLead, at: datetime | None = None) -> Lead:
    """Create and route one lead (the form, the API, a lead page)."""
    return Lead.objects.select_related("dealer").get(pk=leads_create(leads=[lead], at=at)[0])


def own_leads_record(*, leads: Sequence[tuple[int, datetime]], dealer: Dealer) -> None:
    """Record that the new leads (id, assigned at) of a dealer's CRM import are its own."""
    own = {"kind": AssignmentKind.OWN, "reason": AssignmentReason.OWN_LEAD, "dealer_id": dealer.pk}
    _insert_assignments([{"lead_id": lead_id, "at": at, **own} for lead_id, at in leads])


# -- the SLA pass -------------------------------------------------------------------------------


def _overdue(at: datetime):
    """Routed leads not contacted by their due time, still open, not escalated (the partial
    index ``lead_sla_queue`` holds exactly the candidates)."""
    return Lead.objects.filter(
        first_contact_at__isnull=True, escalated_at__isnull=True, outcome=LeadOutcome.OPEN, sla_due_at__lte=at
    )


def _queued(at: datetime):
    """Leads no active dealer could take when they came in (own leads always have theirs)."""
    return Lead.objects.filter(dealer__isnull=True, outcome=LeadOutcome.OPEN, created_at__lte=at)


def leads_sla_pass(*, at: datetime | None = None, started_by_id: int | None = None) -> JobRun | None:
    """The periodic task's work: route the leads waiting unassigned, then move every overdue
    lead to its next candidate or escalate it. Safe to run twice at once and after a killed
    worker: each chunk locks its leads (``SKIP LOCKED``: another pass takes the others) and
    moves them in its own transaction, and a moved lead is due again later, so it is not
    taken twice. A pass with nothing to do records no run."""
    at = at or timezone.now()
    if not (_overdue(at).exists() or _queued(at).exists()):
        return None
    with tracked_run(
        SLA_JOB, period=timezone.localtime(at).strftime("%Y-%m-%d %H:%M"), started_by_id=started_by_id
    ) as run:
        settings = routing_settings_in_force()
        run.rows = _route_queued(at, settings, run)
        last = _reassign_chunk(at, settings, run, None)
        while last is not None:
            last = _reassign_chunk(at, settings, run, last)
    return run


def _route_queued(at: datetime, settings: RoutingSettings, run: JobRun) -> int:
    routed = 0
    outlets = None
    while True:
        with transaction.atomic():
            leads = list(
                _queued(at)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("lead_page")
                .order_by("created_at", "id")[:QUEUE_CHUNK]
            )
            if not leads:
                return routed
            # One chunk: its candidates' figures; more: every dealer's, read once for all of them.
            if outlets is None and len(leads) == QUEUE_CHUNK:
                outlets = all_outlets(at)
            routing = leads_route([_as_new(lead) for lead in leads], at=at, settings=settings, outlets=outlets)
            taken = [index for index, dealer in enumerate(routing.dealer_ids) if dealer is not None]
            if not taken:
                return routed  # still no active dealer for any of them: the next pass tries again
            with history_in_bulk(Lead, source="routing", job_run=run.pk) as history:
                _update_leads(
                    [leads[i].pk for i in taken],
                    [routing.dealer_ids[i] for i in taken],
                    [at] * len(taken),
                    [routing.due[i] for i in taken],
                )
                _record_assignments([lead.pk for lead in leads], routing, at, run)
                history.record(Lead, "update", [leads[i].pk for i in taken])
            routed += len(taken)
            if len(taken) < len(leads):
                return routed


def _as_new(lead: Lead) -> NewLead:
    return NewLead(
        source=lead.source,
        customer_city=lead.customer_city,
        created_at=lead.created_at,
        customer_latitude=lead.customer_latitude,
        customer_longitude=lead.customer_longitude,
        model_of_interest_id=lead.model_of_interest_id,
        channel_preference=lead.channel_preference,
        online_order=lead.online_order,
        lead_page=lead.lead_page,
    )


# The locked leads' next candidate: the first of their routed candidates, best first, that is
# still active and has not had the lead (a lead routed outside the routing has none).
NEXT_CANDIDATES = """
WITH steps AS (
  SELECT lead_id, kind, dealer_id, candidates FROM channels_leadassignment WHERE lead_id = ANY(%(ids)s)
),
ranked AS (
  SELECT s.lead_id, (c.candidate ->> 'dealer')::bigint AS dealer_id, c.position
  FROM steps s CROSS JOIN LATERAL jsonb_array_elements(s.candidates) WITH ORDINALITY AS c(candidate, position)
  WHERE s.kind = 'routed'
)
SELECT DISTINCT ON (r.lead_id) r.lead_id, r.dealer_id
FROM ranked r JOIN channels_dealer d ON d.id = r.dealer_id AND d.status = 'active'
WHERE NOT EXISTS (SELECT 1 FROM steps t WHERE t.lead_id = r.lead_id AND t.dealer_id = r.dealer_id)
ORDER BY r.lead_id, r.position
"""


def _reassign_chunk(at: datetime, settings: RoutingSettings, run: JobRun, after: tuple | None) -> tuple | None:
    """Lock up to SLA_CHUNK overdue leads past ``after`` (the last one's due time and id, so
    a pass never walks back over the leads it moved) and move each to its next candidate, or
    escalate it; the last lead's key, None when there was none."""
    with transaction.atomic():
        overdue = _overdue(at)
        if after is not None:
            overdue = overdue.filter(Q(sla_due_at__gt=after[0]) | Q(sla_due_at=after[0], id__gt=after[1]))
        leads = list(
            overdue.select_for_update(skip_locked=True)
            .order_by("sla_due_at", "id")
            .values_list("id", "dealer_id", "source", "reassignments", "sla_due_at")[:SLA_CHUNK]
        )
        if not leads:
            return None
        ids = [lead[0] for lead in leads]
        with connection.cursor() as cursor:
            cursor.execute(NEXT_CANDIDATES, {"ids": ids})
            following = dict(cursor.fetchall())
        hours = {
            dealer_id: (opens, closes)
            for dealer_id, opens, closes in Dealer.objects.filter(pk__in=set(following.values())).values_list(
                "id", "opens_at", "closes_at"
            )
        }
        moves, escalations, steps = [], [], []
        common = {"at": at, "settings_id": settings.pk, "job_run_id": run.pk}
        for lead_id, dealer_id, source, reassignments, _due in leads:
            target = following.get(lead_id)
            if reassignments >= settings.max_reassignments or target is None:
                reason = (
                    AssignmentReason.TOO_MANY_REASSIGNMENTS
                    if reassignments >= settings.max_reassignments
                    else AssignmentReason.NO_CANDIDATE_LEFT
                )
                escalations.append(lead_id)
                steps.append(
                    {"lead_id": lead_id, "kind": AssignmentKind.ESCALATED, "reason": reason, "dealer_id": dealer_id}
                    | {"previous_dealer_id": dealer_id, **common}
                )
                continue
            due = sla_due(at, settings.sla_hours(source), *hours[target])
            moves.append((lead_id, target, due))
            steps.append(
                {"lead_id": lead_id, "kind": AssignmentKind.REASSIGNED, "reason": AssignmentReason.NEXT_CANDIDATE}
                | {"dealer_id": target, "previous_dealer_id": dealer_id, "sla_due_at": due, **common}
            )
        with history_in_bulk(Lead, source="routing", job_run=run.pk) as recorder:
            if moves:
                moved_ids, dealers, dues = (list(column) for column in zip(*moves, strict=True))
                _update_leads(moved_ids, dealers, [at] * len(moves), dues, reassigned=True)
            if escalations:
                Lead.objects.filter(pk__in=escalations).update(escalated_at=at)
            _insert_assignments(steps)
            recorder.record(Lead, "update", ids)
        run.rows += len(leads)
        return leads[-1][4], leads[-1][0]


def _update_leads(
    ids: list[int], dealers: list[int], at: list[datetime], due: list[datetime | None], *, reassigned: bool = False
) -> None:
    """Give the leads ``ids`` their new dealer, assignment time and due time in one statement
    (a re-assignment counts one more)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE channels_lead l
            SET dealer_id = u.dealer_id, assigned_at = u.at, sla_due_at = u.due,
                reassignments = l.reassignments + %s
            FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], %s::timestamptz[]) AS u(id, dealer_id, at, due)
            WHERE l.id = u.id
            """,
            [1 if reassigned else 0, ids, dealers, at, due],
        )


# -- lead pages ----------------------------------------------------------------------------------


def _page_code() -> str:
    """A random code of 10 URL-safe characters (about 60 bits): no page's URL can be guessed."""
    return secrets.token_urlsafe(8)[:10]


@transaction.atomic
def lead_page_create(
    *, name: str, created_by: User | None, region=None, model_of_interest=None, dealer: Dealer | None = None
) -> LeadPage:
    """A campaign's lead page (a dealer's: ``dealer_lead_pages_ensure``); errors name the field."""
    page = LeadPage(
        code=_page_code(),
        name=name.strip(),
        dealer=dealer,
        region=dealer.region if dealer else region,
        model_of_interest=model_of_interest,
        created_by=created_by,
    )
    page.full_clean()
    page.save()
    return page


@transaction.atomic
def dealer_lead_pages_ensure(*, created_by: User | None, dealers=None) -> int:
    """Give every active dealer (of ``dealers``, else of the network) that has none its lead
    page, and keep each dealer page's region the dealer's; how many pages were created."""
    dealers = (dealers if dealers is not None else Dealer.objects.all()).filter(status=DealerStatus.ACTIVE)
    with connection.cursor() as cursor:  # a dealer that moved region takes its page along
        cursor.execute(
            "UPDATE channels_leadpage p SET region_id = d.region_id FROM channels_dealer d "
            "WHERE p.dealer_id = d.id AND p.region_id IS DISTINCT FROM d.region_id"
        )
    missing = list(dealers.filter(lead_page__isnull=True).values_list("id", "name", "region_id"))
    bulk_insert(
        LeadPage,
        [
            {"code": _page_code(), "name": name, "dealer_id": dealer_id, "region_id": region_id, "active": True}
            | {"created_by_id": created_by.pk if created_by else None, "model_of_interest_id": None}
            for dealer_id, name, region_id in missing
        ],
    )
    return len(missing)
