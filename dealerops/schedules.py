"""Every periodic job in one place: the beat schedule and the operations page read this list."""

from dataclasses import dataclass

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NightlyJob:
    name: str  # the JobRun.job it records
    task: str  # the Celery task's dotted name
    schedule: crontab
    label: str


NIGHTLY_JOBS = [
    NightlyJob(
        name="finance.mature_loans",
        task="finance.tasks.mature_loans",
        schedule=crontab(hour=1, minute=30),
        label=_("Close loans whose term has ended"),
    ),
    NightlyJob(
        name="finance.post_commissions",
        task="finance.tasks.post_commissions",
        schedule=crontab(hour=2, minute=0),
        label=_("Post loan commissions and clawbacks"),
    ),
    NightlyJob(
        name="finance.refresh_exposure",
        task="finance.tasks.refresh_exposure",
        schedule=crontab(hour=2, minute=30),
        label=_("Picture the live loans and their exposure (risk report)"),
    ),
    NightlyJob(
        name="channels.compute_health",
        task="channels.tasks.compute_health",
        schedule=crontab(hour=3, minute=0),
        label=_("Score channel health (last month and this month to date)"),
    ),
    NightlyJob(
        name="channels.plan_network",
        task="channels.tasks.plan_network",
        schedule=crontab(hour=4, minute=0),
        label=_("Plan the network (trade areas, overlaps, white spots, recommendations)"),
    ),
    NightlyJob(
        name="channels.dealer_graph",
        task="channels.tasks.build_dealer_graph",
        schedule=crontab(hour=4, minute=30),  # after the plan: its overlapping pairs are ties
        label=_("Build the dealer graph (clusters, central outlets, risk of a D rating next month)"),
    ),
    NightlyJob(
        name="inventory.stock_alerts",
        task="inventory.tasks.stock_alerts",
        schedule=crontab(hour=5, minute=0),
        label=_("Open, update and resolve stock alerts (stock depth, ageing, mix, overdue units)"),
    ),
    NightlyJob(
        name="datahub.compute_data_quality",
        task="datahub.quality.tasks.compute_data_quality",
        schedule=crontab(hour=3, minute=30),
        label=_("Score data quality (last month, this month to date, months edited since yesterday)"),
    ),
    NightlyJob(
        name="inventory.forecast_weekly",
        task="inventory.tasks.forecast_weekly",
        schedule=crontab(day_of_week="mon", hour=5, minute=0),  # weekly: the week's sales are complete
        label=_("Forecast unit sales per dealer and model for the next 12 weeks (weekly, on Mondays)"),
    ),
]


# Upkeep, not offered on the operations page (nothing to choose a day for): every few minutes,
# leads are routed and those past their SLA re-assigned (a pass with work records a run),
# runs, imports and exports whose process died are marked failed (dealerops.leases); each hour,
# background exports past their expiry are deleted.
UPKEEP_JOBS = [
    NightlyJob(
        name="channels.route_leads",
        task="channels.tasks.route_leads",
        schedule=crontab(minute="*/5"),
        label=_("Route waiting leads and re-assign those past their SLA"),
    ),
    NightlyJob(
        name="dealerops.fail_abandoned_job_runs",
        task="dealerops.tasks.fail_abandoned_job_runs",
        schedule=crontab(minute="*/5"),
        label=_("Fail job runs whose worker stopped"),
    ),
    NightlyJob(
        name="datahub.fail_abandoned_imports",
        task="datahub.tasks.fail_abandoned_imports",
        schedule=crontab(minute="*/5"),
        label=_("Release imports whose worker stopped"),
    ),
    NightlyJob(
        name="dealerops.fail_abandoned_exports",
        task="dealerops.tasks.fail_abandoned_exports",
        schedule=crontab(minute="*/5"),
        label=_("Fail exports whose worker stopped"),
    ),
    NightlyJob(
        name="dealerops.clean_exports",
        task="dealerops.tasks.clean_exports",
        schedule=crontab(minute=15),
        label=_("Delete expired exports"),
    ),
]


@dataclass(frozen=True)
class OnDemandJob:
    name: str  # the JobRun.job it records
    task: str  # the Celery task's dotted name
    label: str


# Jobs a page starts when head office asks (never scheduled, not offered on the operations page).
ON_DEMAND_JOBS = [
    OnDemandJob(
        name="channels.rerate_health",
        task="channels.tasks.rerate_health",
        label=_("Re-rate open health months with the rating bands in force"),
    ),
]


# Parts of a scheduled job that a worker records as runs of their own (never started alone).
CHUNK_JOBS = [
    OnDemandJob(
        name="inventory.forecast_region",
        task="inventory.tasks.forecast_region",
        label=_("Forecast one region's dealers (a chunk of the weekly forecast)"),
    ),
]


def job_label(name: str) -> str:
    """A job's name for people, from the JobRun.job it records (the code if it is not listed)."""
    jobs = [*NIGHTLY_JOBS, *UPKEEP_JOBS, *ON_DEMAND_JOBS, *CHUNK_JOBS]
    return next((str(job.label) for job in jobs if job.name == name), name)


def beat_schedule() -> dict:
    """CELERY_BEAT_SCHEDULE; django-celery-beat copies it into its tables when beat starts."""
    return {job.name: {"task": job.task, "schedule": job.schedule} for job in [*NIGHTLY_JOBS, *UPKEEP_JOBS]}
