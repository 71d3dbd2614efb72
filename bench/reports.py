"""The finance reports on whatever dataset DATABASE_URL holds (national scale: generate.py --scale 1
and a posted ledger, e.g. bench/commission.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/reports.py [--repeat N]
        [--small postgres://postgres@127.0.0.1:5432/bench_small]

For each report page (ledger, payables, penetration, risk) it times the page as a finance user
gets it (the view: filter form, the report selectors, charts, the rendered template) for the
twelve months that end with the data's last month, and the CSV export of its table for one
month (the data's last complete month), against the floor: hand-written SQL computing the same
figures (one grouped pass per table where the figures allow it), in the same run. The totals the
page and the export show must tie with the floor's to the fen. Each side runs ``--repeat`` times
(default 2) and the best time counts, so both find the tables in the cache. The load average of
the machine (other work shares its cores) is printed beside each figure.

The pages read summary tables (finance.models.summaries), so their cost should not grow with
the network: ``--small`` names a database generated a hundred times smaller (and posted the
same way); the same pages and exports are timed there (in a subprocess) and a RESULT line per
report gives national / small (``report_<name>_scale``), then ``reports_scale worst_ratio=…``.
Before timing, the summaries are rebuilt from the raw rows (bench/commission.py stages loans with
the triggers off) and the nightly exposure job runs if the as-of days' snapshots are missing
(both times are printed), as it would have overnight. Exports stream in the request
here (the background-export threshold is lifted) so the writer is what is timed.
"""

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

from common import print_table, result_line, setup_django

BAND = (
    "CASE WHEN {t} <= 12 THEN '6_12' WHEN {t} <= 24 THEN '13_24' WHEN {t} <= 36 THEN '25_36'"
    " WHEN {t} <= 60 THEN '37_60' END"
)
# Kinds' sums, as the ledger's totals (LedgerTotals) name them.
KIND_SUMS = """
  COALESCE(sum(e.amount) FILTER (WHERE e.kind = 'accrual'), 0) AS accrued,
  COALESCE(sum(e.amount) FILTER (WHERE e.kind = 'clawback'), 0) AS clawed_back,
  COALESCE(sum(e.amount) FILTER (WHERE e.kind = 'adjustment'), 0) AS adjusted,
  COALESCE(sum(e.amount) FILTER (WHERE e.kind = 'receipt'), 0) AS received,
  count(*) AS entries"""
IN_RANGE = "e.period_id IN (SELECT id FROM finance_commissionperiod WHERE month BETWEEN %(first)s AND %(last)s)"

