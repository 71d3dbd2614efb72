# ruff: noqa: S608 - the SQL is built from this module's constants and table names only
"""The SQL that keeps finance's summary tables (finance.models.summaries) exact.

Statement-level AFTER triggers with transition tables: each INSERT, UPDATE or DELETE of
ledger entries, loans or sales adds its rows' net change to the summaries once per statement,
grouped, in the writer's transaction (a posting of two million entries pays one grouped
upsert, a single loan edit a few rows). Triggers rather than service code, because the
writers are many (posting, adjustments, receipts, loan services, the data hub's COPY-based
imports, nightly jobs) and a writer that forgot would leave the reports wrong without anyone
noticing; and statement-level, not row-level, so bulk writes stay set-based. Concurrent
writers meet only on the summary row they both change (ON CONFLICT ... DO UPDATE waits for the
other's row lock and adds to its committed value), in key order to avoid deadlocks.

``REBUILD`` recomputes every table from the raw rows with INSERT ... SELECT: after loads
that bypass triggers (the synthetic generator) and for repair.
"""

from finance.models.commissions import TermBand
from finance.models.loans import DISBURSED_STATUSES_SQL


def band_sql(term: str) -> str:
    """The TermBand value of a term in months ``term``, in SQL."""
    bands = sorted(TermBand, key=lambda band: int(band.value.split("_")[1]))
    whens = " ".join(f"WHEN {term} <= {band.value.split('_')[1]} THEN '{band.value}'" for band in bands)
    return f"COALESCE(CASE {whens} END, '')"


_MONTH_FIGURES = ("sales", "loan_sales", "loans", "net_commission")


def _month_upsert(rows: str, figures: tuple[str, ...]) -> str:
    """Add ``rows`` (month, dealer_id and ``figures``, grouped by both) to the per-dealer
    months and, summed by the dealers' regions, to the per-region ones (the data-modifying
    CTE runs whether or not it is read)."""
    columns = ", ".join(_MONTH_FIGURES)
    values = ", ".join(f"m.{f}" if f in figures else "0" for f in _MONTH_FIGURES)
    sums = ", ".join(f"sum(m.{f})" if f in figures else "0" for f in _MONTH_FIGURES)
    add = ", ".join(f"{f} = s.{f} + EXCLUDED.{f}" for f in figures)
    return f"""
    WITH m AS ({rows}), a AS (
      INSERT INTO finance_dealermonthsummary AS s (month, dealer_id, {columns})
      SELECT m.month, m.dealer_id, {values} FROM m ORDER BY 1, 2
      ON CONFLICT (month, dealer_id) DO UPDATE SET {add}
    )
    INSERT INTO finance_regionmonthsummary AS s (month, region_id, {columns})
    SELECT m.month, d.region_id, {sums} FROM m JOIN channels_dealer d ON d.id = m.dealer_id
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (month, region_id) DO UPDATE SET {add};
    """


# The per-region months from the per-dealer ones, when dealers changed region.
_REGION_MONTHS_REBUILD = f"""
    DELETE FROM finance_regionmonthsummary;
    INSERT INTO finance_regionmonthsummary (month, region_id, {", ".join(_MONTH_FIGURES)})
    SELECT m.month, d.region_id, {", ".join(f"sum(m.{f})" for f in _MONTH_FIGURES)}
    FROM finance_dealermonthsummary m JOIN channels_dealer d ON d.id = m.dealer_id GROUP BY 1, 2;
"""


def _risk_upsert(rows: str) -> str:
    """Add ``rows`` (the network's risk figures per month, lender, grade and band, grouped) to RiskSummary."""
    figures = ("loans", "defaulted", "paid_off_early", "clawbacks", "clawed_back")
    return f"""
    INSERT INTO finance_risksummary AS s (month, lender_id, credit_grade, term_band, {", ".join(figures)})
    {rows}
    ON CONFLICT (month, lender_id, credit_grade, term_band) DO UPDATE
      SET {", ".join(f"{f} = s.{f} + EXCLUDED.{f}" for f in figures)};
    """


# --- the ledger (append-only: inserts are all there is) ------------------------------------

