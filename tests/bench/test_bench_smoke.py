"""Every script under bench/ run small, on a scratch database of the test run's own server.

The benchmarks are run by hand at national scale and nothing else runs them, so one could
stop starting, crash on a changed model or stop printing its RESULT lines unnoticed. Here each
runs as a subprocess, as by hand, and must exit 0 and end with its RESULT lines. Timings are
not asserted. Deselect with ``-m "not bench_smoke"``.
"""

import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.scratch_db import database_url, scratch_database

pytestmark = pytest.mark.bench_smoke

ROOT = Path(__file__).resolve().parents[2]
# The smallest scale at which every later script still has something to measure: 16 dealers,
# 8,000 sales, 4,800 loans, a tonight's posting of a few dozen loans.
SCALE = "0.002"
TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Script:
    args: tuple[str, ...]
    results: tuple[str, ...]
    after: str | None = None  # the script whose data this one reads


SCRIPTS = {
    "generate": Script(("generate.py", "--scale", SCALE), ("generate",)),
    "health": Script(("health.py",), ("health_month", "health_rerun_final_month"), after="generate"),
    "quality": Script(("quality.py",), ("quality_month", "quality_rerun_month"), after="generate"),
    # After quality.py: it tampers with the month only while the loans have no audit trail,
    # and commission.py's staging writes one.
    "commission": Script(
        ("commission.py", "--scale", SCALE),
        ("commission_full", "commission_incremental", "commission_export_month", "commission_export_month_xlsx"),
        after="quality",
    ),
    "reports": Script(
        ("reports.py", "--repeat", "1"),
        tuple(
            f"report_{name}{suffix}"
            for name in ("ledger", "payables", "penetration", "risk")
            for suffix in ("", "_export")
        ),
        after="commission",  # the reports read a posted ledger
    ),
    "dashboard": Script(
        ("dashboard.py", "--seconds", "2", "--users", "2", "--dealers", "5", "--workers", "2"),
        ("dashboard",),
        after="generate",
    ),
    "imports": Script(("imports.py", "--rows", "200"), ("import_sales",)),  # any migrated database
    "network": Script(
        ("network.py",),
        ("network_trade_areas", "network_decay_fit", "network_plan", "network_what_if"),
        after="generate",
    ),
    "graph": Script(
        ("graph.py",),
        ("graph_build", "graph_model", "graph_model_synthetic", "graph_job"),
        after="network",  # the plan run's overlapping pairs are ties
    ),
    "routing": Script(("routing.py", "--leads", "500"), ("routing_batch", "routing_sla_pass"), after="generate"),
    "inventory": Script(
        ("inventory.py",), ("inventory_metrics", "inventory_alerts", "inventory_alerts_rerun"), after="generate"
    ),
    # Its check compares every page's figures with the raw rows: the summaries kept by whatever
    # the scripts before it wrote.
    "home": Script(("home.py", "--repeat", "1"), ("home",), after="generate"),
    "forecast": Script(("forecast.py",), ("forecast_weekly", "forecast_history_read"), after="generate"),
    "exports": Script(
        ("exports.py",),
        tuple(
            f"export_{name}"
            for name in ("leads", "sales", "stock", "loans", "ledger", "customers", "ledger_xlsx", "audit")
        ),
        after="commission",  # the exports read a posted ledger
    ),
}
# The RESULT lines that must carry a floor (floor_seconds and ratio).
FLOORED = {
    "health_month",
    "quality_month",
    "commission_full",
    "commission_export_month",
    "commission_export_month_xlsx",
    *SCRIPTS["reports"].results,
    "import_sales",
    "network_trade_areas",
    "network_decay_fit",
    "network_plan",
    "network_what_if",
    "graph_build",
    "graph_model",
    "graph_job",
    "routing_batch",
    "inventory_metrics",
    "inventory_alerts",
    "home",
    *SCRIPTS["exports"].results,
}
# A count each of these must report above zero, or the scale is too small to measure anything.
COUNTED = {
    "generate": "sales",
    "health_month": "dealers",
    "quality_month": "integrity_issues",
    "commission_full": "rows",
    "commission_incremental": "rows",
    "commission_export_month": "rows",
    "dashboard": "requests",
    "import_sales": "rows",
    "network_trade_areas": "outlets",
    "network_decay_fit": "buyers",
    "network_plan": "outlets",
    "network_what_if": "cells",
    "graph_build": "outlets",
    "graph_model_synthetic": "rows",
    "graph_job": "rows",
    "routing_batch": "assigned",
    "routing_sla_pass": "rows",
    "forecast_weekly": "series",
    "forecast_history_read": "rows",
    "inventory_metrics": "dealers",
    "inventory_alerts": "alerts",
    "pages": "urls",
    **{name: "rows" for name in SCRIPTS["exports"].results if name != "export_audit"},
    "export_audit": "events",
}
RESULT_LINE = re.compile(r"RESULT (?P<name>\S+)(?P<fields>( \S+=\S*)+)")


