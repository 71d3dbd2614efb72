"""A month of each list as CSV, the ledger's month as XLSX and one dealer's audit changes,
each through its page's own view, beside ``COPY … TO STDOUT`` of the same rows as the floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/exports.py

Needs a generated dataset (bench/generate.py) with a posted ledger (bench/commission.py). The
generated records have no audit trail: when no sale has one, this first writes their insert
events, as bench/quality.py does (``record_entries``); it writes nothing else.

Each export is the view a user gets for ``?export=…`` (head office; finance for the ledger),
filtered to the last complete month of sales (customers, which have no date filter: the most
common city), written whole and read to its last byte; the background-job threshold is lifted
so the view answers with the file itself. The floor is ``COPY (<the export's queryset, its
columns' raw values>) TO STDOUT (FORMAT csv)``, built from the same scoped, filtered queryset;
for the audit changes (of the dealer with the most audited sales), ``COPY`` of its event rows
of every audited model. The XLSX line also times the writer before this one (XlsxWriter's
constant_memory mode, kept here as the baseline) and today's writer on the same rows read as
Python values.
"""

import argparse
import io
import tempfile
from datetime import timedelta

from common import last_sale_and_complete_month, peak_mb, print_table, result_line, setup_django, timed


def xlsxwriter_baseline(output, headers, rows, sheet_title) -> None:
    """The XLSX writer before this benchmark's change: XlsxWriter, a typed write per cell."""
    from datetime import date, datetime
    from decimal import Decimal

    import xlsxwriter
    from django.utils import timezone

    from dealerops.exports import neutralise, yes_no

    with tempfile.TemporaryDirectory(prefix="xlsx-") as workdir:
        workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "tmpdir": workdir, "nan_inf_to_errors": True})
        sheet = workbook.add_worksheet(sheet_title[:31])
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        percent = workbook.add_format({"num_format": "0.00%"})
        by_places = {}
        rates = {column for column, header in enumerate(headers) if header.kind == "rate"}
        for column, header in enumerate(headers):
            sheet.write_string(0, column, str(header.label))
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                if column in rates and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                    sheet.write_number(number, column, float(value), percent)
                elif value is None:
                    continue
                elif isinstance(value, str):
                    if value:
                        sheet.write_string(number, column, neutralise(value))
                elif isinstance(value, Decimal):
                    exponent = value.as_tuple().exponent
                    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
                    if places not in by_places:
                        code = "#,##0." + "0" * places if places else "#,##0"
                        by_places[places] = workbook.add_format({"num_format": code})
                    sheet.write_number(number, column, float(value), by_places[places])
                elif isinstance(value, bool):
                    sheet.write_string(number, column, yes_no(value))
                elif isinstance(value, int | float):
                    sheet.write_number(number, column, value)
                elif isinstance(value, datetime):
                    sheet.write_datetime(
                        number, column, timezone.localtime(value).replace(tzinfo=None), datetime_format
                    )
                elif isinstance(value, date):
                    sheet.write_datetime(number, column, value, date_format)
                else:
                    sheet.write_string(number, column, neutralise(value))
        workbook.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    setup_django()

    from django.db import connection, transaction
    from django.db.models import Count
    from django.test import RequestFactory, override_settings
    from django.urls import resolve

    from channels.models import Dealer
    from customers.models import Customer
    from dealerops.access import scope
    from dealerops.audit import AUDITED
    from dealerops.exports import write_export
    from dealerops.models import Role, User
    from dealerops.synthetic.quality import record_entries
    from dealerops.tables import export_header, export_rows
    from finance.models import CommissionEntry, CommissionPeriod

    last_sale, month = last_sale_and_complete_month()
    first, last = month, (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    period = CommissionPeriod.objects.filter(month=month).first()
    if period is None or not CommissionEntry.objects.filter(period=period).exists():
        raise SystemExit("No ledger for the month: run bench/commission.py on this database first.")
    head_office = User(username="bench-head-office", role=Role.HEAD_OFFICE)
    finance = User(username="bench-finance", role=Role.FINANCE)
    city = Customer.objects.values("city").annotate(n=Count("id")).order_by("-n").values_list("city", flat=True)[0]
    days = {"after": first.isoformat(), "before": last.isoformat()}
    lists = [
        ("leads", "/leads/", head_office, {"created_after": days["after"], "created_before": days["before"]}),
        ("sales", "/sales/", head_office, {"sold_after": days["after"], "sold_before": days["before"]}),
        ("stock", "/stock/", head_office, {"arrived_after": days["after"], "arrived_before": days["before"]}),
        ("loans", "/loans/", head_office, {"disbursed_after": days["after"], "disbursed_before": days["before"]}),
        ("ledger", "/commissions/", finance, {"period": str(period.pk)}),
        ("customers", "/customers/", head_office, {"city": city}),
    ]
    factory = RequestFactory()

    def request_for(path, user, params):
        request = factory.get(path, params)
        request.user = user
        request.LANGUAGE_CODE = "en"
        return request

    def download(path, user, params) -> int:
        """The view's export, read to its last byte; its size."""
        match = resolve(path)
        response = match.func(request_for(path, user, params), *match.args, **match.kwargs)
        assert response.status_code == 200, (path, response.status_code)
        size = sum(len(chunk) for chunk in response.streaming_content)
        response.close()
        return size

    def list_rows(path, user, params):
        """The queryset and columns the list's view exports for these filters."""
        view_class = resolve(path).func.view_class
        view = view_class()
        view.setup(request_for(path, user, params))
        filterset = view.get_filterset(view.get_filterset_class())
        assert filterset.is_valid(), filterset.errors
        return filterset.qs, view.columns

    def copy_floor(querysets) -> tuple[float, int]:
        """COPY of each queryset's SQL, composed with its parameters by psycopg."""
        copied = 0
        with connection.cursor() as cursor, timed() as floor:
            for queryset in querysets:
                sql, params = queryset.query.sql_with_params()
                statement = cursor.cursor.mogrify(sql, params)
                with cursor.cursor.copy(f"COPY ({statement}) TO STDOUT (FORMAT csv)") as copy:
                    copied += sum(len(block) for block in copy)
        return floor["seconds"], copied

    figures, results = [], []
    with override_settings(EXPORT_BACKGROUND_MIN_ROWS=10**12):
        for name, path, user, params in lists:
            rows, columns = list_rows(path, user, params)
            raw = rows.values_list(*(lookup for column in columns for lookup in raw_lookups(column)))
            count = rows.count()
            floor_seconds, copied = copy_floor([raw])
            with timed() as run:
                size = download(path, user, {**params, "export": "csv"})
            figures.append((f"{name} CSV", count, size, run["seconds"], floor_seconds))
            results.append(result_line(f"export_{name}", run["seconds"], floor_seconds, rows=count, bytes=size))
            print(f"{name}: {count:,} rows, {size:,} bytes (COPY {copied:,} bytes)", flush=True)

        # The ledger's month as XLSX: the view; then the old and the new writer on its values.
        name, path, user, params = lists[4]
        rows, columns = list_rows(path, user, params)
        count = rows.count()
        floor_seconds, _copied = copy_floor(
            [rows.values_list(*(lookup for column in columns for lookup in raw_lookups(column)))]
        )
        with timed() as run:
            size = download(path, user, {**params, "export": "xlsx"})
        headers = [export_header(column) for column in columns]
        with timed() as before:
            xlsxwriter_baseline(io.BytesIO(), headers, export_rows(rows, columns, user), "Ledger")
        with timed() as values:
            write_export(
                io.BytesIO(), fmt="xlsx", headers=headers, rows=export_rows(rows, columns, user), sheet_title="L"
            )
        figures.append(("ledger XLSX", count, size, run["seconds"], floor_seconds))
        figures.append(("  ledger XLSX, XlsxWriter on its values (before)", count, None, before["seconds"], None))
        figures.append(("  ledger XLSX, this writer on its values", count, None, values["seconds"], None))
        results.append(
            result_line(
                "export_ledger_xlsx",
                run["seconds"],
                floor_seconds,
                rows=count,
                bytes=size,
                xlsxwriter_seconds=f"{before['seconds']:.2f}",
                speedup=f"{before['seconds'] / run['seconds']:.2f}",
                values_writer_seconds=f"{values['seconds']:.2f}",
            )
        )

        # One dealer's audit changes: the dealer with the most audited sales.
        sale_events = AUDITED["inventory.Sale"].event_model.objects
        if not sale_events.exists():
            with timed() as entries, transaction.atomic():
                record_entries()
            print(f"Audit trail of the generated records written in {entries['seconds']:.1f} s")
        busiest = sale_events.values("dealer_id").annotate(n=Count("pgh_id")).order_by("-n").first()
        dealer = Dealer.objects.get(pk=busiest["dealer_id"])
        events = [
            scope(head_office, audited.event_model).filter(**{audited.dealer_column: dealer.pk})
            for audited in AUDITED.values()
            if audited.dealer_column is not None
        ]
        event_count = sum(queryset.count() for queryset in events)
        floor_seconds, _copied = copy_floor(events)
        with timed() as run:
            size = download("/audit/changes/", head_office, {"dealer": str(dealer.pk), "export": "csv"})
        figures.append((f"audit changes of dealer {dealer.code}", event_count, size, run["seconds"], floor_seconds))
        results.append(result_line("export_audit", run["seconds"], floor_seconds, events=event_count, bytes=size))

    print(f"Month {month:%Y-%m} (last sale {last_sale}); customers of {city}; peak {peak_mb():.0f} MB")
    print_table(
        [
            (
                label,
                f"{rows:,}",
                "–" if size is None else f"{size:,}",
                f"{seconds:.2f}",
                "–" if floor is None else f"{floor:.2f}",
                "–" if floor is None else f"{seconds / floor:.2f}",
            )
            for label, rows, size, seconds, floor in figures
        ],
        ("export", "rows", "bytes", "seconds", "COPY seconds", "ratio"),
    )
    for line in results:
        print(line)


def raw_lookups(column) -> tuple[str, ...]:
    """What a column exports, as the ORM lookups of its raw values."""
    return column.export or (column.accessor.replace(".", "__"),)


if __name__ == "__main__":
    main()