_LEDGER_KINDS = (
    ("accrual", "accruals", "accrued"),
    ("clawback", "clawbacks", "clawed_back"),
    ("adjustment", "adjustments", "adjusted"),
    ("receipt", "receipts", "received"),
)
_LEDGER_COLUMNS = ", ".join(f"{count}, {total}" for _kind, count, total in _LEDGER_KINDS)
_LEDGER_SUMS = ", ".join(
    f"count(*) FILTER (WHERE e.kind = '{kind}') AS {count},"
    f" COALESCE(sum(e.amount) FILTER (WHERE e.kind = '{kind}'), 0) AS {total}"
    for kind, count, total in _LEDGER_KINDS
)
_LEDGER_ADD = ", ".join(
    f"{count} = s.{count} + EXCLUDED.{count}, {total} = s.{total} + EXCLUDED.{total}"
    for _kind, count, total in _LEDGER_KINDS
)
# The rollup's cell counts: all cells, and those holding entries of each kind.
_CELL_COUNTS = "cells, " + ", ".join(f"{kind}_cells" for kind, _count, _total in _LEDGER_KINDS)
_CELLS_ADD = ", ".join(f"{name} = s.{name} + EXCLUDED.{name}" for name in _CELL_COUNTS.split(", "))
_ENTRIES = " + ".join("{row}." + count for _kind, count, _total in _LEDGER_KINDS)
_ROLLUP_SUMS = ", ".join(f"sum(d.{count}), sum(d.{total})" for _kind, count, total in _LEDGER_KINDS)


def _ledger_upsert(entries: str) -> str:
    """Add the entries of ``entries`` to the ledger's summaries. The cells' upsert returns each
    cell's new counts: a cell (or a kind in it) is new to the rollup where they equal the
    statement's own."""
    new_cells = ", ".join(
        f"count(*) FILTER (WHERE d.{count} > 0 AND a.{count} = d.{count})" for _kind, count, _total in _LEDGER_KINDS
    )
    return f"""
    WITH d AS (
      SELECT e.period_id, p.month, e.dealer_id, e.lender_id, {_LEDGER_SUMS}
      FROM {entries} e JOIN finance_commissionperiod p ON p.id = e.period_id
      GROUP BY e.period_id, p.month, e.dealer_id, e.lender_id
    ), a AS (
      INSERT INTO finance_ledgersummary AS s (period_id, month, dealer_id, lender_id, {_LEDGER_COLUMNS})
      SELECT * FROM d ORDER BY period_id, dealer_id, lender_id
      ON CONFLICT (period_id, dealer_id, lender_id) DO UPDATE SET {_LEDGER_ADD}
      RETURNING s.period_id, s.dealer_id, s.lender_id, {", ".join(f"s.{c}" for _k, c, _t in _LEDGER_KINDS)}
    )
    INSERT INTO finance_ledgerrollup AS s (period_id, month, region_id, lender_id, {_LEDGER_COLUMNS}, {_CELL_COUNTS})
    SELECT d.period_id, d.month, r.region_id, d.lender_id, {_ROLLUP_SUMS},
           count(*) FILTER (WHERE {_ENTRIES.format(row="a")} = {_ENTRIES.format(row="d")}), {new_cells}
    FROM d JOIN a USING (period_id, dealer_id, lender_id) JOIN channels_dealer r ON r.id = d.dealer_id
    GROUP BY d.period_id, d.month, r.region_id, d.lender_id
    ORDER BY d.period_id, r.region_id, d.lender_id
    ON CONFLICT (period_id, region_id, lender_id) DO UPDATE SET {_LEDGER_ADD}, {_CELLS_ADD};
    {
        _month_upsert(
            f"SELECT p.month, e.dealer_id, sum(e.amount) AS net_commission"
            f" FROM {entries} e JOIN finance_commissionperiod p ON p.id = e.period_id"
            " WHERE e.kind IN ('accrual', 'clawback', 'adjustment') GROUP BY 1, 2",
            ("net_commission",),
        )
    }
    {_clawback_upsert(entries)}
    {
        _risk_upsert(
            f"SELECT p.month, e.lender_id, e.credit_grade, {band_sql('e.term_months')},"
            " 0, 0, 0, count(*), sum(e.amount)"
            f" FROM {entries} e JOIN finance_commissionperiod p ON p.id = e.period_id"
            " WHERE e.kind = 'clawback' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
        )
    }
    """