@dataclass
class Bench:
    """Runs the scripts on one database, each once, the ones it reads from first."""

    url: str
    runs: dict[str, subprocess.CompletedProcess] = field(default_factory=dict)

    def results(self, name: str) -> dict[str, dict[str, str]]:
        script = SCRIPTS[name]
        if script.after:
            self.results(script.after)
        if name not in self.runs:
            # The scripts' own settings (dealerops.settings.local), not the test run's.
            env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
            self.runs[name] = subprocess.run(
                [sys.executable, f"bench/{script.args[0]}", *script.args[1:]],
                cwd=ROOT,
                env={**env, "DATABASE_URL": self.url},
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
            )
        run = self.runs[name]
        assert run.returncode == 0, (
            f"bench/{' '.join(script.args)} exited with {run.returncode}\n"
            f"--- stdout\n{run.stdout}\n--- stderr\n{run.stderr}"
        )
        return trailing_results(run.stdout, script.results)


def trailing_results(stdout: str, names: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The fields of the RESULT lines that end ``stdout``, checked against the expected names."""
    lines = stdout.rstrip("\n").splitlines()
    tail = lines[-len(names) :]
    parsed = [RESULT_LINE.fullmatch(line) for line in tail]
    assert all(parsed), f"stdout does not end with {len(names)} RESULT lines:\n{stdout}"
    results = {match["name"]: dict(part.split("=", 1) for part in match["fields"].split()) for match in parsed if match}
    assert tuple(results) == names, f"RESULT lines {tuple(results)}, expected {names}:\n{stdout}"
    for name, fields in results.items():
        assert non_negative(fields.get("seconds")), f"{name}: seconds={fields.get('seconds')}"
        # Printed to two decimals: a step of a few milliseconds at this scale shows 0.00.
        assert re.fullmatch(r"\d+", fields.get("peak_mb", "")), f"{name}: peak_mb={fields.get('peak_mb')}"
        if name in FLOORED:
            assert non_negative(fields.get("floor_seconds")), f"{name}: floor_seconds={fields.get('floor_seconds')}"
            assert non_negative(fields.get("ratio")), f"{name}: ratio={fields.get('ratio')}"
        if name in COUNTED:
            assert int(fields[COUNTED[name]]) > 0, f"{name}: nothing measured at scale {SCALE}: {fields}"
    return results


def non_negative(value: str | None) -> bool:
    try:
        number = float(value or "")
    except ValueError:
        return False
    return math.isfinite(number) and number >= 0


@pytest.fixture(scope="module")
def bench() -> Iterator[Bench]:
    """A scratch database on the test run's server (DATABASE_URL's or the embedded one), dropped after."""
    with scratch_database("bench_smoke") as name:
        yield Bench(database_url(name))


def test_generate_builds_a_small_network(bench: Bench) -> None:
    assert int(bench.results("generate")["generate"]["dealers"]) > 0


def test_health_scores_the_last_complete_month(bench: Bench) -> None:
    bench.results("health")


def test_quality_scores_the_month_and_finds_the_tampered_records(bench: Bench) -> None:
    bench.results("quality")


def test_commission_posts_the_ledger_then_tonight_and_exports_a_month(bench: Bench) -> None:
    bench.results("commission")


def test_reports_tie_each_page_and_export_to_its_floor(bench: Bench) -> None:
    bench.results("reports")


def test_dashboard_serves_the_health_map_under_a_short_load(bench: Bench) -> None:
    # Without wrk the script sends the load from Python threads.
    assert bench.results("dashboard")["dashboard"]["errors"] == "0"


def test_imports_checks_and_writes_a_small_sales_file(bench: Bench) -> None:
    bench.results("imports")


def test_network_computes_trade_areas_fits_the_decay_and_plans(bench: Bench) -> None:
    results = bench.results("network")
    assert results["network_trade_areas"]["cells"] != "0"
    assert int(results["network_plan"]["rows"]) >= int(results["network_plan"]["outlets"])


def test_graph_builds_the_dealer_graph_and_times_the_risk_model(bench: Bench) -> None:
    results = bench.results("graph")
    # The smoke dataset scores one month: the model says it has too few, and the job still stores its run.
    assert results["graph_model"]["outcome"] == results["graph_job"]["outcome"] == "few_months"
    assert int(results["graph_job"]["rows"]) >= int(results["graph_build"]["outlets"])


def test_routing_routes_new_leads_and_moves_them_when_overdue_leaving_nothing(bench: Bench) -> None:
    results = bench.results("routing")
    assert results["routing_batch"]["leads"] == results["routing_batch"]["assigned"] == "500"
    assert int(results["routing_batch"]["candidates"]) >= 500
    assert results["routing_sla_pass"]["left_unchanged"] == "yes"  # all of it rolled back


def test_forecast_times_the_weekly_run_of_every_series_with_enough_history(bench: Bench) -> None:
    results = bench.results("forecast")["forecast_weekly"]
    assert int(results["rows"]) == 12 * int(results["series"])  # 12 target weeks a series
    assert int(results["regions"]) > 0


def test_inventory_times_the_stock_metrics_and_the_alerts_run_and_its_idempotent_rerun(bench: Bench) -> None:
    results = bench.results("inventory")
    assert results["inventory_alerts_rerun"]["rows"] == "0"  # nothing opened, changed or resolved


def test_home_times_each_roles_home_page_and_checks_its_figures(bench: Bench) -> None:
    assert bench.results("home")["home"]["checked"] == "yes"


# Home and every timing of the sales list (pages, sorts, searches, CSV, detail) for a role that
# sees the network and one that sees a dealer: enough to exercise each step in about half a minute.
PAGES_ONLY = "^(head_office|dealer_user) /(sales/)? "


def test_pages_times_the_navigation_on_the_dataset_and_one_a_hundred_times_smaller(bench: Bench) -> None:
    bench.results("generate")
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    # An empty small database: the script generates it at SCALE / 100 itself.
    with scratch_database("bench_smoke_small") as small:
        run = subprocess.run(
            [
                sys.executable,
                "bench/pages.py",
                "--scale",
                SCALE,
                "--small-url",
                database_url(small),
                "--repeat",
                "1",
                "--only",
                PAGES_ONLY,
            ],
            cwd=ROOT,
            env={**env, "DATABASE_URL": bench.url},
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
    assert run.returncode == 0, f"bench/pages.py exited with {run.returncode}\n{run.stdout}\n{run.stderr}"
    result = trailing_results(run.stdout, ("pages",))["pages"]
    assert result["errors"] == "0", run.stdout
    # Pages and exports are judged apart: the sales CSV is the only list export timed here.
    assert ":csv" not in result["worst_page"] and ":/sales/:csv" in result["export_worst_page"], run.stdout
    timed = {tuple(line.split()[:3]) for line in run.stdout.splitlines() if line.startswith("  ")}
    for kind in ("page1", "last", "sort=sold_on", "q=key", "q=name", "csv=", "detail"):
        assert any(page == "/sales/" and what.startswith(kind) for _role, page, what in timed), (kind, run.stdout)
    assert ("dealer_user", "/", "page1:") in timed, run.stdout


def test_exports_write_each_lists_month_and_the_audit_changes_beside_copy(bench: Bench) -> None:
    bench.results("exports")
