"""The dealer graph job on a small network, end to end, and the pages that read its run.

The network: the fixture's Hangzhou store (home region) is the parent of three secondary
dealers; it overlaps the foreign region's Chengdu store in the plan (a tie across a region
border, as a test of scoping rather than of geography); a showroom has no tie. Eleven months
of health scores (December 2025 to October 2026) are complete on 2026-11-15, with two of the
six outlets rated D each month in turn."""

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse

from channels.graph.services import KEEP_RUNS, dealer_graph_compute
from channels.models import (
    DealerKind,
    GraphCluster,
    GraphNode,
    GraphRun,
    GraphTie,
    HealthScore,
    RiskOutcome,
    TieKind,
)
from dealerops.models import JobRun, JobStatus
from tests.factories import (
    TODAY,
    DealerFactory,
    GraphNodeFactory,
    HealthWeightsFactory,
    OutletOverlapFactory,
    PlanningRunFactory,
    RatingBandsFactory,
    RiskEvaluationFactory,
)

MONTHS = [dt.date(2025, 12, 1)] + [dt.date(2026, month, 1) for month in range(1, 11)]


@pytest.fixture
def graph_network(network):
    home = network.home_dealer
    secondaries = [
        DealerFactory(kind=DealerKind.SECONDARY, parent=home, region=network.home_region, name=f"Xiaoshan {n}")
        for n in range(3)
    ]
    showroom = DealerFactory(kind=DealerKind.SHOWROOM, region=network.home_region, name="Binjiang showroom")
    OutletOverlapFactory(
        run=PlanningRunFactory(), first=home, second=network.foreign_dealer, first_share=Decimal("0.6000")
    )
    dealers = [home, *secondaries, showroom, network.foreign_dealer]
    weights, bands = HealthWeightsFactory(), RatingBandsFactory()
    HealthScore.objects.bulk_create(
        HealthScore(
            dealer=dealer,
            month=month,
            weights=weights,
            rating_bands=bands,
            dealer_kind=dealer.kind,
            composite=Decimal(40 if rated_d else 70 + n),
            rating="D" if rated_d else "B",
            metrics_scored=12,
            computed_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        )
        for m, month in enumerate(MONTHS)
        for n, dealer in enumerate(dealers)
        for rated_d in [(n + m) % 3 == 0]
    )
    network.secondaries, network.showroom = secondaries, showroom
    return network


@pytest.mark.django_db
def test_the_job_stores_the_ties_the_clusters_and_the_hub_of_the_parent(graph_network):
    run = dealer_graph_compute(as_of=TODAY)
    home, foreign = graph_network.home_dealer, graph_network.foreign_dealer
    assert (run.outlets, run.parent_ties, run.overlap_ties, run.tied_outlets, run.clusters) == (6, 3, 1, 5, 1)
    ties = set(GraphTie.objects.filter(run=run).values_list("kind", "region_id"))
    assert ties == {(TieKind.PARENT, graph_network.home_region.pk), (TieKind.OVERLAP, None)}  # across the border
    (cluster,) = GraphCluster.objects.filter(run=run)
    assert (cluster.number, cluster.hub, cluster.outlets, cluster.ties, cluster.regions, cluster.region) == (
        1,
        home,
        5,
        4,
        2,
        None,
    )
    nodes = {node.dealer_id: node for node in GraphNode.objects.filter(run=run)}
    hub = nodes[home.pk]
    # Through the parent: the 3 secondaries' 3 pairs, and each secondary with Chengdu (3 more).
    assert (hub.ties, hub.strength, hub.betweenness) == (4, Decimal("3.600"), Decimal("6.0"))
    assert (nodes[foreign.pk].ties, nodes[graph_network.showroom.pk].ties) == (1, 0)
    assert nodes[graph_network.showroom.pk].cluster is None
    # The last complete month is October (m = 10): dealers n with (n + 10) % 3 == 0 were rated D.
    assert [nodes[dealer.pk].rating for dealer in (home, *graph_network.secondaries)] == ["B", "B", "D", "B"]
    # Rated D of its ties: one secondary (weight 1) and Chengdu (0.6), of 1 + 1 + 1 + 0.6.
    assert nodes[home.pk].neighbours_rated_d == Decimal("0.4444")
    job = JobRun.objects.get(pk=run.job_run_id)
    assert (job.status, job.rows) == (JobStatus.SUCCEEDED, 6 + 4 + 1)