FLOOR = {
    # the page's rows (limit), how many there are, the totals and the net per month and lender
    "ledger": [
        f"""
        SELECT p.month, d.code, d.name, l.name, g.accrued, g.clawed_back, g.adjusted, g.received, g.entries,
               count(*) OVER () FROM (
          SELECT e.period_id, e.dealer_id, e.lender_id, {KIND_SUMS}
          FROM finance_commissionentry e WHERE {IN_RANGE} GROUP BY 1, 2, 3) g
        JOIN finance_commissionperiod p ON p.id = g.period_id JOIN channels_dealer d ON d.id = g.dealer_id
        JOIN finance_lender l ON l.id = g.lender_id
        ORDER BY p.month DESC, d.code, l.name LIMIT %(limit)s""",
        f"""
        SELECT p.month, l.name, {KIND_SUMS}, GROUPING(p.month) AS total
        FROM finance_commissionentry e JOIN finance_commissionperiod p ON p.id = e.period_id
        JOIN finance_lender l ON l.id = e.lender_id
        WHERE p.month BETWEEN %(first)s AND %(last)s GROUP BY GROUPING SETS ((p.month, l.name), ())""",
    ],
    "payables": [
        f"""
        SELECT l.name, {KIND_SUMS}, GROUPING(l.name) AS total
        FROM finance_commissionentry e JOIN finance_lender l ON l.id = e.lender_id
        WHERE {IN_RANGE} GROUP BY GROUPING SETS ((l.name), ()) ORDER BY l.name"""
    ],
    # sales, loans disbursed and net commission by region, by dealer and in all
    "penetration": [
        """
        SELECT d.region_id, s.dealer_id, sum(s.n)::bigint, sum(s.on_loan)::bigint, GROUPING(d.region_id, s.dealer_id)
        FROM (SELECT dealer_id, count(*) AS n, count(*) FILTER (WHERE payment = 'loan') AS on_loan
              FROM inventory_sale WHERE sold_on BETWEEN %(first)s AND %(last_day)s GROUP BY 1) s
        JOIN channels_dealer d ON d.id = s.dealer_id
        GROUP BY GROUPING SETS ((d.region_id), (s.dealer_id), ())""",
        """
        SELECT d.region_id, l.dealer_id, sum(l.n)::bigint, GROUPING(d.region_id, l.dealer_id)
        FROM (SELECT dealer_id, count(*) AS n FROM finance_loan
              WHERE status IN ('disbursed', 'paid_off_early', 'defaulted', 'matured')
                AND disbursed_on BETWEEN %(first)s AND %(last_day)s GROUP BY 1) l
        JOIN channels_dealer d ON d.id = l.dealer_id
        GROUP BY GROUPING SETS ((d.region_id), (l.dealer_id), ())""",
        f"""
        SELECT d.region_id, e.dealer_id, sum(e.net), GROUPING(d.region_id, e.dealer_id)
        FROM (SELECT e.dealer_id, sum(e.amount) AS net FROM finance_commissionentry e
              WHERE {IN_RANGE} AND e.kind IN ('accrual', 'clawback', 'adjustment') GROUP BY 1) e
        JOIN channels_dealer d ON d.id = e.dealer_id
        GROUP BY GROUPING SETS ((d.region_id), (e.dealer_id), ())""",
    ],
    # one pass over the loans (figures per lender, grade and band in parallel, then summed per
    # table and in all) and one over the clawbacks
    "risk": [
        f"""
        SELECT lender_id, credit_grade, band, GROUPING(lender_id, credit_grade, band),
          sum(loans)::bigint, sum(defaulted)::bigint, sum(early)::bigint, sum(live_loans)::bigint,
          COALESCE(sum(exposure), 0)
        FROM (
          SELECT lender_id, credit_grade, band,
            count(*) FILTER (WHERE cohort) AS loans,
            count(*) FILTER (WHERE cohort AND closed_on <= %(as_of)s AND status = 'defaulted') AS defaulted,
            count(*) FILTER (WHERE cohort AND closed_on <= %(as_of)s AND status = 'paid_off_early') AS early,
            count(*) FILTER (WHERE live) AS live_loans,
            sum(round(principal * (power(1 + annual_rate / 12, term_months)
                  - power(1 + annual_rate / 12, paid)) / (power(1 + annual_rate / 12, term_months) - 1), 2))
              FILTER (WHERE live) AS exposure
          FROM (
            SELECT l.*, {BAND.format(t="l.term_months")} AS band,
                   l.disbursed_on BETWEEN %(first)s AND %(last_day)s AS cohort,
                   (l.disbursed_on <= %(as_of)s AND (l.closed_on IS NULL OR l.closed_on > %(as_of)s)) AS live,
                   LEAST(l.term_months, (EXTRACT(YEAR FROM age(%(as_of)s, l.disbursed_on)) * 12
                         + EXTRACT(MONTH FROM age(%(as_of)s, l.disbursed_on)))::integer) AS paid
            FROM finance_loan l
            WHERE l.status IN ('disbursed', 'paid_off_early', 'defaulted', 'matured')
              AND (l.disbursed_on BETWEEN %(first)s AND %(last_day)s
                   OR (l.disbursed_on <= %(as_of)s AND (l.closed_on IS NULL OR l.closed_on > %(as_of)s)))) l
          GROUP BY 1, 2, 3) fine
        GROUP BY GROUPING SETS ((lender_id), (credit_grade), (band), ())""",
        f"""
        SELECT e.lender_id, e.credit_grade, {BAND.format(t="e.term_months")} AS band,
               GROUPING(e.lender_id, e.credit_grade, {BAND.format(t="e.term_months")}), sum(e.amount)
        FROM finance_commissionentry e WHERE {IN_RANGE} AND e.kind = 'clawback'
        GROUP BY GROUPING SETS ((e.lender_id), (e.credit_grade), ({BAND.format(t="e.term_months")}), ())""",
    ],
}


