"""The weekly forecast run: one SQL aggregate in per region, statsforecast on all of the
region's series at once, bulk upserts out.

``forecast_week_run`` prepares the week's run (the CNY profiles, from the network's weekly
totals in the sales-by-day summary) and starts one chunk per region: in this process when
Celery runs eagerly (``make run``, tests), as tasks sent by name to the workers otherwise.
Each chunk (``forecast_region``) writes its region's series and forecasts in one transaction,
then counts itself done; the chunk that finds every region done counts the run's rows in
PostgreSQL and closes the run (no chord: a counter row, as DESIGN.md asks).

Re-running a week is idempotent: the rows are upserted on (run, dealer, model[, target week])
and the rows of a region's series that no longer qualify are deleted.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from channels.models import Region
from dealerops.bulk import bulk_upsert
from dealerops.celery import app as celery_app
from dealerops.jobs import tracked_run
from dealerops.models import JobRun
from inventory.forecasting import methods
from inventory.forecasting.calendar import (
    annual_profile,
    cny_profile,
    factors_by_week,
    week_index,
    week_of_index,
    week_start,
)
from inventory.forecasting.models import Forecast, ForecastRun, ForecastSeries, ForecastStatus

FORECAST_JOB = "inventory.forecast_weekly"
REGION_JOB = "inventory.forecast_region"
REGION_TASK = "inventory.tasks.forecast_region"
HISTORY_WEEKS = 156  # three years: enough for two CNYs and Theta's seasonal test, bounded work

# Units sold per dealer × model × week (Monday-based: sales dates are Shanghai dates).
REGION_HISTORY = """
SELECT s.dealer_id, u.model_id, date_trunc('week', s.sold_on)::date AS week, count(*) AS units
FROM inventory_sale s
JOIN inventory_stockunit u ON u.id = s.stock_unit_id
JOIN channels_dealer d ON d.id = s.dealer_id
WHERE d.region_id = %(region)s AND s.sold_on >= %(since)s AND s.sold_on < %(week)s
GROUP BY 1, 2, 3
"""
# The network's units per week, from the triggers' daily summary (3,000 rows a day, not sales).
NETWORK_HISTORY = """
SELECT date_trunc('week', day)::date AS week, sum(units) FROM inventory_salesday
WHERE day >= %(since)s AND day < %(week)s GROUP BY 1
"""


def _json_profile(profile: dict[int, float]) -> dict[str, float]:
    return {str(offset): factor for offset, factor in profile.items()}


def _profile(stored: dict[str, float]) -> dict[int, float]:
    return {int(offset): factor for offset, factor in stored.items()}


def _profiles(network: dict[int, float]) -> tuple[dict[int, float], dict[int, float]]:
    """The CNY profile and the annual index of the network's weekly units."""
    cny = cny_profile(network)
    return cny, annual_profile(network, cny)


def network_weekly_units(week: date) -> dict[int, float]:
    """The network's units of each complete week of the history before ``week`` (zero weeks included)."""
    since = week - timedelta(weeks=HISTORY_WEEKS)
    with connection.cursor() as cursor:
        cursor.execute(NETWORK_HISTORY, {"since": since, "week": week})
        found = {week_index(monday): float(units) for monday, units in cursor.fetchall()}
    if not found:
        return {}
    first, last = min(found), week_index(week) - 1
    return {index: found.get(index, 0.0) for index in range(first, last + 1)}


def forecast_week_run(*, as_of: date, started_by_id: int | None = None) -> ForecastRun:
    """Forecast from the week holding ``as_of``: the complete weeks before it are the history,
    it and the 11 weeks after are the targets. Records a JobRun."""
    week = week_start(as_of)
    with tracked_run(FORECAST_JOB, period=week.isoformat(), started_by_id=started_by_id) as job:
        run = _run_prepare(week, started_by_id)
        regions = list(Region.objects.order_by("pk").values_list("pk", flat=True))
        if celery_app.conf.task_always_eager:
            for region_id in regions:
                forecast_region(run_id=run.pk, region_id=region_id)
            run.refresh_from_db()
            job.rows = run.forecast_rows
        else:
            for region_id in regions:
                kwargs = {"run_id": run.pk, "region_id": region_id}
                transaction.on_commit(lambda kwargs=kwargs: celery_app.send_task(REGION_TASK, kwargs=kwargs))
            job.rows = len(regions)  # chunks sent; each records its own run
    return run


