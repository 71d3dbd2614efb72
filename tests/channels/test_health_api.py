"""/api/v1/health-scores/: who sees which dealer's scores, the filters, and a fixed number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from channels.health import services
from channels.models import HealthMetric, HealthScore
from channels.tasks import compute_health
from dealerops.models import JobRun
from tests.background import join_job_threads
from tests.channels.health import OCTOBER, SEPTEMBER, compute, sell
from tests.factories import DealerFactory, HealthScoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    def as_user(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return as_user


@pytest.fixture
def scored(network, monkeypatch):
    """October scored for the home dealer, a second dealer of the home region, and the foreign dealer."""
    neighbour = DealerFactory(code="HZ02", region=network.home_region)
    for units, dealer in enumerate((network.home_dealer, neighbour, network.foreign_dealer), start=1):
        for day in range(units):
            sell(dealer, OCTOBER + dt.timedelta(days=day))
    compute(monkeypatch)
    return {score.dealer.code: score for score in HealthScore.objects.select_related("dealer")}


def codes(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["dealer_code"] for row in response.json()["results"]}


def test_each_role_sees_the_scores_of_its_scope(network, scored, api):
    assert codes(api(network.dealer_user).get("/api/v1/health-scores/")) == {"HZ01"}
    assert codes(api(network.regional_manager).get("/api/v1/health-scores/")) == {"HZ01", "HZ02"}
    assert codes(api(network.finance_user).get("/api/v1/health-scores/")) == {"HZ01", "HZ02", "CD01"}
    assert codes(api(network.head_office).get("/api/v1/health-scores/")) == {"HZ01", "HZ02", "CD01"}


def test_a_foreign_score_answers_404_and_no_one_may_write(network, scored, api):
    assert api(network.dealer_user).get(f"/api/v1/health-scores/{scored['HZ02'].pk}/").status_code == 404
    assert api(network.regional_manager).get(f"/api/v1/health-scores/{scored['CD01'].pk}/").status_code == 404
    assert api(network.head_office).post("/api/v1/health-scores/", {}).status_code == 405


def test_the_payload_carries_the_12_metric_scores_in_order(network, scored, api):
    row = api(network.dealer_user).get(f"/api/v1/health-scores/{scored['HZ01'].pk}/").json()
    assert [metric["metric"] for metric in row["metrics"]] == HealthMetric.values
    target = row["metrics"][0]
    # 1 sale against a target of 100, the lowest of the three 4S stores: 100 x 0.5 / 3
    assert target == {
        "metric": "target_achievement",
        "value": "0.0100",
        "sample": 100,
        "score": "16.67",
        "insufficient": False,
    }
    assert row["metrics"][2]["insufficient"] is True and row["metrics"][2]["score"] is None
    # The lowest of three peers under the default bands (version 2): C.
    assert (row["month"], row["weights_version"], row["rating_bands_version"], row["rating"]) == (
        "2026-10-01",
        1,
        2,
        "C",
    )


def test_filters_by_month_region_dealer_and_rating(network, scored, api):
    client = api(network.head_office)
    HealthScoreFactory(dealer=network.home_dealer, month=SEPTEMBER, composite=Decimal("90.00"), rating="A")
    assert codes(client.get("/api/v1/health-scores/", {"month": "2026-09"})) == {"HZ01"}
    assert len(client.get("/api/v1/health-scores/", {"month": "2026-10"}).json()["results"]) == 3
    assert codes(client.get("/api/v1/health-scores/", {"region": network.foreign_region.pk})) == {"CD01"}
    assert codes(client.get("/api/v1/health-scores/", {"dealer": scored["HZ02"].dealer_id})) == {"HZ02"}
    assert codes(client.get("/api/v1/health-scores/", {"rating": "A"})) == {"HZ01"}
    assert client.get("/api/v1/health-scores/", {"month": "October"}).status_code == 400


def test_a_dealer_cannot_filter_by_a_foreign_dealer(network, scored, api):
    response = api(network.dealer_user).get("/api/v1/health-scores/", {"dealer": network.foreign_dealer.pk})
    assert response.status_code == 400


def test_the_list_takes_a_fixed_number_of_queries(network, api, django_assert_max_num_queries):
    for index in range(12):
        HealthScoreFactory(dealer=DealerFactory(region=network.home_region, code=f"Q{index:03d}"))
    client = api(network.regional_manager)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/health-scores/")
    assert response.json()["count"] == 12


def test_the_nightly_task_scores_last_month_and_this_month_to_date(network, monkeypatch):
    monkeypatch.setattr(services, "today", lambda: dt.date(2026, 11, 15))
    run_ids = compute_health.delay(as_of="2026-10-20").get()

    runs = JobRun.objects.filter(pk__in=run_ids).order_by("period")
    assert [(run.job, run.period, run.status, run.rows) for run in runs] == [
        ("channels.compute_health", "2026-09", "succeeded", 2),
        ("channels.compute_health", "2026-10", "succeeded", 2),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_operations_page_starts_the_health_job_for_a_past_day(network, client_for, monkeypatch):
    monkeypatch.setattr(services, "today", lambda: dt.date(2026, 11, 15))
    client = client_for(network.head_office)
    response = client.post("/operations/", {"job": "channels.compute_health", "as_of": "2026-10-20"})
    assert response.status_code == 302
    join_job_threads()  # the job runs in the background
    assert set(JobRun.objects.filter(job="channels.compute_health").values_list("period", flat=True)) == {
        "2026-09",
        "2026-10",
    }


def test_the_command_scores_one_month_and_names_a_malformed_one(network, monkeypatch, capsys):
    monkeypatch.setattr(services, "today", lambda: dt.date(2026, 11, 15))
    call_command("compute_health", "--month", "2026-10")
    assert "2026-10: 2 dealers scored" in capsys.readouterr().out
    with pytest.raises(CommandError, match="2026-10"):
        call_command("compute_health", "--month", "10/2026")
    with pytest.raises(CommandError, match="before it begins"):
        call_command("compute_health", "--month", "2027-01")
