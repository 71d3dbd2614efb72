"""Running the dealer graph: the ties of the trading outlets, their clusters and centrality,
and the risk model fitted and judged on the complete months' health scores, stored as one run
in one transaction.

A run only adds rows (a new ``GraphRun`` and its children), so running it again, or after a
worker died mid-way, is safe; the oldest runs beyond ``KEEP_RUNS`` are deleted by the next run."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.db import transaction
from django.utils import timezone

from channels.graph.learning import neighbour_mean
from channels.graph.models import GraphCluster, GraphNode, GraphRun, GraphTie, RiskEvaluation, TieKind
from channels.graph.network import Analysis, dealer_graph, graph_analysis
from channels.graph.risk import Evaluation, Forecast, History, adjacency_matrix, risk_model
from channels.graph.selectors import GRAPH_JOB, dealer_ties, graph_outlets, health_history, plan_run_latest
from channels.models import Rating
from dealerops.jobs import tracked_run

KEEP_RUNS = 10
FOUR = Decimal("0.0001")


def dealer_graph_compute(*, as_of: date, started_by_id: int | None = None) -> GraphRun:
    """Compute and store the graph of the outlets trading on ``as_of``, the model trained on
    the months scored before ``as_of``'s month (the month to date is incomplete)."""
    with tracked_run(GRAPH_JOB, period=as_of.isoformat(), started_by_id=started_by_id) as job:
        with transaction.atomic():
            run = _compute(as_of, job)
            job.rows = run.nodes.count() + run.tie_rows.count() + run.cluster_rows.count()
        stale = GraphRun.objects.order_by("-computed_at", "-id").values_list("pk", flat=True)[KEEP_RUNS:]
        GraphRun.objects.filter(pk__in=list(stale)).delete()
    return run


def _compute(as_of: date, job) -> GraphRun:
    plan_run = plan_run_latest()
    ties = dealer_ties(plan_run)
    outlets = graph_outlets()
    graph = dealer_graph(outlets, ties)
    analysis = graph_analysis(graph)
    shown = [tie for tie in ties if tie.first in outlets and tie.second in outlets]
    history = health_history(as_of.replace(day=1))
    # The model's graph holds every scored dealer, past ones too (their months are rows).
    adjacency = adjacency_matrix(history.dealers, [(tie.first, tie.second, tie.weight) for tie in ties])
    evaluation, forecast = risk_model(history, adjacency)
    run = GraphRun.objects.create(
        job_run=job,
        plan_run=plan_run,
        as_of=as_of,
        outlets=len(outlets),
        parent_ties=sum(tie.kind == TieKind.PARENT for tie in shown),
        overlap_ties=sum(tie.kind == TieKind.OVERLAP for tie in shown),
        tied_outlets=sum(1 for _node, degree in graph.degree() if degree),
        clusters=len(analysis.clusters),
        modularity=analysis.modularity,
        betweenness_sources=analysis.sources,
        computed_at=timezone.now(),
    )
    _store_evaluation(run, evaluation, forecast)
    latest = _latest_month(history, adjacency)
    risks = _risks(forecast)
    clusters = _store_clusters(run, analysis, graph, outlets, latest, risks)
    GraphNode.objects.bulk_create(
        GraphNode(
            run=run,
            dealer_id=pk,
            cluster=clusters.get(pk),
            ties=graph.degree(pk),
            strength=_decimal(analysis.strength[pk], Decimal("0.001")),
            betweenness=_decimal(analysis.betweenness[pk], Decimal("0.1")),
            composite=latest.get(pk, {}).get("composite"),
            rating=latest.get(pk, {}).get("rating", ""),
            neighbours_rated_d=latest.get(pk, {}).get("neighbours_rated_d"),
            **risks.get(pk, {}),
        )
        for pk in outlets
    )
    GraphTie.objects.bulk_create(
        GraphTie(
            run=run,
            kind=tie.kind,
            region_id=outlets[tie.first] if outlets[tie.first] == outlets[tie.second] else None,
            first_id=tie.first,
            second_id=tie.second,
            weight=_decimal(tie.weight, FOUR),
        )
        for tie in shown
    )
    return run