def load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def month_back(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    return month_back(month, -1) - timedelta(days=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each side; the best counts (default 2)")
    parser.add_argument("--only", nargs="*", choices=list(FLOOR), help="these reports only")
    parser.add_argument("--small", help="DATABASE_URL of the dataset a hundred times smaller, for the scale ratio")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # the --small subprocess's output
    args = parser.parse_args()
    setup_django()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Max
    from django.test import RequestFactory

    from dealerops.models import Role, User
    from dealerops.summaries import analyze_summaries
    from dealerops.validation import today
    from finance import report_views
    from finance.models import CommissionEntry, ExposureSnapshot, Loan
    from finance.services.summaries import exposure_days, exposure_refresh, summaries_rebuild
    from inventory.models import Sale

    settings.EXPORT_BACKGROUND_MIN_ROWS = sys.maxsize
    call_command("migrate", interactive=False, verbosity=0)
    last_day = max(
        filter(
            None,
            [
                Sale.objects.aggregate(last=Max("sold_on"))["last"],
                Loan.objects.aggregate(last=Max("disbursed_on"))["last"],
            ],
        ),
        default=None,
    )
    if last_day is None or not CommissionEntry.objects.exists():
        raise SystemExit("No sales, loans or ledger here: generate.py, then post the ledger (commission.py).")
    last_month = last_day.replace(day=1)
    first_month = month_back(last_month, 11)
    export_month = month_back(last_month, 1)  # the last complete month
    user, _created = User.objects.get_or_create(
        username="bench-reports-finance", defaults={"role": Role.FINANCE, "email": "bench@example.invalid"}
    )
    factory = RequestFactory(SERVER_NAME="localhost")
    views = {
        "ledger": report_views.LedgerReportView,
        "payables": report_views.PayablesReportView,
        "penetration": report_views.PenetrationReportView,
        "risk": report_views.RiskReportView,
    }
    as_of = min(today(), month_end(last_month))
    print(
        f"Loans {Loan.objects.count():,}, sales {Sale.objects.count():,}, ledger {CommissionEntry.objects.count():,};"
        f" pages {first_month:%Y-%m} to {last_month:%Y-%m} as of {as_of}, exports {export_month:%Y-%m}",
        flush=True,
    )
    # bench/commission.py stages its loans with the triggers off (replica mode): repair the
    # summaries from the raw rows first, as an operator would (timed: the rebuild's cost).
    started = time.perf_counter()
    summaries_rebuild()
    analyze_summaries()  # as the repair command does: the old statistics describe rows that are gone
    print(f"summaries rebuilt from the raw rows: {time.perf_counter() - started:.1f} s", flush=True)
    needed = {as_of, month_end(export_month)}
    if set(ExposureSnapshot.objects.filter(as_of__in=needed).values_list("as_of", flat=True)) != needed:
        started = time.perf_counter()
        figures = exposure_refresh(days=exposure_days(today()))
        print(f"nightly exposure job: {figures:,} figures, {time.perf_counter() - started:.1f} s", flush=True)

    def page(name: str, query: dict):
        request = factory.get("/", query)
        request.user = user
        response = views[name].as_view()(request)
        if hasattr(response, "render"):
            response.render()
            return response.context_data, len(response.content)
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(body))), len(body)

    def floor(name: str, first: date, last: date, limit: int | None) -> list[list[tuple]]:
        params = {
            "first": first,
            "last": last,
            "last_day": month_end(last),
            "as_of": min(today(), month_end(last)),
            "limit": limit,
        }
        with connection.cursor() as cursor:
            results = []
            for sql in FLOOR[name]:
                cursor.execute(sql, params)
                results.append(cursor.fetchall())
            return results

    def best(work, repeat: int):
        seconds, result = None, None
        for _run in range(repeat):
            started = time.perf_counter()
            result = work()
            elapsed = time.perf_counter() - started
            seconds = elapsed if seconds is None else min(seconds, elapsed)
        return seconds, result

    page_query = {"first_month": f"{first_month:%Y-%m}", "last_month": f"{last_month:%Y-%m}"}
    export_query = {"first_month": f"{export_month:%Y-%m}", "last_month": f"{export_month:%Y-%m}", "export": "csv"}
    figures = []
    for name in args.only or list(FLOOR):
        # The page and its floor.
        page_load = load()
        seconds, (context, size) = best(lambda name=name: page(name, page_query), args.repeat)
        floor_seconds, floor_rows = best(
            lambda name=name: floor(name, first_month, last_month, report_views.ROWS_PER_PAGE), args.repeat
        )
        tie(name, context, floor_rows)
        figures.append((f"report_{name}", f"{name} page, 12 months", seconds, floor_seconds, size, page_load))
        # The export of one month and its floor (every row of the exported table).
        export_load = load()
        seconds, (rows, size) = best(lambda name=name: page(name, export_query), args.repeat)
        floor_seconds, floor_rows = best(lambda name=name: floor(name, export_month, export_month, None), args.repeat)
        tie_export(name, rows, floor_rows)
        figures.append(
            (f"report_{name}_export", f"{name} CSV, {export_month:%Y-%m}", seconds, floor_seconds, len(rows) - 2,
             export_load)
        )  # fmt: skip

    if args.json:
        print(json.dumps({key: seconds for key, _label, seconds, _floor, _size, _at in figures}))
        return
    small = small_figures(args) if args.small else {}
    print_table(
        [
            (label, f"{seconds:.2f}", f"{floor_s:.2f}", f"{small[key]:.2f}" if small else "-", f"{size:,}", at)
            for key, label, seconds, floor_s, size, at in figures
        ],
        ("step", "seconds", "floor seconds", "small seconds", "bytes / rows", "load"),
    )
    for key, _label, seconds, floor_seconds, _size, at in figures:
        print(result_line(key, seconds, floor_seconds, load=at))
    if small:
        ratios = {key: seconds / max(small[key], 0.001) for key, _l, seconds, _f, _s, _a in figures}
        for key, _label, seconds, _floor, _size, at in figures:
            print(result_line(f"{key}_scale", seconds, max(small[key], 0.001), load=at))
        worst = max(ratios, key=ratios.get)
        print(f"RESULT reports_scale worst_ratio={ratios[worst]:.2f} worst_report={worst}")