def _run_prepare(week: date, started_by_id: int | None) -> ForecastRun:
    network = network_weekly_units(week)
    first_origin = week_index(week) - 1 - methods.BACKTEST_ORIGINS
    cny, annual = _profiles(network)
    before = {index: units for index, units in network.items() if index <= first_origin}
    backtest_cny, backtest_annual = _profiles(before)
    regions = Region.objects.count()
    run, _created = ForecastRun.objects.update_or_create(
        week=week,
        defaults={
            "status": ForecastStatus.RUNNING if regions else ForecastStatus.SUCCEEDED,
            "started_at": timezone.now(),
            "finished_at": None if regions else timezone.now(),
            "started_by_id": started_by_id,
            "regions_total": regions,
            "chunks": {},
            "error": "",
            "cny_profile": _json_profile(cny),
            "annual_profile": _json_profile(annual),
            "backtest_profile": {"cny": _json_profile(backtest_cny), "annual": _json_profile(backtest_annual)},
        },
    )
    return run


def forecast_region_job(*, run_id: int, region_id: int) -> JobRun:
    """One region's chunk as a worker runs it, recorded as its own JobRun; a failure fails the run."""
    run = ForecastRun.objects.get(pk=run_id)
    region = Region.objects.get(pk=region_id)
    try:
        with tracked_run(REGION_JOB, period=f"{run.week.isoformat()} {region.code}") as job:
            job.rows = forecast_region(run_id=run_id, region_id=region_id)
    except Exception as error:
        ForecastRun.objects.filter(pk=run_id).update(
            status=ForecastStatus.FAILED, finished_at=timezone.now(), error=f"{region.code}: {error}"
        )
        raise
    return job


@dataclass
class Panel:
    """A region's series in the long form statsforecast takes, and who each series is."""

    frame: pd.DataFrame  # unique_id, ds, y
    keys: pd.DataFrame  # index unique_id: dealer_id, model_id


def region_panel(region_id: int, week: date) -> Panel:
    """Weekly units of every dealer × model series of the region, from the series' first sale
    (within the history) to the last complete week, zero weeks filled."""
    since = week - timedelta(weeks=HISTORY_WEEKS)
    with connection.cursor() as cursor:
        cursor.execute(REGION_HISTORY, {"region": region_id, "since": since, "week": week})
        sales = pd.DataFrame(cursor.fetchall(), columns=["dealer_id", "model_id", "week", "units"])
    if sales.empty:
        empty = pd.DataFrame({"unique_id": [], "ds": [], "y": []})
        return Panel(empty, pd.DataFrame(columns=["dealer_id", "model_id"]))
    sales["ds"] = sales["week"].map(week_index)
    keys = sales[["dealer_id", "model_id"]].drop_duplicates().sort_values(["dealer_id", "model_id"])
    keys = keys.reset_index(drop=True).rename_axis("unique_id")
    sales = sales.merge(keys.reset_index(), on=["dealer_id", "model_id"])
    last = week_index(week) - 1
    first = sales.groupby("unique_id")["ds"].min().sort_index()
    lengths = (last - first + 1).to_numpy()
    unique_ids = np.repeat(first.index.to_numpy(), lengths)
    # Each series' weeks: its first week plus 0, 1, … (a running count within the series).
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    frame = pd.DataFrame({"unique_id": unique_ids, "ds": np.repeat(first.to_numpy(), lengths) + offsets})
    frame = frame.merge(sales[["unique_id", "ds", "units"]], on=["unique_id", "ds"], how="left")
    frame["y"] = frame.pop("units").fillna(0).astype(float)
    return Panel(frame, keys)


def forecast_region(*, run_id: int, region_id: int) -> int:
    """Classify, forecast and back-test the region's series of the run's week and upsert them;
    returns the forecast rows written. Closes the run when it is the last region done."""
    run = ForecastRun.objects.get(pk=run_id)
    with transaction.atomic():
        rows, skipped = _region_write(run, region_id)
        run = ForecastRun.objects.select_for_update().get(pk=run_id)
        run.chunks[str(region_id)] = {"rows": rows, "skipped": skipped}
        if len(run.chunks) >= run.regions_total and run.status == ForecastStatus.RUNNING:
            _close(run)
        run.save()
    return rows


