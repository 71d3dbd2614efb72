"""Celery entry points for channel jobs: thin wrappers that call one service."""

from datetime import date

from celery import shared_task

from channels.graph.services import dealer_graph_compute
from channels.health.bands import health_months_rerate
from channels.health.services import health_nightly
from channels.planning.services import network_plan
from channels.routing.services import leads_sla_pass
from dealerops.validation import today


@shared_task(acks_late=True)  # idempotent: a month is upserted per (dealer, month, weights version)
def compute_health(as_of: str | None = None, started_by_id: int | None = None) -> list[int]:
    """Nightly: score last month and the current month to date; ``as_of`` (ISO date) re-runs
    the month of that day and the one before."""
    runs = health_nightly(as_of=date.fromisoformat(as_of) if as_of else today(), started_by_id=started_by_id)
    return [run.pk for run in runs]


@shared_task(acks_late=True)  # a run adds its own rows in one transaction: a re-run adds a new run
def plan_network(as_of: str | None = None, started_by_id: int | None = None) -> int:
    """Nightly, after the health scores: the network plan on the newest market year and the
    last year's buyers; ``as_of`` (ISO date) plans as of that day."""
    return network_plan(as_of=date.fromisoformat(as_of) if as_of else today(), started_by_id=started_by_id).pk


@shared_task(acks_late=True)  # a run adds its own rows in one transaction: a re-run adds a new run
def build_dealer_graph(as_of: str | None = None, started_by_id: int | None = None) -> int:
    """Nightly, after the plan (its overlapping pairs are ties): the dealer graph, its clusters
    and centrality, and the risk model judged on its hold-out; ``as_of`` (ISO date) as of that day."""
    return dealer_graph_compute(as_of=date.fromisoformat(as_of) if as_of else today(), started_by_id=started_by_id).pk


@shared_task(acks_late=True)  # idempotent: re-rating with the same bands writes nothing more
def rerate_health(months: list[str], started_by_id: int | None = None) -> int:
    """Head office's re-rating of open months (ISO dates of their first days) with the bands in force."""
    return health_months_rerate(months=[date.fromisoformat(month) for month in months], started_by_id=started_by_id).pk


@shared_task(acks_late=True)  # idempotent: locks its leads (SKIP LOCKED); a moved lead is due again later
def route_leads() -> int | None:
    """Every few minutes: route the leads waiting unassigned, move those not contacted within
    their SLA to their next candidate, escalate those moved too often (the run's id, None
    when there was nothing to do)."""
    run = leads_sla_pass()
    return run.pk if run else None