# The rollup from the cells, when dealers changed region.
_ROLLUP_REBUILD = f"""
    DELETE FROM finance_ledgerrollup;
    INSERT INTO finance_ledgerrollup (period_id, month, region_id, lender_id, {_LEDGER_COLUMNS}, {_CELL_COUNTS})
    SELECT d.period_id, d.month, r.region_id, d.lender_id, {_ROLLUP_SUMS}, count(*),
           {", ".join(f"count(*) FILTER (WHERE d.{count} > 0)" for _kind, count, _total in _LEDGER_KINDS)}
    FROM finance_ledgersummary d JOIN channels_dealer r ON r.id = d.dealer_id
    GROUP BY 1, 2, 3, 4;
"""


def _clawback_upsert(entries: str) -> str:
    return f"""
    INSERT INTO finance_clawbacksummary AS s
      (period_id, month, region_id, lender_id, credit_grade, term_band, clawbacks, clawed_back)
    SELECT e.period_id, p.month, d.region_id, e.lender_id, e.credit_grade, {band_sql("e.term_months")},
           count(*), sum(e.amount)
    FROM {entries} e JOIN finance_commissionperiod p ON p.id = e.period_id
    JOIN channels_dealer d ON d.id = e.dealer_id
    WHERE e.kind = 'clawback'
    GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 3, 4, 5, 6
    ON CONFLICT (period_id, region_id, lender_id, credit_grade, term_band) DO UPDATE
      SET clawbacks = s.clawbacks + EXCLUDED.clawbacks, clawed_back = s.clawed_back + EXCLUDED.clawed_back;
    """


# --- loans and sales: inserts add, deletes subtract, updates do both -----------------------


def _signed(columns: str, operation: str) -> str:
    """The rows of the statement's transition tables, each with +1 (new) or -1 (old)."""
    parts = []
    if operation in ("INSERT", "UPDATE"):
        parts.append(f"SELECT {columns}, 1 AS sign FROM new_rows")
    if operation in ("DELETE", "UPDATE"):
        parts.append(f"SELECT {columns}, -1 AS sign FROM old_rows")
    return "(" + " UNION ALL ".join(parts) + ")"


_LOAN_COLUMNS = (
    "dealer_id, lender_id, status, disbursed_on, closed_on, credit_grade, term_months, principal, annual_rate"
)


def _loan_upsert(loans: str) -> str:
    return f"""
    INSERT INTO finance_disbursementsummary AS s (month, dealer_id, lender_id, loans, principal, rate_sum)
    SELECT date_trunc('month', l.disbursed_on)::date, l.dealer_id, l.lender_id,
           sum(l.sign), sum(l.sign * l.principal), sum(l.sign * l.annual_rate)
    FROM {loans} l WHERE l.status IN ({DISBURSED_STATUSES_SQL})
    GROUP BY 1, 2, 3
    HAVING sum(l.sign) <> 0 OR sum(l.sign * l.principal) <> 0 OR sum(l.sign * l.annual_rate) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (month, dealer_id, lender_id) DO UPDATE SET loans = s.loans + EXCLUDED.loans,
      principal = s.principal + EXCLUDED.principal, rate_sum = s.rate_sum + EXCLUDED.rate_sum;
    {
        _month_upsert(
            "SELECT date_trunc('month', l.disbursed_on)::date AS month, l.dealer_id, sum(l.sign) AS loans"
            f" FROM {loans} l WHERE l.status IN ({DISBURSED_STATUSES_SQL})"
            " GROUP BY 1, 2 HAVING sum(l.sign) <> 0",
            ("loans",),
        )
    }
    {_outcome_upsert(loans)}
    {
        _risk_upsert(
            "SELECT date_trunc('month', l.disbursed_on)::date, l.lender_id, l.credit_grade,"
            f" {band_sql('l.term_months')}, sum(l.sign),"
            " COALESCE(sum(l.sign) FILTER (WHERE l.status = 'defaulted'), 0),"
            " COALESCE(sum(l.sign) FILTER (WHERE l.status = 'paid_off_early'), 0), 0, 0"
            f" FROM {loans} l WHERE l.status IN ({DISBURSED_STATUSES_SQL}) GROUP BY 1, 2, 3, 4"
            " HAVING sum(l.sign) <> 0 OR COALESCE(sum(l.sign) FILTER (WHERE l.status = 'defaulted'), 0) <> 0"
            " OR COALESCE(sum(l.sign) FILTER (WHERE l.status = 'paid_off_early'), 0) <> 0"
            " ORDER BY 1, 2, 3, 4"
        )
    }
    """