def _region_write(run: ForecastRun, region_id: int) -> tuple[int, int]:
    """The region's rows written: (forecast rows, series skipped for too little history)."""
    panel = region_panel(region_id, run.week)
    last = week_index(run.week) - 1
    grid = range(last - HISTORY_WEEKS, last + methods.HORIZON + 1)
    now = timezone.now()
    frame = panel.frame[panel.frame["unique_id"].isin(methods.eligible(panel.frame))] if len(panel.frame) else None
    series_rows, forecast_rows = [], []
    if frame is not None and len(frame):
        classes = methods.classify_panel(frame)
        factors = factors_by_week(_profile(run.cny_profile), grid, _profile(run.annual_profile))
        ahead = methods.forecast(frame, classes["method"], h=methods.HORIZON, factors=factors)
        backtest = run.backtest_profile
        sums = _backtest(frame, last, factors_by_week(_profile(backtest["cny"]), grid, _profile(backtest["annual"])))
        stats = frame.groupby("unique_id")["y"].agg(weeks="size", units="sum")
        for unique_id, found in classes.iterrows():
            dealer_id, model_id = panel.keys.loc[unique_id, ["dealer_id", "model_id"]]
            scored = sums.loc[unique_id] if unique_id in sums.index else None
            series_rows.append(
                {
                    "run": run.pk,
                    "dealer": int(dealer_id),
                    "model": int(model_id),
                    "series_class": found["series_class"],
                    "method": found["method"],
                    "adi": float(found["adi"]),
                    "cv2": float(found["cv2"]),
                    "history_weeks": int(stats.loc[unique_id, "weeks"]),
                    "units_sold": int(stats.loc[unique_id, "units"]),
                    "backtested": scored is not None,
                    **{name: (float(scored[name]) if scored is not None else 0.0) for name in methods.BACKTEST_SUMS},
                    "computed_at": now,
                }
            )
        ahead = ahead.merge(panel.keys.reset_index(), on="unique_id").merge(
            classes[["series_class"]].reset_index(), on="unique_id"
        )
        for row in ahead.itertuples(index=False):
            forecast_rows.append(
                {
                    "run": run.pk,
                    "dealer": int(row.dealer_id),
                    "model": int(row.model_id),
                    "target_week": week_of_index(row.ds),
                    "units": round(float(row.units), 4),
                    "lo": None if pd.isna(row.lo) else round(min(float(row.lo), float(row.units)), 4),
                    "hi": None if pd.isna(row.hi) else round(max(float(row.hi), float(row.units)), 4),
                    "method": row.method,
                    "series_class": row.series_class,
                    "computed_at": now,
                }
            )
    for row in series_rows:
        for name in ("points", "scaled_points"):
            row[name] = int(row[name])
    bulk_upsert(
        ForecastSeries,
        series_rows,
        unique=["run", "dealer", "model"],
        update=[name for name in series_rows[0] if name not in {"run", "dealer", "model"}] if series_rows else [],
    )
    bulk_upsert(
        Forecast,
        forecast_rows,
        unique=["run", "dealer", "model", "target_week"],
        update=["units", "lo", "hi", "method", "series_class", "computed_at"],
    )
    # Series of the region this run had before and no longer forecasts (their last sale left the history).
    for table in (Forecast, ForecastSeries):
        table.objects.filter(run=run, dealer__region_id=region_id, computed_at__lt=now).delete()
    return len(forecast_rows), len(panel.keys) - len(series_rows)


def _backtest(frame: pd.DataFrame, last: int, factors: dict[int, float]) -> pd.DataFrame:
    """Back-test sums per series long enough to classify before the first origin."""
    first_origin = last - methods.BACKTEST_ORIGINS
    before = frame[frame["ds"] <= first_origin]
    if before.empty:
        return pd.DataFrame(columns=methods.BACKTEST_SUMS)
    scored_ids = methods.eligible(before)
    if not len(scored_ids):
        return pd.DataFrame(columns=methods.BACKTEST_SUMS)
    chosen = methods.classify_panel(before[before["unique_id"].isin(scored_ids)])["method"]
    return methods.backtest(frame[frame["unique_id"].isin(scored_ids)], chosen, factors=factors)


def _close(run: ForecastRun) -> None:
    """The last chunk's step: the run's figures counted in PostgreSQL (every chunk has committed)."""
    summary: dict[str, dict[str, int]] = {}
    for row in run.series.values("series_class", "method").annotate(n=Count("pk")).order_by():
        summary.setdefault(row["series_class"], {})[row["method"]] = row["n"]
    run.method_summary = summary
    run.series_count = run.series.count()
    run.forecast_rows = run.forecasts.count()
    run.skipped_series = sum(chunk["skipped"] for chunk in run.chunks.values())
    run.status = ForecastStatus.SUCCEEDED
    run.finished_at = timezone.now()
