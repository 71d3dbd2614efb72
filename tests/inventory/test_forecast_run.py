"""The weekly forecast run on the database: one run per week, every series with enough history
forecast 12 weeks with its class's method, back-tested, recorded as a JobRun, and a re-run of
the same week rewriting the same rows."""

import datetime as dt

import pytest

from dealerops.models import JobRun, JobStatus
from dealerops.schedules import NIGHTLY_JOBS, beat_schedule
from inventory.forecasting.models import Forecast, ForecastRun, ForecastSeries, ForecastStatus
from inventory.forecasting.services import forecast_week_run
from inventory.tasks import forecast_weekly
from tests.inventory.forecast_data import AS_OF, WEEK


@pytest.mark.django_db
def test_the_weekly_run_forecasts_every_series_with_enough_history(network, forecast_history):
    run = forecast_week_run(as_of=AS_OF)
    run.refresh_from_db()
    assert (run.week, run.status, run.series_count, run.skipped_series, run.forecast_rows) == (
        WEEK,
        ForecastStatus.SUCCEEDED,
        3,
        1,
        36,
    )
    assert run.method_summary == {"smooth": {"Theta": 2}, "intermittent": {"TSB": 1}}
    assert run.chunks.keys() == {str(network.home_region.pk), str(network.foreign_region.pk)}
    home = Forecast.objects.filter(run=run, dealer=network.home_dealer, model=forecast_history["smooth"]).order_by(
        "target_week"
    )
    assert [row.target_week for row in home] == [WEEK + dt.timedelta(weeks=k) for k in range(12)]
    assert {row.method for row in home} == {"Theta"}
    assert all(row.lo <= row.units <= row.hi for row in home)
    assert 3 < sum(row.units for row in home) / 12 < 9  # about 6 a week, as generated (the season moves it)
    sparse = Forecast.objects.filter(run=run, model=forecast_history["sparse"])
    assert sparse.count() == 12 and {(row.method, row.lo, row.hi) for row in sparse} == {("TSB", None, None)}
    assert not Forecast.objects.filter(model=forecast_history["newcomer"]).exists()
    # Back-tested: 8 origins, horizons 1–4 within the history.
    scored = ForecastSeries.objects.get(run=run, dealer=network.home_dealer, model=forecast_history["smooth"])
    assert (scored.series_class, scored.backtested, scored.points) == ("smooth", True, 26)
    assert scored.history_weeks == 110 and scored.units_sold == int(
        forecast_history["panel"].query("unique_id == 0")["y"].sum()
    )
    job = JobRun.objects.get(job="inventory.forecast_weekly")
    assert (job.status, job.rows, job.period) == (JobStatus.SUCCEEDED, 36, "2026-11-23")
    # The CNY of February 2026 and 2025 are in the history: the profile has its dip.
    assert run.cny_profile["0"] < 1 and len(run.annual_profile) == 52


@pytest.mark.django_db
def test_a_rerun_of_the_week_rewrites_the_same_rows(network, forecast_history):
    forecast_weekly(as_of=AS_OF.isoformat())
    first = dict(Forecast.objects.values_list("pk", "units"))
    forecast_weekly(as_of=(AS_OF + dt.timedelta(days=2)).isoformat())  # the same week
    assert ForecastRun.objects.count() == 1
    assert dict(Forecast.objects.values_list("pk", "units")) == first
    assert JobRun.objects.filter(job="inventory.forecast_weekly", status=JobStatus.SUCCEEDED).count() == 2


@pytest.mark.django_db
def test_the_forecast_runs_weekly_on_monday_and_is_offered_on_the_operations_page():
    job = next(job for job in NIGHTLY_JOBS if job.name == "inventory.forecast_weekly")
    assert job.schedule.day_of_week == {1} and job.schedule.hour == {5}
    assert beat_schedule()["inventory.forecast_weekly"]["task"] == "inventory.tasks.forecast_weekly"
