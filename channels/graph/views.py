"""The dealer graph's pages: the graph (map, central outlets, clusters), the risk model (its
evaluation and the riskiest outlets), and the run's outlets and clusters as lists with export."""

from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.html import json_script
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from channels.filtersets import GraphClusterFilterSet, GraphNodeFilterSet
from channels.graph.charts import graph_map_figure
from channels.graph.models import GraphCluster, GraphNode, GraphRun
from channels.graph.risk import BOOTSTRAP_SAMPLES, GRAPH_FEATURES, MIN_TRAIN_MONTHS, OWN_FEATURES, TEST_MONTHS
from channels.graph.selectors import (
    GRAPH_JOB,
    graph_figures,
    graph_running,
    latest_graph_run,
    risk_figures,
    run_clusters,
    run_nodes,
)
from dealerops.access import can_write
from dealerops.jobs import job_start
from dealerops.schedules import NIGHTLY_JOBS
from dealerops.scoped_views import ScopedListView, ScopedMixin
from dealerops.tables import Column
from dealerops.validation import today

GRAPH_NIGHTLY_JOB = next(job for job in NIGHTLY_JOBS if job.name == GRAPH_JOB)
FEATURE_LABELS = {
    "composite": _("Composite this month"),
    "change": _("Change since last month"),
    "months_d": _("Months rated D of the last 3"),
    "rated_d": _("Rated D"),
    "rated_c": _("Rated C"),
    "rated_b": _("Rated B"),
    "secondary": _("Secondary dealer"),
    "showroom": _("City showroom"),
    "graph_composite": _("Composite over its ties (graph convolution)"),
    "graph_rated_d": _("Rated D over its ties (graph convolution)"),
    "tie_strength": _("Tie strength (log)"),
}


class GraphRunMixin(ScopedMixin):
    """A page of the latest graph run; head office starts a new run from it."""

    model = GraphRun

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            run=latest_graph_run(self.request.user),
            running=graph_running(),
            can_run=can_write(self.request.user, GraphRun),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not can_write(request.user, GraphRun):
            raise PermissionDenied
        if graph_running():
            messages.info(request, gettext("The graph is being built already; its result appears here when it ends."))
        else:
            job_start(job=GRAPH_NIGHTLY_JOB, as_of=today(), started_by_id=request.user.pk)
            messages.success(request, gettext("The graph is being built; reload this page in a minute to see it."))
        return redirect(request.path)


class DealerGraphView(GraphRunMixin, TemplateView):
    """The dealer graph: its ties, the map, the most central outlets and the largest clusters."""

    template_name = "channels/dealer_graph.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = context["run"]
        if run is not None:
            figures = graph_figures(self.request.user, run)
            context.update(
                figures=figures,
                central_columns=_columns(GraphNodeListView, CENTRAL_COLUMNS),
                cluster_columns=GraphClusterListView.columns,
                map_script=json_script(graph_map_figure(**figures.map_rows()), "graph-map-data"),
            )
        return context


class GraphRiskView(GraphRunMixin, TemplateView):
    """The risk model: both AUCs beside the persistence baseline on the time-based hold-out,
    the verdict in words, the coefficients, and the riskiest outlets for next month."""

    template_name = "channels/graph_risk.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = context["run"]
        context.update(
            test_months=TEST_MONTHS,
            train_months=MIN_TRAIN_MONTHS,
            needed_months=TEST_MONTHS + MIN_TRAIN_MONTHS + 1,  # the first month only gives features
            bootstrap_samples=BOOTSTRAP_SAMPLES,
        )
        if run is None:
            return context
        figures = risk_figures(self.request.user, run)
        context.update(
            figures=figures,
            coefficients=_coefficient_rows(figures.evaluation.coefficients),
            risk_columns=_columns(GraphNodeListView, RISK_COLUMNS),
        )
        if figures.evaluation.evaluated:
            map_rows = graph_figures(self.request.user, run).map_rows()
            context["map_script"] = json_script(graph_map_figure(**map_rows, colour_by="risk"), "risk-map-data")
        return context