def small_figures(args) -> dict[str, float]:
    """The same run on the small dataset, in a process of its own (Django keeps one database)."""
    command = [
        sys.executable,
        __file__,
        "--repeat",
        str(args.repeat),
        "--json",
        *(["--only", *args.only] if args.only else []),
    ]
    run = subprocess.run(  # noqa: S603 - this script again, with its own arguments
        command, env={**os.environ, "DATABASE_URL": args.small}, capture_output=True, text=True, check=False
    )
    if run.returncode:
        raise SystemExit(f"the small dataset's run failed:\n{run.stdout}\n{run.stderr}")
    print(run.stdout.rstrip().rsplit("\n", 1)[0], flush=True)
    return json.loads(run.stdout.rstrip().rsplit("\n", 1)[-1])


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def tie(name: str, context: dict, floor_rows: list[list[tuple]]) -> None:
    """The page's totals (and its tables' figures) equal the floor's, to the fen."""
    from dealerops.formats import money_unit

    if name == "ledger":
        rows, grouped = floor_rows
        totals = context["totals"]
        floor_total = next(row for row in grouped if row[-1])
        assert (totals.accrued, totals.clawed_back, totals.adjusted, totals.received, totals.entries) == tuple(
            floor_total[2:7]
        ), f"ledger totals {totals} != floor {floor_total}"
        assert context["paginator"].count == (rows[0][-1] if rows else 0)
        page = [(row.month, row.dealer_code, row.lender, row.totals.net) for row, _link in context["rows"]]
        assert page == [(row[0], row[1], row[3], row[4] + row[5] + row[6]) for row in rows], "ledger rows differ"
        net = {(row[0], row[1]): row[2] + row[3] + row[4] for row in grouped if not row[-1]}
        # The chart draws in the unit its largest amount picks (万元, 亿元): back to yuan.
        divisor, _unit = money_unit(net.values())
        shown = {(month, lender): sum(values) for month, lender, values in chart_values(context["figure"])}
        assert {key: money(Decimal(str(value)) * divisor) for key, value in shown.items() if value} == {
            key: value for key, value in net.items() if value
        }, "ledger chart differs"
    elif name == "payables":
        (grouped,) = floor_rows
        totals = context["totals"]
        floor_total = next(row for row in grouped if row[-1])
        assert (totals.accrued, totals.clawed_back, totals.adjusted, totals.received, totals.entries) == tuple(
            floor_total[1:6]
        )
        assert [(row.lender, row.totals.net, row.totals.received) for row, _link in context["rows"]] == [
            (row[0], row[1] + row[2] + row[3], row[4]) for row in grouped if not row[-1]
        ]
    elif name == "penetration":
        sold, lent, earned = ({(row[0], row[1], row[-1]): row[2:-1] for row in rows} for rows in floor_rows)
        totals = context["totals"]
        total_key = (None, None, 3)
        assert (totals.sales, totals.loan_sales) == tuple(sold[total_key]), "penetration sales differ"
        assert totals.loans == lent[total_key][0] and totals.net_commission == earned[total_key][0]
        for row in context["regions"]:
            key = (row.key, None, 1)
            assert (row.sales, row.loan_sales) == tuple(sold.get(key, (0, 0)))
            assert row.loans == lent.get(key, (0,))[0] and row.net_commission == (earned.get(key, (0,))[0] or 0)
        for row in context["rows"]:
            key = (None, row.key, 2)
            assert (row.sales, row.loans) == (sold.get(key, (0, 0))[0], lent.get(key, (0,))[0])
    else:
        loan_rows, clawbacks = floor_rows
        tie_risk(context["tables"], context["totals"], loan_rows, clawbacks)


