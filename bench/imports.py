"""Importing a dealer's DMS sales export: 100,000 rows by default.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/imports.py [--rows N]

Any migrated database will do (it is migrated if needed); the benchmark works in a dealer of
its own (code BENCH-IMP), whose stock it fills with one unit in stock per row by SQL, and
which it empties again first. The file is a CSV as a DMS exports it: Chinese headers,
"¥245,800.00" prices, dates as 2026/10/5, payment as 现金 / 贷款 / 融资租赁, and the
customer by phone and name (a fifth of the phones repeat, so the import creates fewer
customers than sales).

Timed, through the same services as the page: upload and check (the preview: every row read,
resolved and its result stored), then confirm and write (the file checked again inside the
transaction, customers created, sales inserted, units marked sold, audit events written by
the triggers). Against the floor: the same rows loaded with COPY into a staging table and
written by two ``INSERT … SELECT`` into tables of the same shape, without triggers.

Target (issue 5): under 30 s for 100,000 rows, peak memory under 1 GB.
"""

import argparse
import io
import random
from datetime import date, timedelta

from common import print_table, result_line, setup_django, timed

DEALER_CODE = "BENCH-IMP"
MODEL_CODE = "BENCH-IMP-M1"
HEADERS = ["车架号", "销售日期", "成交价", "付款方式", "销售顾问", "客户电话", "客户姓名", "上牌城市"]
PAYMENTS = ["现金", "现金", "贷款", "贷款", "贷款", "融资租赁"]


def vin(number: int) -> str:
    return f"LBENCH{number:011d}"


def build_file(rows: int, seed: int) -> bytes:
    rng = random.Random(seed)
    phones = [f"13{rng.randrange(10**9):09d}" for _ in range(int(rows * 0.8))]
    first_day = date(2026, 1, 1)
    out = io.StringIO()
    out.write(",".join(HEADERS) + "\n")
    for number in range(rows):
        sold_on = first_day + timedelta(days=rng.randrange(300))
        price = rng.randrange(120_000, 400_000) + rng.choice((0, 0.5))
        phone = rng.choice(phones)
        out.write(
            f'{vin(number)},{sold_on:%Y/%m/%d},"¥{price:,.2f}",{rng.choice(PAYMENTS)},顾问{number % 40},'
            f"{phone},客户{phone[-4:]},杭州\n"
        )
    return out.getvalue().encode("utf-8")


def prepare(rows: int):
    """A dealer of the benchmark's own with ``rows`` units in stock and nothing else."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from channels.models import Dealer, DealerKind, Region
    from inventory.models import VehicleModel

    call_command("migrate", interactive=False, verbosity=0)
    region, _ = Region.objects.get_or_create(code="BENCH", defaults={"name": "Benchmark"})
    dealer, _ = Dealer.objects.get_or_create(
        code=DEALER_CODE,
        defaults={
            "name": "Benchmark import dealer",
            "kind": DealerKind.FOUR_S,
            "region": region,
            "province": "浙江",
            "city": "杭州",
            "latitude": 30.27,
            "longitude": 120.15,
        },
    )
    model, _ = VehicleModel.objects.get_or_create(
        code=MODEL_CODE,
        defaults={
            "brand": "Bench",
            "series": "Import",
            "trim": "1",
            "powertrain": "ice",
            "msrp": 400_000,
            "guide_price_floor": 100_000,
            "dealer_invoice_cost": 90_000,
            "launch_date": date(2025, 1, 1),
        },
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # Earlier runs' rows go without firing the audit triggers (setup, not the measured work).
        cursor.execute("SET LOCAL session_replication_role = replica")
        for statement in (
            "DELETE FROM inventory_sale WHERE dealer_id = %(dealer)s",
            "DELETE FROM customers_customer WHERE home_dealer_id = %(dealer)s",
            "DELETE FROM inventory_stockunit WHERE dealer_id = %(dealer)s",
            "DELETE FROM datahub_importrow WHERE batch_id IN"
            " (SELECT id FROM datahub_importbatch WHERE dealer_id = %(dealer)s)",
            "DELETE FROM datahub_importbatch WHERE dealer_id = %(dealer)s",
        ):
            cursor.execute(statement, {"dealer": dealer.pk})
        cursor.execute(
            """
            INSERT INTO inventory_stockunit
              (vin, model_id, dealer_id, status, ordered_on, arrived_on, created_at, updated_at)
            SELECT 'LBENCH' || lpad(n::text, 11, '0'), %s, %s, 'in_stock', '2025-11-01', '2025-12-01', now(), now()
            FROM generate_series(0, %s - 1) AS n
            """,
            [model.pk, dealer.pk, rows],
        )
        cursor.execute("SET LOCAL session_replication_role = origin")
    # Replica mode bypassed the summaries' triggers too: repair them, as an operator would.
    call_command("rebuild_summaries", stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE inventory_stockunit")
        cursor.execute("ANALYZE customers_customer")
        cursor.execute("ANALYZE inventory_sale")
    return dealer


FLOOR_SQL = [
    "CREATE TEMP TABLE bench_rows (vin text, sold_on text, price text, payment text, salesperson text,"
    " phone text, name text, city text) ON COMMIT DROP",
    "CREATE TEMP TABLE bench_customer (LIKE customers_customer INCLUDING DEFAULTS INCLUDING CONSTRAINTS"
    " INCLUDING INDEXES) ON COMMIT DROP",
    "CREATE TEMP TABLE bench_sale (LIKE inventory_sale INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)"
    " ON COMMIT DROP",
]
FLOOR_CUSTOMERS = """
INSERT INTO bench_customer (id, home_dealer_id, name, phone, city, marketing_consent, created_at, updated_at)
SELECT row_number() OVER (), %(dealer)s, max(name), phone, max(city), false, now(), now()
FROM bench_rows GROUP BY phone
"""
FLOOR_SALES = """
INSERT INTO bench_sale (id, stock_unit_id, dealer_id, customer_id, salesperson, sold_on, transaction_price, payment,
                        registered_city, recorded_at, updated_at)
