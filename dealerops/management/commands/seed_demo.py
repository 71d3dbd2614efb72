"""Load the demo network (8 regions, about 200 dealers, 24 months, 100,000 sales) and one
demo user per role. A second run reuses what is there."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from channels.models import Dealer
from channels.planning.services import network_plan
from dealerops.models import User
from dealerops.synthetic.admission import admission_build
from dealerops.synthetic.demo import DEMO_PASSWORD, DemoAccount, demo_users_ensure
from dealerops.synthetic.generator import GenerationReport, Step, generate_network
from dealerops.synthetic.health import health_build
from dealerops.synthetic.inspections import inspections_build
from dealerops.synthetic.ledger import ledger_build
from dealerops.synthetic.quality import quality_build
from dealerops.synthetic.routing import routing_build
from dealerops.synthetic.spec import NetworkSpec
from dealerops.synthetic.stock import stock_alerts_build
from dealerops.synthetic.tracking import tracking_build
from finance.models import CommissionEntry
from inventory.forecasting.services import forecast_week_run


class Command(BaseCommand):
    help = (
        "Build the demo dealer network (deterministic for a seed) and its demo users. An existing "
        "network is reused untouched unless --reset, which empties the network tables and the users first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Rebuild the network and the demo users.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed of the network (default 2026).")
        parser.add_argument(
            "--scale",
            type=float,
            default=None,
            help="Build the national network times S instead of the demo's (0.002: 16 dealers, a few seconds).",
        )

    def handle(self, *args, reset: bool, seed: int, scale: float | None, **options):
        if Dealer.objects.exists() and not reset:
            self.stdout.write("A dealer network is already loaded: reusing it unchanged (--reset rebuilds it).")
            accounts = demo_users_ensure(reset_passwords=False)
        else:
            started = time.perf_counter()
            if scale is not None and scale <= 0:
                raise CommandError("--scale must be positive")
            spec = NetworkSpec.demo(seed=seed) if scale is None else NetworkSpec.national(scale, seed=seed)
            self.stdout.write(f"Building the demo network (seed {seed}, data up to {spec.end_date}) ...")
            report = generate_network(spec, progress=self._show_step)
            accounts = demo_users_ensure(reset_passwords=True)
            ledger_started = time.perf_counter()
            ledger_build(spec, closed_by=User.objects.get(username="finance"))
            self._show_step(
                Step("commission ledger", CommissionEntry.objects.count(), time.perf_counter() - ledger_started, True)
            )
            routing_started = time.perf_counter()
            rows = routing_build(spec)
            self._show_step(Step("lead routing", rows, time.perf_counter() - routing_started, True))
            health_started = time.perf_counter()
            rows = health_build(spec)
            self._show_step(Step("channel health scores", rows, time.perf_counter() - health_started, True))
            quality_started = time.perf_counter()
            rows = quality_build(spec)
            self._show_step(Step("data-quality scores", rows, time.perf_counter() - quality_started, True))
            plan_started = time.perf_counter()
            run = network_plan(as_of=spec.end_date)
            self._show_step(Step("network plan", run.job_run.rows, time.perf_counter() - plan_started, True))
            admission_started = time.perf_counter()
            rows = admission_build()
            self._show_step(Step("dealer applications", rows, time.perf_counter() - admission_started, True))
            inspections_started = time.perf_counter()
            rows = inspections_build(spec)
            self._show_step(Step("field inspections", rows, time.perf_counter() - inspections_started, True))
            tracking_started = time.perf_counter()
            rows = tracking_build(spec)
            self._show_step(Step("in-transit positions", rows, time.perf_counter() - tracking_started, True))
            forecast_started = time.perf_counter()
            # The week after the last day of data: its forecast reads every complete week.
            forecast = forecast_week_run(as_of=spec.end_date + timedelta(days=1))
            forecast.refresh_from_db()
            self._show_step(
                Step("weekly forecast", forecast.forecast_rows, time.perf_counter() - forecast_started, True)
            )
            alerts_started = time.perf_counter()
            rows = stock_alerts_build(spec)
            self._show_step(Step("stock alerts", rows, time.perf_counter() - alerts_started, True))
            self._show_counts(report, time.perf_counter() - started)
        self._show_accounts(accounts)

    def _show_step(self, step: Step) -> None:
        self.stdout.write(f"  {step.name:<32} {step.rows:>10,} {step.seconds:>7.2f} s")

    def _show_counts(self, report: GenerationReport, seconds: float) -> None:
        total = sum(report.rows.values())
        self.stdout.write(self.style.SUCCESS(f"Demo network built in {seconds:.1f} s: {total:,} rows."))

    def _show_accounts(self, accounts: list[DemoAccount]) -> None:
        self.stdout.write(f"Demo log-ins (password {DEMO_PASSWORD}):")
        width = max(len(account.role) for account in accounts)
        for account in accounts:
            self.stdout.write(f"  {account.username:<9} {account.role:<{width}}  {account.scope}")
