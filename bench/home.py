"""Each role's home page on the dataset DATABASE_URL holds, against a dataset 100 times smaller.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/home.py \\
        [--small postgres://postgres@127.0.0.1:5432/bench_small] [--repeat N] [--no-check]

For head office, finance, a regional manager (the region with most dealers) and a dealer user
(the dealer with most sales) it times ``GET /`` through Django's test client (session, user,
view, template: everything but the HTTP server), a warm-up then ``--repeat`` times (default 9),
and prints the median and the queries per page. The users are created in a transaction that is
rolled back at the end, so the database is left as it was.

The floor is the same role's median on ``--small`` (a second run of this script there), or,
without it, the dealer user's page on the same dataset. ``RESULT home`` gives the worst role:
its median, its floor and their ratio. With the check (the default), the figures each page
shows are compared with the same figures aggregated from the raw rows (the selectors the home
page used before its summaries), which must be equal, and the raw aggregation's time is
printed beside the page's.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import print_table, result_line, setup_django

ROLES = ("head_office", "finance", "regional_manager", "dealer_user")


class Rollback(Exception):
    pass


def bench_users():
    """One user per role, the regional manager over the region with most dealers, the dealer
    user at the dealer with most sales (both the largest pages of their kind)."""
    from django.db.models import Count

    from channels.models import Dealer, Region
    from dealerops.models import Role, User
    from inventory.models import SalesMonth

    region = Region.objects.annotate(n=Count("dealers")).order_by("-n", "pk").first()
    busiest = SalesMonth.objects.values("dealer").annotate(n=Count("pk")).order_by("-n", "dealer").first()
    dealer = Dealer.objects.get(pk=busiest["dealer"]) if busiest else Dealer.objects.order_by("pk").first()
    if region is None or dealer is None:
        sys.exit("No dealers here: run bench/generate.py --scale S on this database first.")
    users = {
        "head_office": User.objects.create(username="bench-home-ho", role=Role.HEAD_OFFICE),
        "finance": User.objects.create(username="bench-home-fin", role=Role.FINANCE),
        "regional_manager": User.objects.create(username="bench-home-rm", role=Role.REGIONAL_MANAGER),
        "dealer_user": User.objects.create(username="bench-home-dealer", role=Role.DEALER_USER, dealer=dealer),
    }
    users["regional_manager"].regions.add(region)
    return users


def time_pages(users: dict, repeat: int) -> dict[str, dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    figures = {}
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        assert client.get("/").status_code == 200  # warm-up
        seconds = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get("/")
                seconds.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
        figures[role] = {"median": statistics.median(seconds), "queries": len(queries)}
    return figures


def check_against_raw(users: dict) -> dict[str, float]:
    """Compare each page's figures with the raw rows' (exits on a difference); the seconds
    the raw aggregation takes per role."""
    from dealerops.access import role_of, scope
    from dealerops.home import CHART_MONTHS, _same_days_a_year_before, home_context
    from dealerops.models import Role
    from dealerops.validation import today
    from finance import selectors as loan_selectors
    from finance.models import DisbursementSummary, Loan
    from inventory import selectors, summaries
    from inventory.models import (
        RegionSalesMonth,
        RegionStockMonth,
        Sale,
        SalesDay,
        SalesMonth,
        StockDay,
        StockMonth,
        StockUnit,
    )

    day = today()
    first_month, this_month, last_month = (selectors.month_start(day, n) for n in (CHART_MONTHS - 1, 0, 1))
    raw_seconds = {}
    for role_name, user in users.items():
        role = role_of(user)
        started = time.perf_counter()
        sales = scope(user, Sale)
        raw = {"monthly": selectors.monthly_sales(sales, first_month=first_month, last_day=day)}
        first, last = _same_days_a_year_before(this_month, day)
        raw["year_before"] = selectors.units_sold(sales, first_day=first, last_day=last)
        raw["by_region"] = selectors.monthly_sales_by_group(
            sales, group="dealer__region__name", first_month=first_month, last_day=day
        )
        if role != Role.FINANCE:
            raw["stock"] = selectors.stock_summary(scope(user, StockUnit), today=day)
        if role == Role.FINANCE:
            raw["disbursed"] = loan_selectors.disbursement_totals(scope(user, Loan), this_month, day)
            raw["lenders"] = loan_selectors.volume_by_lender(scope(user, Loan), last_month, day)
        raw_seconds[role_name] = time.perf_counter() - started

        regional = role != Role.DEALER_USER  # as the home page reads them
        months, days = scope(user, RegionSalesMonth if regional else SalesMonth), scope(user, SalesDay)
        ours = {"monthly": summaries.monthly_sales(months, days, first_month=first_month, last_day=day)}
        ours["year_before"] = summaries.units_sold(months, days, first_day=first, last_day=last)
        if regional:
            monthly, ours["by_region"] = summaries.monthly_sales_and_regions(
                months, days, first_month=first_month, last_day=day
            )
            assert monthly == ours["monthly"]
        else:
            del raw["by_region"]
        if role != Role.FINANCE:
            stock_months = scope(user, RegionStockMonth if regional else StockMonth)
            ours["stock"] = summaries.stock_summary(stock_months, scope(user, StockDay), today=day)
        if role == Role.FINANCE:
            loan_months = scope(user, DisbursementSummary)  # whole months: no loan is disbursed after today
            ours["disbursed"] = loan_selectors.summary_disbursement_totals(loan_months, this_month, this_month)
            ours["lenders"] = loan_selectors.summary_volume_by_lender(loan_months, last_month, this_month)
        if "lenders" in raw:  # the raw selector leaves lenders of equal principal in no particular order
            raw["lenders"] = sorted(raw["lenders"], key=lambda row: (-row.principal, row.lender))
        for key, value in raw.items():
            if ours[key] != value:
                sys.exit(f"{role_name}: {key} differs from the raw rows:\n  summaries {ours[key]}\n  raw       {value}")
        if role == Role.REGIONAL_MANAGER:
            _check_top_dealers(user, home_context(user, day)["top_dealers"], this_month, day)
    return raw_seconds


def _check_top_dealers(user, shown, first_day, last_day) -> None:
    from django.db.models import Count, Q

    from channels.models import Dealer, DealerStatus
    from dealerops.access import scope

    sold = Count("sales", filter=Q(sales__sold_on__gte=first_day, sales__sold_on__lte=last_day))
    raw = (
        scope(user, Dealer)
        .filter(status__in=[DealerStatus.ACTIVE, DealerStatus.PROBATION])
        .annotate(units=sold)
        .order_by("-units", "code")[: len(shown)]
    )
    if [(d.pk, d.units) for d in raw] != [(d.pk, d.units) for d in shown]:
        sys.exit("regional_manager: top dealers this month differ from the raw rows")


def measure(repeat: int, check: bool) -> dict:
    from django.db import transaction

    result: dict = {}
    try:
        with transaction.atomic():
            users = bench_users()
            result["pages"] = time_pages(users, repeat)
            result["raw"] = check_against_raw(users) if check else {}
            raise Rollback
    except Rollback:
        pass
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", help="URL of the dataset 100 times smaller (the floor); default: none")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--no-check", action="store_true", help="skip the comparison with the raw rows")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # a run for another's floor
    args = parser.parse_args()
    setup_django()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    if args.small:
        # The small dataset's run first, in its own process (Django talks to one database).
        command = [sys.executable, str(Path(__file__)), "--json", "--repeat", str(args.repeat), "--no-check"]
        small_run = subprocess.run(  # noqa: S603 - this script, with the URL its caller gave
            command, env={**os.environ, "DATABASE_URL": args.small}, capture_output=True, text=True, check=True
        )
        small = json.loads(small_run.stdout.strip().splitlines()[-1])["pages"]
    result = measure(args.repeat, check=not args.no_check)
    pages = result["pages"]
    if args.json:
        print(json.dumps(result))
        return
    floors = small if args.small else dict.fromkeys(ROLES, pages["dealer_user"])
    rows = []
    for role in ROLES:
        row = [role, f"{pages[role]['median']:.3f}", pages[role]["queries"]]
        row += [f"{floors[role]['median']:.3f}", f"{pages[role]['median'] / floors[role]['median']:.2f}"]
        row.append(f"{result['raw'][role]:.2f}" if result["raw"] else "-")
        rows.append(tuple(row))
    floor_name = "small dataset" if args.small else "dealer's home"
    print_table(rows, ("role", "median s", "queries", f"floor s ({floor_name})", "ratio", "raw rows s"))
    worst = max(ROLES, key=lambda role: pages[role]["median"] / floors[role]["median"])
    print(
        result_line(
            "home",
            pages[worst]["median"],
            floors[worst]["median"],
            worst_role=worst,
            floor="small" if args.small else "dealer",
            checked="yes" if result["raw"] else "no",
            load=f"{os.getloadavg()[0]:.2f}",
            **{role: f"{pages[role]['median']:.3f}" for role in ROLES},
        )
    )


if __name__ == "__main__":
    main()
