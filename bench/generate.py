"""Build the national-scale dataset every benchmark uses.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/generate.py [--scale S] [--seed N]

S = 1 is the design card's national size: 3,000 dealers, 120 models, 4 million sales over
12 months, 2.4 million loans, 600,000 stock units on hand, 12 million leads, 2 million
customers (plus service visits and inquiries). The database is migrated, the domain tables
are emptied, and everything is loaded with COPY in one transaction.
"""

import argparse
from datetime import timedelta

from common import print_table, result_line, setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    setup_django()

    from django.core.management import call_command

    from dealerops.synthetic.generator import NetworkSpec, generate_network
    from dealerops.validation import today

    call_command("migrate", interactive=False, verbosity=0)
    spec = NetworkSpec.national(args.scale, end_date=today() - timedelta(days=1), seed=args.seed)
    print(f"Generating scale {args.scale}: {spec.dealers} dealers, {spec.sales:,} sales, {spec.months} months")
    with timed() as run:
        timings = generate_network(spec, progress=lambda message: print(f"  {message}", flush=True))
    rows = [(table, f"{count:,}", f"{timings.seconds[table]:.1f}") for table, count in timings.rows.items()]
    print_table(rows, ("table", "rows", "seconds"))
    counts = {table.split("_", 1)[1]: count for table, count in timings.rows.items()}
    print(result_line("generate", run["seconds"], scale=args.scale, **counts))


if __name__ == "__main__":
    main()