def _decimal(value: float, places: Decimal) -> Decimal:
    return Decimal(str(float(value))).quantize(places, ROUND_HALF_UP)


def _maybe(value: float | None) -> Decimal | None:
    return None if value is None else _decimal(value, FOUR)


def _store_evaluation(run: GraphRun, evaluation: Evaluation, forecast: Forecast | None) -> RiskEvaluation:
    interval = evaluation.interval
    return RiskEvaluation.objects.create(
        run=run,
        outcome=evaluation.outcome,
        months=evaluation.months,
        train_from=evaluation.train_months[0] if evaluation.train_months else None,
        train_to=evaluation.train_months[1] if evaluation.train_months else None,
        test_from=evaluation.test_months[0] if evaluation.test_months else None,
        test_to=evaluation.test_months[1] if evaluation.test_months else None,
        train_rows=evaluation.train_rows,
        train_positives=evaluation.train_positives,
        test_rows=evaluation.test_rows,
        test_positives=evaluation.test_positives,
        auc_with_graph=_maybe(evaluation.auc_with_graph),
        auc_without_graph=_maybe(evaluation.auc_without_graph),
        auc_persistence=_maybe(evaluation.auc_persistence),
        difference_low=_maybe(interval.low if interval else None),
        difference_high=_maybe(interval.high if interval else None),
        uses_graph=evaluation.uses_graph,
        predicted_month=forecast.month if forecast else None,
        coefficients=evaluation.coefficients or {},
    )


def _latest_month(history: History, adjacency) -> dict[int, dict]:
    """Each dealer's composite, rating and neighbours' D share in the last complete month."""
    if not history.months:
        return {}
    composite, rating = history.composite[-1], history.rating[-1]
    present = ~np.isnan(composite)
    neighbours = neighbour_mean(adjacency, (rating == Rating.D).astype(float), present)
    return {
        int(pk): {
            "composite": _decimal(composite[n], Decimal("0.01")),
            "rating": str(rating[n]),
            "neighbours_rated_d": None if np.isnan(neighbours[n]) else _decimal(neighbours[n], FOUR),
        }
        for n, pk in enumerate(history.dealers)
        if present[n]
    }


def _risks(forecast: Forecast | None) -> dict[int, dict[str, Decimal]]:
    if forecast is None:
        return {}
    return {
        int(pk): {
            "risk": _decimal(forecast.risk[n], FOUR),
            "risk_with_graph": _decimal(forecast.with_graph[n], FOUR),
            "risk_without_graph": _decimal(forecast.without_graph[n], FOUR),
        }
        for n, pk in enumerate(forecast.dealers)
    }


def _store_clusters(
    run: GraphRun, analysis: Analysis, graph, outlets: dict[int, int], latest: dict[int, dict], risks: dict
) -> dict[int, GraphCluster]:
    """The clusters, and each member outlet's cluster."""
    rows = []
    for number, members in enumerate(analysis.clusters, start=1):
        regions = {outlets[pk] for pk in members}
        composites = [latest[pk]["composite"] for pk in members if pk in latest]
        member_risks = [risks[pk]["risk"] for pk in members if pk in risks]
        rows.append(
            GraphCluster(
                run=run,
                number=number,
                region_id=next(iter(regions)) if len(regions) == 1 else None,
                hub_id=max(members, key=lambda pk: (analysis.strength[pk], -pk)),
                outlets=len(members),
                ties=graph.subgraph(members).number_of_edges(),
                regions=len(regions),
                composite=_decimal(sum(composites) / len(composites), Decimal("0.01")) if composites else None,
                rated_d=sum(1 for pk in members if latest.get(pk, {}).get("rating") == Rating.D),
                risk=_decimal(sum(member_risks) / len(member_risks), FOUR) if member_risks else None,
            )
        )
    stored = GraphCluster.objects.bulk_create(rows)
    return {pk: cluster for cluster, members in zip(stored, analysis.clusters, strict=True) for pk in members}
