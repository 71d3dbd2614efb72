"""Generate a dealer network with numpy and load it with COPY, in one transaction.

Where the database role may, the load runs with ``session_replication_role = replica``: no
row triggers fire (audit events, the deferred consistency checks, foreign keys), so the plan
itself guarantees every rule: ids that exist, dates in order, one sale per unit, loans only on
loan sales with principal + down payment equal to the price, a dealer's sales and loans on its
own units and customers. CHECK and UNIQUE constraints are enforced by PostgreSQL either way.
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from django.apps import apps
from django.db import connection, transaction
from psycopg import sql

from dealerops.summaries import analyze_summaries
from dealerops.synthetic import activity, markets, network, sales
from dealerops.synthetic.columns import copy_chunks
from dealerops.synthetic.spec import NetworkSpec
from inventory import summaries

DOMAIN_APPS = ["channels", "inventory", "customers", "pricing", "finance"]


@dataclass(frozen=True)
class Step:
    """One step of a run: planning in numpy, or loading one table."""

    name: str
    rows: int
    seconds: float
    is_table: bool


@dataclass
class GenerationReport:
    steps: list[Step] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> dict[str, int]:
        """Rows written per table, in load order."""
        return {step.name: step.rows for step in self.steps if step.is_table}


def domain_tables() -> list[str]:
    """The tables a generated network replaces: every model of the domain apps (their audit
    event tables included), the audit contexts and the job runs about the old data."""
    models = [
        model
        for label in DOMAIN_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]
    return [model._meta.db_table for model in models] + ["pghistory_context", "dealerops_jobrun"]


def truncate_network(cursor) -> None:
    """Empty the domain tables. CASCADE also empties the users (they point at dealers and
    regions): whoever calls this recreates the accounts it needs."""
    tables = sql.SQL(", ").join(sql.Identifier(table) for table in domain_tables())
    cursor.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(tables))


def generate_network(
    spec: NetworkSpec, *, progress: Callable[[Step], None] | None = None, bypass_triggers: bool = True
) -> GenerationReport:
    """Replace the domain tables with a network of ``spec``'s size, in one transaction.

    ``bypass_triggers`` skips the row triggers when the role is a superuser (much faster);
    without it, or without the privilege, every trigger runs and checks the data at commit.
    """
    started = time.perf_counter()
    connection.ensure_connection()
    with transaction.atomic(), connection.connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        fast = bypass_triggers and cursor.fetchone()[0]
        if fast:
            cursor.execute("SET LOCAL session_replication_role = replica")
        truncate_network(cursor)
        indexes = _drop_secondary_indexes(cursor)
        load = _NetworkLoad(cursor, spec, progress or (lambda step: None))
        load.run()
        if not fast:
            # Fire the deferred checks now: ALTER TABLE refuses a table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        load.timed_step("rebuild indexes", lambda: _rebuild_indexes(cursor, indexes), is_table=False)
        # The COPY bypassed the triggers that keep the summaries: compute them (their upserts
        # need the unique keys just rebuilt), and tonight's exposure picture.
        load.timed_step("rebuild summaries", _rebuild_summaries, is_table=False)
        load.timed_step("finance summaries", lambda: _finance_summaries(spec), is_table=False)
        tables = [step.name for step in load.steps if step.is_table]
        _reset_sequences(cursor, tables)
        if fast:
            cursor.execute("SET LOCAL session_replication_role = origin")
        for table in tables:
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
        analyze_summaries()
    return GenerationReport(steps=load.steps, seconds=time.perf_counter() - started)


def _drop_secondary_indexes(cursor) -> list[sql.Composable]:
    """Drop every index of the domain tables except the primary keys and the unique keys that
    foreign keys point at, and return the statements that rebuild them. One sorted build after
    the load beats maintaining them row by row (VINs, for one, arrive in random order); the
    unique keys are still checked when they come back, and a failed load restores them all
    with the rollback."""
    from finance.summary_sql import SUMMARY_TABLES

    # Not the summaries' keys: their triggers upsert on them while the load runs with triggers.
    kept = {summary.table for summary in summaries.SUMMARIES} | set(SUMMARY_TABLES)
    tables = [table for table in domain_tables() if table not in kept]
    cursor.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
        WHERE c.contype = 'u' AND c.conrelid = ANY(%s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)
        """,
        [tables],
    )
    rebuild: list[sql.Composable] = []
    for table, name, definition in cursor.fetchall():
        cursor.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(name)))
        rebuild.append(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(sql.Identifier(table), sql.Identifier(name))
            + sql.SQL(definition)
        )
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [tables],
    )
    for name, definition in cursor.fetchall():
        cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        rebuild.append(sql.SQL(definition))
    return rebuild