SELECT row_number() OVER (), u.id, %(dealer)s, c.id, r.salesperson, to_date(r.sold_on, 'YYYY/MM/DD'),
       replace(replace(r.price, '¥', ''), ',', '')::numeric(12, 2),
       CASE r.payment WHEN '现金' THEN 'cash' WHEN '贷款' THEN 'loan' ELSE 'lease' END, r.city, now(), now()
FROM bench_rows r JOIN inventory_stockunit u ON u.vin = r.vin
JOIN bench_customer c ON c.phone = r.phone
"""


def floor(content: bytes, dealer_id: int) -> int:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for statement in FLOOR_SQL:
            cursor.execute(statement)
        with cursor.copy("COPY bench_rows FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            copy.write(content)
        cursor.execute(FLOOR_CUSTOMERS, {"dealer": dealer_id})
        cursor.execute(FLOOR_SALES, {"dealer": dealer_id})
        cursor.execute("SELECT count(*) FROM bench_sale")
        (count,) = cursor.fetchone()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the sales file (default 100,000)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    setup_django()
    from customers.models import Customer
    from datahub.models import ImportKind, ImportStatus, SourceKind
    from datahub.services import import_batch_check, import_batch_confirm, import_batch_upload, import_batch_write
    from dealerops.models import Role, User
    from inventory.models import Sale, StockStatus, StockUnit

    dealer = prepare(args.rows)
    user, _ = User.objects.get_or_create(username="bench-importer", defaults={"role": Role.HEAD_OFFICE})
    content = build_file(args.rows, args.seed)

    with timed() as floor_run:
        floor_rows = floor(content, dealer.pk)

    with timed() as check_run:
        batch = import_batch_upload(
            user=user,
            dealer=dealer,
            kind=ImportKind.SALES,
            source=SourceKind.DMS,
            system_name="Bench DMS",
            file_name="sales.csv",
            content=content,
        )
        batch = import_batch_check(batch_id=batch.pk)
    if batch.status != ImportStatus.READY:
        raise SystemExit(f"the check refused the file: {batch.file_errors or batch.rows_error} errors")
    with timed() as write_run:
        import_batch_confirm(batch=batch, user=user)
        batch = import_batch_write(batch_id=batch.pk)
    if batch.status != ImportStatus.IMPORTED:
        raise SystemExit(f"the import did not land: {batch.status} {batch.error}")

    sales = Sale.objects.filter(dealer=dealer).count()
    customers = Customer.objects.filter(home_dealer=dealer).count()
    sold = StockUnit.objects.filter(dealer=dealer, status=StockStatus.SOLD).count()
    if not sales == sold == floor_rows == args.rows:
        raise SystemExit(f"rows do not tie: {sales} sales, {sold} units sold, floor {floor_rows}, file {args.rows}")
    total = check_run["seconds"] + write_run["seconds"]
    print_table(
        [
            ("check (preview)", f"{check_run['seconds']:.2f}", f"{args.rows:,}"),
            ("confirm and write", f"{write_run['seconds']:.2f}", f"{sales:,} sales, {customers:,} customers"),
            ("import, in all", f"{total:.2f}", ""),
            ("floor: COPY + INSERT … SELECT", f"{floor_run['seconds']:.2f}", f"{floor_rows:,}"),
        ],
        ("step", "seconds", "rows"),
    )
    print(result_line("import_sales", total, floor_run["seconds"], rows=args.rows))


if __name__ == "__main__":
    main()