def _outcome_upsert(loans: str) -> str:
    return f"""
    INSERT INTO finance_loanoutcomesummary AS s
      (month, region_id, lender_id, credit_grade, term_band, status, closed_month, loans)
    SELECT date_trunc('month', l.disbursed_on)::date, d.region_id, l.lender_id, l.credit_grade,
           {band_sql("l.term_months")}, l.status, date_trunc('month', l.closed_on)::date, sum(l.sign)
    FROM {loans} l JOIN channels_dealer d ON d.id = l.dealer_id
    WHERE l.status IN ({DISBURSED_STATUSES_SQL})
    GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(l.sign) <> 0
    ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (month, region_id, lender_id, credit_grade, term_band, status, closed_month)
      DO UPDATE SET loans = s.loans + EXCLUDED.loans;
    """


def _sales_upsert(sales: str) -> str:
    return _month_upsert(
        "SELECT date_trunc('month', x.sold_on)::date AS month, x.dealer_id, sum(x.sign) AS sales,"
        " COALESCE(sum(x.sign) FILTER (WHERE x.payment = 'loan'), 0) AS loan_sales"
        f" FROM {sales} x GROUP BY 1, 2"
        " HAVING sum(x.sign) <> 0 OR COALESCE(sum(x.sign) FILTER (WHERE x.payment = 'loan'), 0) <> 0",
        ("sales", "loan_sales"),
    )


# The region-level tables follow a dealer that moves to another region.
_REGIONS_REBUILD = f"""
    {_ROLLUP_REBUILD}
    {_REGION_MONTHS_REBUILD}
    DELETE FROM finance_clawbacksummary;
    DELETE FROM finance_loanoutcomesummary;
    {_clawback_upsert("finance_commissionentry")}
    {_outcome_upsert(f"(SELECT {_LOAN_COLUMNS}, 1 AS sign FROM finance_loan)")}
"""


def _function(name: str, body: str) -> str:
    return f"""
    CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
    {body}
    RETURN NULL;
    END
    $fn$;
    """


def _trigger(name: str, table: str, operation: str, function: str, referencing: str) -> str:
    return f"""
    DROP TRIGGER IF EXISTS {name} ON {table};
    CREATE TRIGGER {name} AFTER {operation} ON {table} REFERENCING {referencing}
    FOR EACH STATEMENT EXECUTE FUNCTION {function}();
    """


_REFERENCING = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows"}
_REFERENCING["UPDATE"] = "OLD TABLE AS old_rows NEW TABLE AS new_rows"


_TRUNCATED = {
    "finance_commissionentry": "DELETE FROM finance_ledgersummary; DELETE FROM finance_ledgerrollup;"
    " DELETE FROM finance_clawbacksummary;"
    + "".join(
        f" UPDATE {table} SET net_commission = 0 WHERE net_commission <> 0;"
        for table in ("finance_dealermonthsummary", "finance_regionmonthsummary")
    )
    + " UPDATE finance_risksummary SET clawbacks = 0, clawed_back = 0 WHERE clawbacks <> 0 OR clawed_back <> 0;",
    "finance_loan": "DELETE FROM finance_disbursementsummary; DELETE FROM finance_loanoutcomesummary;"
    + "".join(
        f" UPDATE {table} SET loans = 0 WHERE loans <> 0;"
        for table in ("finance_dealermonthsummary", "finance_regionmonthsummary")
    )
    + " UPDATE finance_risksummary SET loans = 0, defaulted = 0, paid_off_early = 0"
    " WHERE loans <> 0 OR defaulted <> 0 OR paid_off_early <> 0;",
    "inventory_sale": "".join(
        f" UPDATE {table} SET sales = 0, loan_sales = 0 WHERE sales <> 0 OR loan_sales <> 0;"
        for table in ("finance_dealermonthsummary", "finance_regionmonthsummary")
    ),
}


