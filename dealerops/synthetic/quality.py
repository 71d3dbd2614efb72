"""The data-quality side of a generated network: a few tampering patterns on dealers of the
first region (written through the ORM, so the audit triggers record them as a dealer's edits
would be), then every dealer's data quality for the recent months, as the nightly job would
have left them. The generated sales, loans, stock units and customers are loaded with the
triggers off, so their entry events are written here first, dated when each was entered."""

from datetime import date, timedelta

import pghistory
from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import Count, F, Value
from django.db.models.functions import Concat
from psycopg import sql

from channels.models import Dealer, DealerKind, Region
from datahub.quality.services import data_quality_compute
from dealerops.audit import AUDITED
from dealerops.synthetic.spec import NetworkSpec
from inventory.models import Payment, Sale

QUALITY_MONTHS = 6
MOVED_SALES = 3  # enough for the "several back-dated or moved sales" alert


def quality_build(spec: NetworkSpec, *, months: int = QUALITY_MONTHS) -> int:
    """Give the generated records their entry events, tamper with a few sales, then score the
    last ``months`` months (at most the network's); returns the dealers scored, summed over
    the months."""
    this_month = spec.end_date.replace(day=1)
    record_entries()
    if spec.months >= 3:
        _tamper(last_complete=this_month - relativedelta(months=1))
    count = min(months, spec.months)
    return sum(
        data_quality_compute(month=this_month - relativedelta(months=back)).rows for back in reversed(range(count))
    )


# When each audited record was entered, for the insert event a trigger would have written:
# integrity compares later edits with these, and a sale entered days after it was made shows as
# back-dated.
ENTRY_TIMES = {
    "inventory.Sale": "recorded_at",
    "finance.Loan": "created_at",
    "inventory.StockUnit": "created_at",
    "customers.Customer": "created_at",
}


def record_entries() -> None:
    """The insert events of the records loaded with the triggers off (those without any
    event), dated when each was entered: one ``INSERT ... SELECT`` per audited table, then
    its ``ANALYZE``."""
    with connection.cursor() as cursor:
        for label, entered_at in ENTRY_TIMES.items():
            audited = AUDITED[label]
            event = audited.event_model._meta
            columns = [f.column for f in event.concrete_fields if not f.column.startswith("pgh_")]
            cursor.execute(
                sql.SQL(
                    "INSERT INTO {event} (pgh_created_at, pgh_label, pgh_obj_id, {columns}) "
                    "SELECT t.{entered_at}, 'insert', t.id, {values} FROM {table} t "
                    "WHERE NOT EXISTS (SELECT 1 FROM {event} e WHERE e.pgh_obj_id = t.id)"
                ).format(
                    event=sql.Identifier(event.db_table),
                    columns=sql.SQL(", ").join(sql.Identifier(column) for column in columns),
                    entered_at=sql.Identifier(entered_at),
                    values=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(column)) for column in columns),
                    table=sql.Identifier(audited.model._meta.db_table),
                )
            )
            # Millions of new rows: plan the next queries on them with their statistics, not
            # those of an empty table.
            cursor.execute(sql.SQL("ANALYZE {event}").format(event=sql.Identifier(event.db_table)))


@transaction.atomic
def _tamper(*, last_complete: date) -> None:
    region = Region.objects.order_by("id").first()
    four_s = Dealer.objects.filter(region=region, kind=DealerKind.FOUR_S)
    month_before = last_complete - relativedelta(months=1)
    month_end = last_complete - timedelta(days=1)
    # Sales of the first days of the last complete month whose unit was already there the
    # month before: the dealer with most of them pushes three back (e.g. to meet that month's
    # target), each an update moving the sale across a month end.
    movable = Sale.objects.filter(
        dealer__in=four_s,
        sold_on__gte=last_complete,
        sold_on__lt=last_complete + timedelta(days=10),
        stock_unit__arrived_on__lte=month_end,
    )
    mover = movable.values("dealer").annotate(n=Count("id")).order_by("-n", "dealer").first()
    rewriter = four_s.exclude(pk=mover["dealer"] if mover else None).order_by("code").first()
    with pghistory.context(demo="tampering"):
        if mover is not None:
            moved = movable.filter(dealer=mover["dealer"]).order_by("sold_on", "id")[:MOVED_SALES]
            Sale.objects.filter(pk__in=[sale.pk for sale in moved]).update(sold_on=month_end)
        if rewriter is None:
            return
        # A cash sale deleted and entered again two days later: one no lead was won by (a won
        # lead keeps its sale, so deleting that one is refused).
        sale = (
            Sale.objects.filter(dealer=rewriter, sold_on__gte=last_complete, payment=Payment.CASH, lead__isnull=True)
            .filter(sold_on__lte=last_complete + timedelta(days=20))
            .order_by("sold_on", "id")
            .first()
        )
        if sale is not None:
            fields = {
                name: getattr(sale, name)
                for name in ("stock_unit_id", "dealer_id", "customer_id", "salesperson", "transaction_price")
            }
            sale.delete()
            Sale.objects.create(
                **fields,
                sold_on=sale.sold_on + timedelta(days=2),
                payment=Payment.CASH,
                registered_city=sale.registered_city,
            )
        # A sale of the month before changed after its reporting cut-off.
        Sale.objects.filter(
            pk__in=Sale.objects.filter(dealer=rewriter, sold_on__gte=month_before, sold_on__lt=last_complete)
            .order_by("id")
            .values("pk")[:1]
        ).update(salesperson=Concat(F("salesperson"), Value("*")))