# The columns of the outlets' list the two pages' short tables show (by accessor).
CENTRAL_COLUMNS = (
    "dealer.name",
    "dealer.city",
    "dealer.region.name",
    "cluster.number",
    "ties",
    "strength",
    "betweenness",
    "risk",
)
RISK_COLUMNS = (
    "dealer.name",
    "dealer.city",
    "dealer.region.name",
    "composite",
    "rating",
    "neighbours_rated_d",
    "risk",
    "risk_without_graph",
    "risk_with_graph",
)


def _columns(view: type[ScopedListView], accessors: tuple[str, ...]) -> list[Column]:
    """The list's columns of ``accessors``, in their order, sorting links off (a short table)."""
    by_accessor = {column.accessor: column for column in view.columns}
    return [replace(by_accessor[accessor], order=None) for accessor in accessors]


def _coefficient_rows(coefficients: dict) -> list[tuple[str, float | None, float | None, bool]]:
    """(feature, without the graph, with it, is a graph feature) in the models' order."""
    without, with_graph = coefficients.get("without_graph", {}), coefficients.get("with_graph", {})
    if not with_graph:
        return []
    return [
        (FEATURE_LABELS[name], without.get(name), with_graph.get(name), name in GRAPH_FEATURES)
        for name in (*OWN_FEATURES, *GRAPH_FEATURES)
    ]


class GraphNodeListView(ScopedListView):
    """The latest run's outlets, the riskiest first (``?ordering=-betweenness``: the most central)."""

    model = GraphNode
    filterset_class = GraphNodeFilterSet
    title = _("Outlets in the dealer graph")
    default_ordering = "-risk"
    columns = [
        Column(_("Dealer"), "dealer.name", link="dealer", export=("dealer__name",)),
        Column(_("Code"), "dealer.code", export=("dealer__code",)),
        Column(_("City"), "dealer.city", export=("dealer__city",)),
        Column(_("Region"), "dealer.region.name", export=("dealer__region__name",)),
        Column(_("Cluster"), "cluster.number", export=("cluster__number",), empty=_("no cluster")),
        Column(_("Tied outlets"), "ties", kind="number", order="ties"),
        Column(_("Tie strength"), "strength", kind="number", order="strength"),
        Column(_("Pairs linked through it"), "betweenness", kind="number", order="betweenness"),
        Column(_("Composite"), "composite", kind="number", order="composite"),
        Column(_("Rating"), "rating"),
        Column(_("Neighbours rated D"), "neighbours_rated_d", kind="rate", order="neighbours_rated_d"),
        Column(_("Risk of D next month"), "risk", kind="rate", order="risk"),
        Column(_("Risk, own history"), "risk_without_graph", kind="rate", order="risk_without_graph"),
        Column(_("Risk, with the graph"), "risk_with_graph", kind="rate", order="risk_with_graph"),
    ]

    def base_queryset(self):
        return run_nodes(self.request.user, latest_graph_run(self.request.user))


class GraphClusterListView(ScopedListView):
    """The latest run's clusters, the largest first."""

    model = GraphCluster
    filterset_class = GraphClusterFilterSet
    title = _("Outlet clusters")
    default_ordering = "number"
    columns = [
        Column(_("Cluster"), "number", kind="number", order="number"),
        Column(_("Hub outlet"), "hub.name", link="hub", export=("hub__name",)),
        Column(_("City"), "hub.city", export=("hub__city",)),
        Column(_("Region"), "region.name", export=("region__name",), empty=_("several regions")),
        Column(_("Outlets"), "outlets", kind="number", order="outlets"),
        Column(_("Ties inside"), "ties", kind="number"),
        Column(_("Mean composite"), "composite", kind="number", order="composite"),
        Column(_("Outlets rated D"), "rated_d", kind="number", order="rated_d"),
        Column(_("Mean risk of D next month"), "risk", kind="rate", order="risk"),
    ]

    def base_queryset(self):
        return run_clusters(self.request.user, latest_graph_run(self.request.user))