def _install() -> str:
    parts = [
        _function("finance_summarise_entries", _ledger_upsert("new_rows")),
        _trigger(
            "finance_entries_summarised",
            "finance_commissionentry",
            "INSERT",
            "finance_summarise_entries",
            _REFERENCING["INSERT"],
        ),  # fmt: skip
    ]
    for operation in ("INSERT", "UPDATE", "DELETE"):
        suffix = operation.lower()
        parts += [
            _function(f"finance_summarise_loans_{suffix}", _loan_upsert(_signed(_LOAN_COLUMNS, operation))),
            _trigger(
                f"finance_loans_summarised_{suffix}",
                "finance_loan",
                operation,
                f"finance_summarise_loans_{suffix}",
                _REFERENCING[operation],
            ),  # fmt: skip
            _function(
                f"finance_summarise_sales_{suffix}", _sales_upsert(_signed("dealer_id, sold_on, payment", operation))
            ),
            _trigger(
                f"finance_sales_summarised_{suffix}",
                "inventory_sale",
                operation,
                f"finance_summarise_sales_{suffix}",
                _REFERENCING[operation],
            ),  # fmt: skip
        ]
    # TRUNCATE fires no row or statement trigger of its own kind: what a truncated table
    # contributed goes too (the ledger's own summaries also go by their keys' CASCADE).
    for table, work in _TRUNCATED.items():
        parts += [
            _function(f"finance_summaries_truncated_{table}", work),
            f"DROP TRIGGER IF EXISTS finance_summaries_truncated ON {table};"
            f" CREATE TRIGGER finance_summaries_truncated AFTER TRUNCATE ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION finance_summaries_truncated_{table}();",
        ]
    parts += [
        _function(
            "finance_summaries_follow_dealer_regions",
            "IF EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.region_id <> o.region_id)"
            f" THEN {_REGIONS_REBUILD} END IF;",
        ),
        _trigger(
            "finance_summaries_follow_dealer_regions",
            "channels_dealer",
            "UPDATE",
            "finance_summaries_follow_dealer_regions",
            _REFERENCING["UPDATE"],
        ),  # fmt: skip
    ]
    return "\n".join(parts)


INSTALL = _install()

UNINSTALL = "\n".join(
    [
        "DROP TRIGGER IF EXISTS finance_entries_summarised ON finance_commissionentry;",
        "DROP FUNCTION IF EXISTS finance_summarise_entries();",
        *(
            f"DROP TRIGGER IF EXISTS finance_{what}_summarised_{op} ON {table};"
            f" DROP FUNCTION IF EXISTS finance_summarise_{what}_{op}();"
            for op in ("insert", "update", "delete")
            for what, table in (("loans", "finance_loan"), ("sales", "inventory_sale"))
        ),
        *(
            f"DROP TRIGGER IF EXISTS finance_summaries_truncated ON {table};"
            f" DROP FUNCTION IF EXISTS finance_summaries_truncated_{table}();"
            for table in _TRUNCATED
        ),
        "DROP TRIGGER IF EXISTS finance_summaries_follow_dealer_regions ON channels_dealer;",
        "DROP FUNCTION IF EXISTS finance_summaries_follow_dealer_regions();",
    ]
)

SUMMARY_TABLES = (
    "finance_ledgersummary",
    "finance_ledgerrollup",
    "finance_clawbacksummary",
    "finance_dealermonthsummary",
    "finance_disbursementsummary",
    "finance_loanoutcomesummary",
    "finance_regionmonthsummary",
    "finance_risksummary",
)

# Writers wait (SHARE locks) while the summaries are recomputed, so the result is exact.
REBUILD = f"""
    LOCK TABLE finance_commissionentry, finance_loan, inventory_sale, channels_dealer IN SHARE MODE;
    {" ".join(f"DELETE FROM {table};" for table in SUMMARY_TABLES)}
    {_ledger_upsert("finance_commissionentry")}
    {_loan_upsert(f"(SELECT {_LOAN_COLUMNS}, 1 AS sign FROM finance_loan)")}
    {_sales_upsert("(SELECT dealer_id, sold_on, payment, 1 AS sign FROM inventory_sale)")}
"""
