"""Reads for the dealer graph: its inputs as the maths' arrays (ties, health history), and
what its pages show of a run in the user's scope."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, Q, QuerySet, Sum

from channels.graph.models import GraphCluster, GraphNode, GraphRun, GraphTie, RiskEvaluation, TieKind
from channels.graph.network import Tie
from channels.graph.risk import History
from channels.models import Dealer, HealthScore, OutletOverlap, PlanningRun
from channels.planning.selectors import TRADING
from dealerops.access import scope
from dealerops.models import JobRun, JobStatus, User

GRAPH_JOB = "channels.dealer_graph"  # the JobRun.job of a graph run (channels.graph.services)
PARENT_WEIGHT = 1.0  # a parent tie; an overlap weighs the larger share of demand the two share
TOP_OUTLETS = 10  # the graph page's most central outlets
TOP_CLUSTERS = 10
RISKIEST = 10  # the model page's riskiest outlets
MAP_TIES = 2_000  # ties drawn on the map (every one but at a national scale of dense overlaps)


def plan_run_latest() -> PlanningRun | None:
    """The network plan the overlap ties come from (network-wide: the job's, not a user's)."""
    return PlanningRun.objects.order_by("-computed_at", "-id").first()


def dealer_ties(plan_run: PlanningRun | None) -> list[Tie]:
    """Every parent–secondary tie (whatever the dealers' status: a past month's model row
    needs the ties of dealers that have left since) and the plan run's overlapping pairs."""
    ties = [
        Tie(min(child, parent), max(child, parent), TieKind.PARENT, PARENT_WEIGHT)
        for child, parent in Dealer.objects.filter(parent__isnull=False).values_list("pk", "parent_id")
    ]
    if plan_run is not None:
        pairs = OutletOverlap.objects.filter(run=plan_run).values_list("first_id", "second_id", "first_share")
        ties += [Tie(min(a, b), max(a, b), TieKind.OVERLAP, float(share)) for a, b, share in pairs]
    return ties


def graph_outlets() -> dict[int, int]:
    """The outlets that trade (active, or on probation) and their region: the graph's nodes."""
    return dict(Dealer.objects.filter(status__in=TRADING).order_by("pk").values_list("pk", "region_id"))


def health_history(before: date) -> History:
    """Every dealer's composite and rating of each month before ``before`` (complete months),
    under the newest weights version that scored the month."""
    rows = (
        HealthScore.objects.filter(month__lt=before, composite__isnull=False)
        .order_by("month", "dealer_id", "-weights__version")
        .distinct("month", "dealer_id")
        .values_list("dealer_id", "month", "composite", "rating", "dealer_kind")
    )
    return History.from_rows(rows)


def latest_graph_run(user: User) -> GraphRun | None:
    return scope(user, GraphRun.objects.select_related("job_run__started_by", "plan_run", "evaluation")).first()


def graph_running() -> bool:
    return JobRun.objects.filter(job=GRAPH_JOB, status=JobStatus.RUNNING).exists()


def run_nodes(user: User, run: GraphRun | None) -> QuerySet[GraphNode]:
    """The run's outlets in the user's scope (no run: none, a queryset still)."""
    return scope(user, GraphNode.objects.filter(run=run)).select_related("dealer__region", "cluster")


def run_clusters(user: User, run: GraphRun | None) -> QuerySet[GraphCluster]:
    return scope(user, GraphCluster.objects.filter(run=run)).select_related("hub", "region")


@dataclass(frozen=True)
class GraphFigures:
    """What the graph page shows of a run, in the user's scope."""

    run: GraphRun
    user: User
    outlets: int
    tied_outlets: int
    ties: dict[str, int]  # by kind
    clusters: int
    central: list[GraphNode]
    largest: list[GraphCluster]

    @property
    def total_ties(self) -> int:
        return sum(self.ties.values())

    @property
    def tie_counts(self) -> list[tuple[str, int]]:
        return [(label, self.ties.get(kind, 0)) for kind, label in TieKind.choices]

    def map_rows(self) -> dict[str, list[dict]]:
        return {
            "outlets": list(
                run_nodes(self.user, self.run).values(
                    "ties",
                    "risk",
                    "rating",
                    cluster_number=F("cluster__number"),
                    name=F("dealer__name"),
                    city=F("dealer__city"),
                    latitude=F("dealer__latitude"),
                    longitude=F("dealer__longitude"),
                )
            ),
            "ties": list(
                scope(self.user, GraphTie.objects.filter(run=self.run))
                .order_by("-weight", "pk")
                .values(
                    "kind",
                    first_latitude=F("first__latitude"),
                    first_longitude=F("first__longitude"),
                    second_latitude=F("second__latitude"),
                    second_longitude=F("second__longitude"),
                )[:MAP_TIES]
            ),
        }


def graph_figures(user: User, run: GraphRun) -> GraphFigures:
    nodes = run_nodes(user, run)
    counts = nodes.aggregate(outlets=Count("pk"), tied=Count("pk", filter=Q(ties__gt=0)))
    kinds = scope(user, GraphTie.objects.filter(run=run)).values_list("kind").annotate(n=Count("pk"))
    ties = dict(kinds.values_list("kind", "n"))
    clusters = run_clusters(user, run)
    return GraphFigures(
        run=run,
        user=user,
        outlets=counts["outlets"],
        tied_outlets=counts["tied"],
        ties=ties,
        clusters=clusters.count(),
        central=list(nodes.filter(ties__gt=0).order_by("-betweenness", "-strength", "dealer_id")[:TOP_OUTLETS]),
        largest=list(clusters.order_by("number")[:TOP_CLUSTERS]),
    )


@dataclass(frozen=True)
class RiskFigures:
    """What the model page shows: the run's evaluation and the riskiest outlets in scope."""

    evaluation: RiskEvaluation
    riskiest: list[GraphNode]
    scored: int  # outlets in scope with a risk
    expected_d: float | None  # the sum of their risks: how many D ratings the model expects


def risk_figures(user: User, run: GraphRun) -> RiskFigures:
    nodes = run_nodes(user, run).filter(risk__isnull=False)
    summary = nodes.aggregate(n=Count("pk"), total=Sum("risk"))
    return RiskFigures(
        evaluation=run.evaluation,
        riskiest=list(nodes.order_by(F("risk").desc(), "dealer_id")[:RISKIEST]),
        scored=summary["n"],
        expected_d=float(summary["total"]) if summary["n"] else None,
    )