@pytest.mark.django_db
def test_the_job_judges_the_model_on_the_last_three_months_and_stores_next_months_risk(graph_network):
    run = dealer_graph_compute(as_of=TODAY)
    evaluation = run.evaluation
    assert evaluation.outcome == RiskOutcome.EVALUATED
    # 11 months: 10 label months (January to October), the last 3 held out, 6 dealers each.
    assert (evaluation.months, evaluation.train_from, evaluation.train_to) == (
        11,
        dt.date(2026, 1, 1),
        dt.date(2026, 7, 1),
    )
    assert (evaluation.test_from, evaluation.test_to, evaluation.predicted_month) == (
        dt.date(2026, 8, 1),
        dt.date(2026, 10, 1),
        dt.date(2026, 11, 1),
    )
    assert (evaluation.train_rows, evaluation.test_rows) == (7 * 6, 3 * 6)
    assert (evaluation.train_positives, evaluation.test_positives) == (14, 6)
    assert evaluation.test_base_rate == Decimal(1) / 3
    # D moves on by one dealer a month: the rating now says nothing of the next month's.
    assert evaluation.auc_persistence == Decimal("0.2500")
    assert all(0 <= value <= 1 for value in (evaluation.auc_with_graph, evaluation.auc_without_graph))
    assert set(evaluation.coefficients) == {"with_graph", "without_graph"}
    assert "graph_composite" in evaluation.coefficients["with_graph"]
    assert "graph_composite" not in evaluation.coefficients["without_graph"]
    risks = GraphNode.objects.filter(run=run).values_list("risk", "risk_with_graph", "risk_without_graph")
    assert len(risks) == 6 and all(None not in row for row in risks)
    expected = "risk_with_graph" if evaluation.uses_graph else "risk_without_graph"
    assert all(
        node.risk == getattr(node, expected) for node in GraphNode.objects.filter(run=run)
    )  # from the model that earned it


@pytest.mark.django_db
def test_with_too_little_history_the_run_is_stored_without_a_risk(network):
    weights, bands = HealthWeightsFactory(), RatingBandsFactory()
    for month in MONTHS[-2:]:
        HealthScore.objects.create(
            dealer=network.home_dealer,
            month=month,
            weights=weights,
            rating_bands=bands,
            dealer_kind="4s",
            composite=Decimal("50"),
            rating="C",
            metrics_scored=12,
            computed_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        )
    run = dealer_graph_compute(as_of=TODAY)
    assert (run.evaluation.outcome, run.evaluation.months, run.plan_run) == (RiskOutcome.FEW_MONTHS, 2, None)
    assert (run.overlap_ties, run.clusters) == (0, 0)
    assert not GraphNode.objects.filter(run=run, risk__isnull=False).exists()
    assert GraphNode.objects.get(run=run, dealer=network.home_dealer).composite == Decimal("50.00")


@pytest.mark.django_db
def test_the_oldest_runs_beyond_the_kept_ones_are_deleted(network):
    for _ in range(KEEP_RUNS + 1):
        dealer_graph_compute(as_of=TODAY)
    assert GraphRun.objects.count() == KEEP_RUNS


# -- the pages ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_model_page_shows_both_aucs_the_baseline_and_the_verdict(graph_network, client_for):
    evaluation = RiskEvaluationFactory()
    GraphNodeFactory(run=evaluation.run, dealer=graph_network.home_dealer, risk=Decimal("0.4321"))
    page = client_for(graph_network.head_office).get(reverse("channels:graph-risk")).content.decode()
    for figure in ("0.812", "0.815", "0.700", "600", "15.0 %"):  # both AUCs, the baseline, n, base rate
        assert figure in page
    assert (
        "The graph adds nothing on this hold-out: AUC 0.812 with it against 0.815 without "
        "(-0.003; 95 % interval -0.018 to +0.011, which includes zero)." in page
    )
    assert "The model beats the persistence baseline" in page
    assert "43.21 %" in page and "Hangzhou Xihu 4S" in page  # the riskiest outlets


