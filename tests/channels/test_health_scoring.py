"""Percentile scores among peers, the composite with renormalised weights, ratings and
probation, re-runs, and the rule that a closed month is not rewritten."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from channels.health.services import health_weights_create
from channels.models import DealerKind, HealthMetric, HealthMetricScore, HealthMonth, HealthScore, HealthWeights
from dealerops.models import JobRun
from tests.channels.health import AFTER_CUTOFF, BEFORE_CUTOFF, OCTOBER, SEPTEMBER, compute, metric, score_of, sell
from tests.factories import DealerFactory, StockUnitFactory

pytestmark = pytest.mark.django_db

ONLY_TARGET_AND_STAFF = {name: Decimal("0") for name in HealthMetric.values} | {
    "target_achievement": Decimal("1"),
    "staff_efficiency": Decimal("1"),
}


def dealer_selling(units: int, *, month: dt.date = OCTOBER, **fields):
    dealer = DealerFactory(**{"monthly_sales_target": 10, "sales_headcount": 1, **fields})
    for day in range(units):
        sell(dealer, month + dt.timedelta(days=day + 1))
    return dealer


class TestPercentileScores:
    def test_ties_share_the_middle_of_their_ranks_and_100_is_best(self, monkeypatch):
        one, two_a, two_b, four = (dealer_selling(units) for units in (1, 2, 2, 4))
        compute(monkeypatch)

        scores = [metric(dealer, "target_achievement").score for dealer in (one, two_a, two_b, four)]
        # 100 x (worse + 1/2 x ties) / 4 peers: 0.1 -> 0.5/4, 0.2 -> (1 + 1)/4, 0.4 -> 3.5/4
        assert scores == [Decimal("12.50"), Decimal("50.00"), Decimal("50.00"), Decimal("87.50")]

    def test_lower_is_better_metrics_rank_the_smallest_value_best(self, monkeypatch, settings):
        settings.HEALTH_MIN_SAMPLES = dict.fromkeys(HealthMetric.values, 1)
        fresh, stale = DealerFactory(), DealerFactory()
        for dealer, arrivals in ((fresh, [dt.date(2026, 10, 1)] * 2), (stale, [dt.date(2026, 5, 1)] * 2)):
            for arrived in arrivals:
                StockUnitFactory(dealer=dealer, arrived_on=arrived)
        compute(monkeypatch)

        assert metric(fresh, "aged_stock").value == Decimal("0.0000")
        assert metric(stale, "aged_stock").value == Decimal("1.0000")
        assert (metric(fresh, "aged_stock").score, metric(stale, "aged_stock").score) == (Decimal("75.00"), 25)

    def test_inventory_coefficient_ranks_the_distance_from_the_band(self, monkeypatch, settings):
        settings.HEALTH_MIN_SAMPLES = dict.fromkeys(HealthMetric.values, 1)
        # Each sells 2 units; on hand at month end: 1 (0.5), 2 (1.0), 3 (1.5), 4 (2.0)
        dealers = []
        for on_hand in (1, 2, 3, 4):
            dealer = dealer_selling(2)
            for _ in range(on_hand):
                StockUnitFactory(dealer=dealer, arrived_on=dt.date(2026, 10, 20))
            dealers.append(dealer)
        compute(monkeypatch)

        values = [metric(dealer, "inventory_coefficient").value for dealer in dealers]
        assert values == [Decimal("0.5000"), Decimal("1.0000"), Decimal("1.5000"), Decimal("2.0000")]
        # distances 0.3, 0, 0, 0.5: inside the band ties at the top, 2.0 is the furthest out
        scores = [metric(dealer, "inventory_coefficient").score for dealer in dealers]
        assert scores == [Decimal("37.50"), Decimal("75.00"), Decimal("75.00"), Decimal("12.50")]

    def test_peers_are_dealers_of_the_same_kind_and_a_dealer_alone_scores_50(self, monkeypatch):
        parent = dealer_selling(1)
        dealer_selling(3)
        secondary = dealer_selling(5, kind=DealerKind.SECONDARY, parent=parent)
        compute(monkeypatch)

        assert metric(secondary, "target_achievement").score == Decimal("50.00")
        assert score_of(secondary).dealer_kind == DealerKind.SECONDARY
        assert metric(parent, "target_achievement").score == Decimal("25.00")


class TestComposite:
    def test_insufficient_metrics_are_left_out_and_the_weights_renormalised(self, monkeypatch):
        weights = {name: Decimal("1") for name in HealthMetric.values} | {"target_achievement": Decimal("3")}
        health_weights_create(weights=weights, created_by=None)
        strong = dealer_selling(4, sales_headcount=2)  # 0.4 of target, 2.0 per head
        weak = dealer_selling(2)  # 0.2 of target, 2.0 per head
        compute(monkeypatch)

        # Only the target (weight 3) and staff efficiency (weight 1) have enough data: the
        # other ten have fewer than their minimum (e.g. 4 sales < 5, no leads).
        assert metric(strong, "lead_conversion").insufficient
        assert metric(strong, "lead_conversion").score is None
        assert metric(strong, "finance_penetration").sample == 4
        assert metric(strong, "finance_penetration").insufficient
        assert score_of(strong).metrics_scored == 2
        assert score_of(strong).composite == Decimal("68.75")  # (3 x 75 + 1 x 50) / 4
        assert score_of(weak).composite == Decimal("31.25")  # (3 x 25 + 1 x 50) / 4
        # Rated by their place among the two peers (default bands, 15/35/35/15 %): the better
        # one's middle is 25 % from the top (B), the other's 75 % (C). The legacy floors
        # rated them C and D.
        assert (score_of(strong).rating, score_of(weak).rating) == ("B", "C")

    def test_ratings_are_shares_of_the_peer_group_and_ties_share_a_rating(self, monkeypatch):
        health_weights_create(weights=ONLY_TARGET_AND_STAFF, created_by=None)
        # Ten dealers selling 6 units each: the target ranks them 0..9, the headcount by
        # ``staff_rank``; both scores are 5 + 10 x rank, so the composite is 5 + 5 x (sum of ranks).
        staff_rank = [0, 1, 2, 6, 5, 7, 9, 3, 8, 4]
        dealers = [
            dealer_selling(6, monthly_sales_target=20 - rank, sales_headcount=10 - staff)
            for rank, staff in enumerate(staff_rank)
        ]
        compute(monkeypatch)

        # Best first, each rated by the middle of its place, 100 x (better + ties / 2) / 10 %
        # from the top, against the default bands' 15 / 50 / 85 %: 85 (5 %) and 80 (15 %) are
        # A; 70, 65, 55 (25-45 %) B; the two at 50 share the middle of places 6-7 (60 %), C,
        # as do 25 (75 %) and 15 (85 %); 5 (95 %) is D. Until version 2 (the floors 85 / 70 /
        # 55) this month was A 1, B 2, C 2, D 5.
        result = [(score_of(dealer).composite, score_of(dealer).rating) for dealer in dealers]
        assert result == [
            (Decimal("5.00"), "D"),
            (Decimal("15.00"), "C"),
            (Decimal("25.00"), "C"),
            (Decimal("50.00"), "C"),
            (Decimal("50.00"), "C"),
            (Decimal("65.00"), "B"),
            (Decimal("80.00"), "A"),
            (Decimal("55.00"), "B"),
            (Decimal("85.00"), "A"),
            (Decimal("70.00"), "B"),
        ]
        assert {score_of(dealer).rating_bands.version for dealer in dealers} == {2}

    def test_the_database_refuses_a_rating_without_a_composite_and_a_composite_without_one(self, monkeypatch):
        # Which rating a composite gets depends on its peers (the bands): the row's check keeps
        # that a dealer is rated exactly when it has a composite.
        dealer = dealer_selling(1)
        compute(monkeypatch)
        with pytest.raises(IntegrityError), transaction.atomic():
            HealthScore.objects.filter(dealer=dealer).update(composite=None)
        with pytest.raises(IntegrityError), transaction.atomic():
            HealthScore.objects.filter(dealer=dealer).update(rating="")

    def test_a_dealer_rated_d_two_months_running_is_flagged_for_probation(self, monkeypatch):
        health_weights_create(weights=ONLY_TARGET_AND_STAFF, created_by=None)
        # Four peers: the worst one's middle is 87.5 % from the top, below the default bands'
        # 85 %: D (with two or three peers nobody is in the bottom 15 %).
        good = [dealer_selling(units) for units in (4, 3, 2)]
        bad = dealer_selling(1)
        for dealer, units in zip((*good, bad), (4, 3, 2, 1), strict=True):
            for day in range(units):
                sell(dealer, SEPTEMBER + dt.timedelta(days=day))
        compute(monkeypatch, SEPTEMBER)
        compute(monkeypatch, OCTOBER)

        assert (score_of(bad, SEPTEMBER).rating, score_of(bad, SEPTEMBER).probation) == ("D", False)
        assert (score_of(bad, OCTOBER).rating, score_of(bad, OCTOBER).probation) == ("D", True)
        assert [score_of(dealer, OCTOBER).probation for dealer in good] == [False, False, False]


class TestWeights:
    def test_the_first_run_uses_equal_weights_version_1(self, monkeypatch):
        dealer = dealer_selling(1)
        compute(monkeypatch)
        weights = score_of(dealer).weights
        assert weights.version == 1
        assert set(weights.weights().values()) == {Decimal("1.000")}

    def test_weights_must_not_be_negative_or_all_zero(self):
        with pytest.raises(ValidationError) as negative:
            health_weights_create(weights={"retention": Decimal("-1")}, created_by=None)
        assert "retention" in negative.value.message_dict
        with pytest.raises(ValidationError):
            health_weights_create(weights=dict.fromkeys(HealthMetric.values, Decimal("0")), created_by=None)
        second = health_weights_create(weights={"retention": Decimal("2")}, created_by=None)
        assert second.version == 1 and second.retention == Decimal("2")


class TestReruns:
    def rows(self):
        return sorted(
            HealthMetricScore.objects.values_list(
                "id", "health_score_id", "health_score__composite", "metric", "value", "sample", "score"
            )
        )

    def test_a_rerun_writes_the_same_rows_with_the_same_numbers(self, monkeypatch):
        for units in (1, 3, 5):
            dealer_selling(units)
        first = compute(monkeypatch)
        before = self.rows()
        second = compute(monkeypatch)

        assert first.rows == second.rows == 3
        assert self.rows() == before
        assert HealthScore.objects.count() == 3 and len(before) == 36

    def test_an_open_month_follows_new_data(self, monkeypatch):
        low, high = dealer_selling(1), dealer_selling(2)
        compute(monkeypatch, on=BEFORE_CUTOFF)
        for day in range(5):
            sell(low, OCTOBER + dt.timedelta(days=day + 10))
        compute(monkeypatch, on=BEFORE_CUTOFF)

        assert metric(low, "target_achievement").value == Decimal("0.6000")
        assert metric(high, "target_achievement").score == Decimal("25.00")
        assert HealthMonth.objects.get(month=OCTOBER).final is False


class TestClosedMonths:
    def test_a_month_scored_after_its_cutoff_is_final_and_a_rerun_writes_nothing(self, monkeypatch):
        dealer = dealer_selling(1)
        dealer_selling(2)
        first = compute(monkeypatch, on=AFTER_CUTOFF)
        before = TestReruns.rows(self)
        sell(dealer, OCTOBER + dt.timedelta(days=20))
        second = compute(monkeypatch, on=dt.date(2026, 12, 1))

        assert first.rows == 2 and second.rows == 0
        assert TestReruns.rows(self) == before
        assert metric(dealer, "target_achievement").value == Decimal("0.1000")
        state = HealthMonth.objects.get(month=OCTOBER)
        assert state.final and state.period_end == dt.date(2026, 10, 31)

    def test_the_database_refuses_to_change_a_final_month(self, monkeypatch):
        dealer = dealer_selling(1)
        compute(monkeypatch, on=AFTER_CUTOFF)

        with pytest.raises(IntegrityError), transaction.atomic():
            HealthMetricScore.objects.filter(health_score__dealer=dealer).update(sample=99)
        with pytest.raises(IntegrityError), transaction.atomic():
            HealthScore.objects.filter(dealer=dealer).delete()
        with pytest.raises(Exception, match="Cannot update or delete rows"), transaction.atomic():
            HealthMonth.objects.filter(month=OCTOBER).update(final=False, finalised_at=None)

    def test_a_new_weights_version_gives_a_closed_month_a_second_set_of_scores(self, monkeypatch):
        dealer = dealer_selling(1)
        dealer_selling(2, sales_headcount=2)  # the same sales per head: staff efficiency ties at 50
        compute(monkeypatch, on=AFTER_CUTOFF)
        only_target = dict.fromkeys(HealthMetric.values, Decimal("0")) | {"target_achievement": Decimal("1")}
        health_weights_create(weights=only_target, created_by=None)
        run = compute(monkeypatch, on=AFTER_CUTOFF)

        assert run.rows == 2
        versions = dict(HealthScore.objects.filter(dealer=dealer).values_list("weights__version", "composite"))
        assert versions == {1: Decimal("37.50"), 2: Decimal("25.00")}  # (25 + 50) / 2, then the target alone
        assert HealthMonth.objects.filter(month=OCTOBER, final=True).count() == 2

    def test_a_month_not_yet_begun_is_refused_and_a_failed_run_is_recorded(self, monkeypatch):
        with pytest.raises(ValidationError):
            compute(monkeypatch, dt.date(2026, 12, 1), on=BEFORE_CUTOFF)
        assert JobRun.objects.get(job="channels.compute_health").status == "failed"


def test_head_office_adds_a_weights_version_in_the_admin(network, client):
    network.head_office.is_staff = network.head_office.is_superuser = True
    network.head_office.save()
    client.force_login(network.head_office)
    form = dict.fromkeys(HealthMetric.values, "1") | {"retention": "2.5", "note": "Retention counts more"}
    response = client.post("/admin/channels/healthweights/add/", form)

    assert response.status_code == 302
    weights = HealthWeights.objects.get()
    assert (weights.version, weights.retention, weights.created_by) == (1, Decimal("2.500"), network.head_office)
    refused = client.post("/admin/channels/healthweights/add/", dict.fromkeys(HealthMetric.values, "0"))
    assert refused.status_code == 200 and HealthWeights.objects.count() == 1
    assert client.get(f"/admin/channels/healthweights/{weights.pk}/change/").status_code == 200  # read-only view
    assert client.get("/admin/channels/healthscore/").status_code == 200
    assert client.get("/admin/channels/ratingbands/").status_code == 200  # read-only: set on /health/bands/


def test_a_dealer_that_exits_during_an_open_month_leaves_its_scores(monkeypatch):
    staying, leaving = dealer_selling(1), dealer_selling(2)
    compute(monkeypatch)
    leaving.status = "exited"
    leaving.save()
    run = compute(monkeypatch)

    assert run.rows == 1
    assert list(HealthScore.objects.values_list("dealer", flat=True)) == [staying.pk]
    assert HealthMetricScore.objects.count() == 12


def test_an_open_month_moves_to_a_new_weights_version(monkeypatch):
    dealer = dealer_selling(1)
    dealer_selling(2, sales_headcount=2)
    compute(monkeypatch, on=BEFORE_CUTOFF)
    only_target = dict.fromkeys(HealthMetric.values, Decimal("0")) | {"target_achievement": Decimal("1")}
    health_weights_create(weights=only_target, created_by=None)
    compute(monkeypatch, on=BEFORE_CUTOFF)

    assert list(HealthScore.objects.filter(dealer=dealer).values_list("weights__version", "composite")) == [
        (2, Decimal("25.00"))
    ]
    assert list(HealthMonth.objects.values_list("weights__version", flat=True)) == [2]
    assert HealthMetricScore.objects.count() == 24
