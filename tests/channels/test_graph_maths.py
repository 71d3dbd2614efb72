"""The risk model's maths on cases small enough to work out by hand."""

import datetime as dt
import math

import numpy as np
import pytest
from scipy.special import expit

from channels.graph.learning import auc, auc_difference_interval, graph_convolution, logistic_fit, neighbour_mean
from channels.graph.network import Tie, dealer_graph, graph_analysis
from channels.graph.risk import (
    GRAPH_FEATURES,
    OWN_FEATURES,
    History,
    adjacency_matrix,
    labelled_rows,
    month_rows,
    risk_model,
    time_split,
)
from channels.models import RiskOutcome


def test_the_auc_counts_the_pairs_a_positive_wins_ties_counting_half():
    # Positives score 0.35 and 0.8, negatives 0.1 and 0.4: of the 4 pairs the positive wins 3.
    assert auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == 0.75
    # Positives 0.5 and 0.9 against 0.5 and 0.2: 0.5 (tie) + 1 + 1 + 1 = 3.5 of 4.
    assert auc(np.array([0.5, 0.5, 0.2, 0.9]), np.array([1, 0, 0, 1])) == 0.875
    # A binary score (rated D now) is a ROC of one step: (TPR + TNR) / 2 = (2/3 + 1/2) / 2.
    assert auc(np.array([1, 1, 0, 1, 0]), np.array([1, 1, 0, 0, 1])) == pytest.approx(7 / 12)
    assert auc(np.array([0.2, 0.3]), np.array([1, 1])) is None  # no negative: no AUC


def test_the_logistic_fit_recovers_the_coefficients_of_known_data():
    rng = np.random.default_rng(7)
    signal, noise = rng.normal(size=4000), rng.normal(size=4000)
    labels = rng.random(4000) < expit(-1.0 + 2.0 * signal)
    model = logistic_fit(np.column_stack([signal, noise]), labels, penalty=1e-6)
    per_unit = model.coef / model.scale  # back from "per standard deviation" to per unit
    assert per_unit[0] == pytest.approx(2.0, abs=0.25)
    assert abs(per_unit[1]) < 0.15
    assert model.probability(np.array([[3.0, 0.0]]))[0] > 0.9 > 0.1 > model.probability(np.array([[-3.0, 0.0]]))[0]
    # The sign follows the data: a feature that lowers the risk gets a negative coefficient.
    reversed_model = logistic_fit(np.column_stack([-signal, noise]), labels)
    assert reversed_model.coef[0] < -1


def test_a_constant_feature_gets_no_weight_and_breaks_nothing():
    labels = np.array([0, 1, 0, 1, 1, 0])
    model = logistic_fit(np.column_stack([np.arange(6.0), np.ones(6)]), labels)
    assert model.coef[1] == 0 and np.isfinite(model.coef[0])


# The hand-built graph: outlets 1 - 2 - 3 in a line (1-2 a parent tie weighing 1, 2-3 an
# overlap sharing half of the demand: 0.5) and outlet 4 with no tie. With self-loops the
# degrees are 2, 2.5, 1.5 and 1.
ADJACENCY = adjacency_matrix(np.array([1, 2, 3, 4]), [(1, 2, 1.0), (2, 3, 0.5)])
COMPOSITE = np.array([0.8, 0.4, 0.6, 0.5])


def test_the_graph_convolution_on_four_outlets_by_hand():
    convolved = graph_convolution(ADJACENCY, COMPOSITE[:, None], np.ones(4, dtype=bool))[:, 0]
    assert convolved == pytest.approx(
        [
            0.8 / 2 + 0.4 / math.sqrt(2 * 2.5),  # 0.5789
            0.4 / 2.5 + 0.8 / math.sqrt(2.5 * 2) + 0.5 * 0.6 / math.sqrt(2.5 * 1.5),  # 0.6727
            0.6 / 1.5 + 0.5 * 0.4 / math.sqrt(1.5 * 2.5),  # 0.5033
            0.5,  # no tie: its own value
        ]
    )
    assert convolved[:3] == pytest.approx([0.578885, 0.672690, 0.503280], abs=1e-6)


def test_an_outlet_not_scored_that_month_neither_counts_nor_passes_a_value():
    present = np.array([True, True, False, True])
    convolved = graph_convolution(ADJACENCY, COMPOSITE[:, None], present)[:, 0]
    # Without outlet 3, outlet 2's degree is 2: both ends of 1-2 weigh 1/2.
    assert convolved[:2] == pytest.approx([0.8 / 2 + 0.4 / 2, 0.4 / 2 + 0.8 / 2])
    assert math.isnan(convolved[2]) and convolved[3] == 0.5


def test_the_share_of_neighbours_rated_d_is_weighted_by_the_ties():
    rated_d = np.array([1.0, 0.0, 0.0, 0.0])
    shares = neighbour_mean(ADJACENCY, rated_d, np.ones(4, dtype=bool))
    # Outlet 2's neighbours: 1 (rated D, weight 1) and 3 (not, weight 0.5): 1 / 1.5.
    assert shares[:3] == pytest.approx([0.0, 2 / 3, 0.0])
    assert math.isnan(shares[3])