@pytest.mark.django_db
def test_a_graph_that_helps_is_said_to_and_a_model_under_its_baseline_too(network, client_for):
    RiskEvaluationFactory(
        auc_with_graph=Decimal("0.6800"),
        auc_without_graph=Decimal("0.6200"),
        auc_persistence=Decimal("0.7000"),
        difference_low=Decimal("0.0200"),
        difference_high=Decimal("0.1000"),
        uses_graph=True,
    )
    page = client_for(network.head_office).get(reverse("channels:graph-risk")).content.decode()
    assert "The graph adds +0.060 AUC on this hold-out" in page
    assert "The model does not beat the persistence baseline" in page


@pytest.mark.django_db
def test_before_enough_history_the_model_page_says_what_is_missing(network, client_for):
    dealer_graph_compute(as_of=TODAY)
    page = client_for(network.head_office).get(reverse("channels:graph-risk")).content.decode()
    assert "Not enough history to fit and test the model: it needs at least 7 consecutive complete months" in page
    assert "and there are 0" in page
    assert 'id="risk-map"' not in page


@pytest.mark.django_db
def test_the_graph_page_draws_the_ties_and_says_stock_transfers_are_absent(graph_network, client_for):
    dealer_graph_compute(as_of=TODAY)
    response = client_for(graph_network.head_office).get(reverse("channels:dealer-graph"))
    page = response.content.decode()
    assert response.context["figures"].ties == {TieKind.PARENT: 3, TieKind.OVERLAP: 1}
    assert "transfers between dealers are not recorded yet" in page
    assert 'id="graph-map-data"' in page
    assert response.context["figures"].central[0].dealer == graph_network.home_dealer


@pytest.mark.django_db
def test_a_regional_manager_sees_their_regions_outlets_ties_and_clusters_only(graph_network, client_for):
    dealer_graph_compute(as_of=TODAY)
    client = client_for(graph_network.regional_manager)
    graph = client.get(reverse("channels:dealer-graph"))
    assert graph.context["figures"].outlets == 5 and graph.context["figures"].ties == {TieKind.PARENT: 3}
    assert graph.context["figures"].clusters == 0  # the cluster spans two regions: head office's
    assert "Chengdu Jinjiang 4S" not in graph.content.decode()
    outlets = client.get(reverse("channels:graph-node-list"), {"export": "csv"})
    assert "Chengdu Jinjiang 4S" not in b"".join(outlets.streaming_content).decode()


@pytest.mark.django_db
def test_a_dealer_user_opens_no_graph_page(graph_network, client_for):
    client = client_for(graph_network.dealer_user)
    for name in ("dealer-graph", "graph-risk", "graph-node-list", "graph-cluster-list"):
        assert client.get(reverse(f"channels:{name}")).status_code == 403


@pytest.mark.django_db
def test_head_office_builds_the_graph_from_its_page_and_a_manager_may_not(network, client_for):
    with mock.patch("channels.graph.views.job_start") as start:
        response = client_for(network.head_office).post(reverse("channels:graph-risk"))
    assert response.status_code == 302 and response["Location"] == reverse("channels:graph-risk")
    assert start.call_args.kwargs["job"].name == "channels.dealer_graph"
    with mock.patch("channels.graph.views.job_start") as start:
        refused = client_for(network.regional_manager).post(reverse("channels:dealer-graph"))
    assert refused.status_code == 403
    start.assert_not_called()


@pytest.mark.django_db
def test_the_outlets_list_sorts_by_risk_and_by_centrality(graph_network, client_for):
    dealer_graph_compute(as_of=TODAY)
    client = client_for(graph_network.head_office)
    by_risk = list(client.get(reverse("channels:graph-node-list")).context["object_list"])
    assert [node.risk for node in by_risk] == sorted((node.risk for node in by_risk), reverse=True)
    central = client.get(reverse("channels:graph-node-list"), {"ordering": "-betweenness"}).context["object_list"]
    assert central[0].dealer == graph_network.home_dealer