def chart_values(figure: dict):
    for trace in figure["data"]:
        for month, value in zip(trace["x"], trace["y"], strict=True):
            yield date.fromisoformat(month[:10]), trace["name"], [value]


def tie_risk(tables, totals, loan_rows, clawbacks) -> None:
    from finance.models import Lender

    names = dict(Lender.objects.values_list("pk", "name"))
    # GROUPING(lender, grade, band): 3 = grouped by lender, 5 = by grade, 6 = by band, 7 = total
    columns = {3: 0, 5: 1, 6: 2, 7: None}
    dimension_of = {3: "lender", 5: "credit_grade", 6: "term_band"}
    floor = {}
    for row in loan_rows:
        key = row[columns[row[3]]] if columns[row[3]] is not None else ""
        floor[(dimension_of.get(row[3], "total"), str(key))] = [*row[4:], Decimal("0.00")]
    for row in clawbacks:
        key = row[columns[row[3]]] if columns[row[3]] is not None else ""
        figures = floor.setdefault((dimension_of.get(row[3], "total"), str(key)), [0, 0, 0, 0, Decimal("0.00")] + [0])
        figures[5] = row[4]
    shown = {("total", ""): totals}
    for _title, dimension, rows in tables:
        for row in rows:
            shown[(dimension, row.key)] = row
    assert set(shown) == set(floor), f"risk groups differ: {set(shown) ^ set(floor)}"
    for key, row in shown.items():
        expected = floor[key]
        got = [row.loans, row.defaulted, row.paid_off_early, row.live_loans, row.exposure, row.clawed_back]
        assert got == expected, f"risk {key}: page {got} != floor {expected} ({names})"


def tie_export(name: str, rows: list[list[str]], floor_rows: list[list[tuple]]) -> None:
    """The export's totals row equals the floor's totals, to the fen."""
    total = rows[-1]
    if name == "ledger":
        floor_total = next(row for row in floor_rows[1] if row[-1])
        expected = [floor_total[6], *floor_total[2:5], sum(floor_total[2:5]), floor_total[5]]
        assert [Decimal(cell) for cell in total[4:10]] == expected, f"ledger export {total} != {expected}"
        assert len(rows) - 2 == (floor_rows[0][0][-1] if floor_rows[0] else 0)
    elif name == "payables":
        floor_total = next(row for row in floor_rows[0] if row[-1])
        expected = [floor_total[5], *floor_total[1:4], sum(floor_total[1:4]), floor_total[4]]
        assert [Decimal(cell) for cell in total[1:7]] == expected, f"payables export {total} != {expected}"
    elif name == "penetration":
        sold, lent, earned = ({(row[0], row[1], row[-1]): row[2:-1] for row in r} for r in floor_rows)
        key = (None, None, 3)
        expected = [sold[key][0], sold[key][1], lent[key][0], earned[key][0] or Decimal("0.00")]
        got = [int(total[2]), int(total[3]), int(total[5]), Decimal(total[6])]
        assert got == expected, f"penetration export {got} != {expected}"
    else:
        floor_total = next(row for row in floor_rows[0] if row[3] == 7)
        clawed = next((row[4] for row in floor_rows[1] if row[3] == 7), None) or Decimal("0.00")
        expected = [floor_total[4], floor_total[5], floor_total[6], clawed, floor_total[7], floor_total[8]]
        got = [int(total[1]), int(total[2]), int(total[4]), Decimal(total[6]), int(total[7]), Decimal(total[8])]
        assert got == expected, f"risk export {got} != {expected}"


if __name__ == "__main__":
    main()