def _finance_summaries(spec: NetworkSpec) -> int:
    from finance.services.summaries import exposure_refresh, summaries_rebuild

    summaries_rebuild()
    return exposure_refresh(days=[spec.end_date])


def _rebuild_indexes(cursor, statements: list[sql.Composable]) -> int:
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for statement in statements:
        cursor.execute(statement)
    return len(statements)


def _rebuild_summaries() -> int:
    summaries.rebuild()
    return len(summaries.SUMMARIES)


def _reset_sequences(cursor, tables: list[str]) -> None:
    """Ids were assigned by the generator: move each identity sequence past the largest."""
    for table in tables:
        cursor.execute(
            sql.SQL("SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {}").format(
                sql.Identifier(table)
            ),
            [table],
        )


class _NetworkLoad:
    """Plans the network step by step and streams each table as soon as its plan exists.
    The order of the steps fixes the order of random draws, so a seed gives one network."""

    def __init__(self, cursor, spec: NetworkSpec, progress: Callable[[Step], None]):
        self.cursor = cursor
        self.spec = spec
        self.progress = progress
        self.rng = np.random.default_rng(spec.seed)
        self.calendar = network.Calendar.ending(spec.end_date, spec.months)
        self.steps: list[Step] = []

    def run(self) -> None:
        spec, rng, calendar = self.spec, self.rng, self.calendar
        self._plan("plan dealers and vehicle models", self._plan_network)
        self._copy("channels_region", [network.region_columns(spec, calendar)])
        created = (calendar.start - 30) * network.DAY + 9 * network.HOUR  # no random draw: seeds keep their network
        self._copy("channels_citymarket", [markets.city_market_columns(spec.regions, spec.end_date.year - 1, created)])
        self._copy("channels_dealer", [network.dealer_columns(rng, self.dealers, calendar)])
        self._copy("inventory_vehiclemodel", [network.model_columns(self.models)])
        self._copy("finance_lender", [network.lender_columns(spec, calendar)])
        self._plan("plan sales and customers", self._plan_sales)
        self._copy("customers_customer", sales.customer_chunks(rng, self.customers))
        self._plan("plan stock on hand and loans", self._plan_stock_and_loans)
        self._copy("inventory_stockunit", sales.stock_unit_chunks(self.sales, self.on_hand, self.models, spec.seed))
        self._copy("inventory_sale", sales.sale_chunks(rng, self.sales, self.customers, self.dealers))
        self._copy("finance_loan", sales.loan_chunks(self.loans, self.sales))
        self._copy(
            "channels_lead",
            activity.lead_chunks(rng, spec, calendar, self.dealers, self.models, self.sales, self.customers),
        )
        visits = activity.service_visit_chunks(rng, spec, calendar, self.dealers, self.sales)
        self._copy("customers_servicevisit", visits)
        self._copy("customers_inquiry", activity.inquiry_chunks(rng, spec, calendar, self.dealers, self.sales))

    def _plan_network(self) -> int:
        self.dealers = network.plan_dealers(self.rng, self.spec, self.calendar)
        self.models = network.plan_models(self.rng, self.spec, self.calendar)
        self.lenders = network.plan_lenders(self.spec)
        return self.dealers.count + self.models.count

    def _plan_sales(self) -> int:
        self.sales = sales.plan_sales(self.rng, self.spec, self.calendar, self.dealers, self.models)
        self.customers = sales.assign_customers(self.rng, self.spec, self.dealers, self.sales)
        return self.sales.count

    def _plan_stock_and_loans(self) -> int:
        self.on_hand = sales.plan_stock_on_hand(self.rng, self.spec, self.calendar, self.dealers, self.models)
        self.loans = sales.plan_loans(self.rng, self.sales, self.lenders, self.calendar)
        return len(self.on_hand.status) + len(self.loans.sale)

    def _plan(self, name: str, work: Callable[[], int]) -> None:
        self.timed_step(name, work, is_table=False)

    def _copy(self, table: str, chunks: Iterable[dict[str, np.ndarray]]) -> None:
        self.timed_step(table, lambda: copy_chunks(self.cursor, table, chunks), is_table=True)

    def timed_step(self, name: str, work: Callable[[], int], *, is_table: bool) -> None:
        """Run ``work`` (which returns a row count) and report it as one step."""
        started = time.perf_counter()
        rows = work()
        step = Step(name, rows, time.perf_counter() - started, is_table)
        self.steps.append(step)
        self.progress(step)
