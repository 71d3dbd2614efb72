"""Build the national-scale dataset every benchmark reads.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/generate.py [--scale S] [--seed N] [--end-date D]

S = 1 is the design card's national size: 3,000 dealers, 120 models, 4 million sales over
12 months, 2.4 million loans, 600,000 stock units on hand (besides the sold ones), 12 million
leads, 2 million customers, plus service visits and inquiries; S scales every count. The
database is migrated if needed, its domain tables (and users) are emptied, and the network is
generated in numpy and loaded with COPY in one transaction (dealerops/synthetic). The data
ends on ``--end-date`` (default yesterday in Shanghai); the database's comment records the
scale, seed and end date (``\\l+`` in psql), which bench/pages.py checks before it reuses one.
"""

import argparse
from datetime import date

from common import print_table, result_line, setup_django, timed

# Short names for the RESULT line.
FIGURES = {
    "channels_region": "regions",
    "channels_dealer": "dealers",
    "inventory_vehiclemodel": "models",
    "finance_lender": "lenders",
    "customers_customer": "customers",
    "inventory_stockunit": "stock_units",
    "inventory_sale": "sales",
    "finance_loan": "loans",
    "channels_lead": "leads",
    "customers_servicevisit": "service_visits",
    "customers_inquiry": "inquiries",
}


def show_step(step) -> None:
    print(f"  {step.name}: {step.rows:,} rows, {step.seconds:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="S: 1 is the national size (default 1)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--end-date", type=date.fromisoformat, help="the last day of data, YYYY-MM-DD (default yesterday in Shanghai)"
    )
    args = parser.parse_args()
    if args.scale <= 0:
        parser.error("--scale must be positive")
    setup_django()

    from django.core.management import call_command
    from django.db import connection

    from dealerops.synthetic.generator import generate_network
    from dealerops.synthetic.spec import NetworkSpec

    call_command("migrate", interactive=False, verbosity=0)
    spec = NetworkSpec.national(args.scale, end_date=args.end_date, seed=args.seed)
    print(
        f"Scale {args.scale:g}: {spec.dealers:,} dealers, {spec.sales:,} sales over {spec.months} months "
        f"up to {spec.end_date}, seed {spec.seed}",
        flush=True,
    )
    with timed() as run:
        report = generate_network(spec, progress=show_step)
    print_table(
        [(step.name, f"{step.rows:,}", f"{step.seconds:.1f}") for step in report.steps]
        + [("total (with truncate, commit, analyze)", f"{sum(report.rows.values()):,}", f"{run['seconds']:.1f}")],
        ("step", "rows", "seconds"),
    )
    # COMMENT takes no bind parameters; the text is made of a number and a date only.
    with connection.cursor() as cursor:
        cursor.execute(
            f"COMMENT ON DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])} "
            f"IS 'bench/generate.py scale={args.scale:g} seed={spec.seed} end_date={spec.end_date.isoformat()}'"
        )
    counts = {FIGURES.get(table, table): rows for table, rows in report.rows.items()}
    print(result_line("generate", run["seconds"], scale=f"{args.scale:g}", **counts))


if __name__ == "__main__":
    main()