def history_of(months: int, ratings: dict[int, str], composites: dict[int, float] | None = None) -> History:
    """Four dealers (ids 1-4) scored ``months`` months from January 2026; ``ratings`` gives each
    dealer's ratings month by month as a string ("CCDD...")."""
    rows = []
    for dealer, letters in ratings.items():
        for n in range(months):
            month = dt.date(2026, 1 + n, 1)
            composite = (composites or {}).get(dealer, {"A": 90, "B": 75, "C": 60, "D": 40}[letters[n]])
            rows.append((dealer, month, composite, letters[n], "4s"))
    return History.from_rows(rows)


def test_the_features_of_a_month_on_the_four_outlets():
    history = history_of(3, {1: "CCD", 2: "BBB", 3: "ACC", 4: "DDD"}, {1: 80, 2: 40, 3: 60, 4: 50})
    rows = month_rows(history, ADJACENCY, 2)
    own = dict(zip(OWN_FEATURES, rows.own[0], strict=True))
    assert own == {
        "composite": 0.8,
        "change": 0.0,
        "months_d": 1,
        "rated_d": 1,
        "rated_c": 0,
        "rated_b": 0,
        "secondary": 0,
        "showroom": 0,
    }
    graph = [dict(zip(GRAPH_FEATURES, row, strict=True)) for row in rows.graph]
    assert [row["graph_composite"] for row in graph] == pytest.approx([0.578885, 0.672690, 0.503280, 0.5], abs=1e-6)
    # Rated D: outlets 1 and 4. Outlet 2 gets 1's through a tie of weight 1: 1 / sqrt(2.5 × 2).
    assert [row["graph_rated_d"] for row in graph] == pytest.approx([1 / 2, 1 / math.sqrt(5), 0, 1])
    assert [row["tie_strength"] for row in graph] == pytest.approx([math.log(2), math.log(2.5), math.log(1.5), 0])
    assert rows.own[3, OWN_FEATURES.index("months_d")] == 3


def test_the_time_split_never_trains_on_a_month_it_tests():
    ratings = {dealer: "ABCDABCDABCD"[dealer:] + "ABCD"[:dealer] for dealer in range(1, 5)}
    history = history_of(10, ratings)
    rows = labelled_rows(history, ADJACENCY)
    split = time_split(rows, test_months=3)
    label_month = rows.month + 1
    # Ten months give nine label months (February to October): tested on the last three.
    assert set(label_month[split.test]) == {7, 8, 9}
    assert set(label_month[split.train]) == {1, 2, 3, 4, 5, 6}
    assert label_month[split.train].max() < label_month[split.test].min()
    assert not (split.train & split.test).any() and (split.train | split.test).all()
    # A row of the hold-out may read features of the last training month (known by then), never a later one.
    assert rows.month[split.test].min() == label_month[split.train].max()
    assert (split.train_months, split.test_months) == ((1, 6), (7, 9))


def test_too_few_months_give_no_split_and_the_model_says_so():
    history = history_of(6, dict.fromkeys(range(1, 5), "ABCDAB"))
    assert time_split(labelled_rows(history, ADJACENCY), test_months=3) is None
    evaluation, forecast = risk_model(history, ADJACENCY)
    assert (evaluation.outcome, evaluation.months, forecast) == (RiskOutcome.FEW_MONTHS, 6, None)


def test_no_d_rating_in_the_hold_out_is_one_class():
    history = history_of(10, dict.fromkeys(range(1, 5), "DCCCCCCCCC"))
    evaluation, forecast = risk_model(history, ADJACENCY)
    assert evaluation.outcome == RiskOutcome.ONE_CLASS and forecast is None
    assert (evaluation.test_rows, evaluation.test_positives) == (12, 0)


def test_the_interval_of_a_gain_lies_above_zero_only_when_one_score_wins_for_most_dealers():
    rng = np.random.default_rng(1)
    labels = np.tile([1, 0, 0, 0], 50)
    groups = np.repeat(np.arange(50), 4)
    better = labels + rng.normal(0, 0.5, 200)
    worse = labels + rng.normal(0, 2.0, 200)
    interval = auc_difference_interval(better, worse, labels, groups, samples=200)
    assert interval.low > 0
    same = auc_difference_interval(better, better + 1e-9 * rng.normal(size=200), labels, groups, samples=200)
    assert same.low <= 0 <= same.high


def test_the_graph_clusters_and_betweenness_of_a_parent_with_three_secondaries():
    # 10 is a parent of 11, 12 and 13; 20 and 21 overlap; 30 has no tie.
    ties = [Tie(10, n, "parent", 1.0) for n in (11, 12, 13)] + [Tie(20, 21, "overlap", 0.6)]
    graph = dealer_graph([10, 11, 12, 13, 20, 21, 30], ties)
    analysis = graph_analysis(graph)
    assert analysis.clusters == [[10, 11, 12, 13], [20, 21]]
    assert analysis.betweenness[10] == 3  # the secondaries' three pairs all pass through their parent
    assert analysis.betweenness[11] == analysis.betweenness[20] == analysis.betweenness[30] == 0
    assert (analysis.strength[10], analysis.strength[21], analysis.strength[30]) == (3.0, 0.6, 0)
    assert analysis.sources is None  # exact on a small graph
