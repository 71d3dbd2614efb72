"""The data-quality rules, as SQL: one statement per family of rules, each over the whole
network for one month (never one query per dealer).

Every family inserts into the temporary table ``dq_result`` one row per (record, rule) it
examined: ``checked`` (how many checks the row stands for: 1 for a record, the rows submitted
for an import), ``failed`` (how many of them failed) and ``issue`` (whether the row becomes a
``DataIssue``). A dimension's score is then ``100 x passed / checked`` where a record counts
once per dimension (failing if any of its rules fails) and an import counts its rows.

The month's records: sales sold in it, customers created in it, service visits made in it,
loans on its sales (not rejected; for integrity, loans disbursed in it), stock units arrived
in it (integrity), leads assigned in it, imports uploaded in it. Parameters
are ``HealthPeriod.params()`` (``first``, ``last``, ``start_ts``, ``end_ts``, ``cutoff_ts``,
``tz``) plus ``backdate_days``, ``lag_limit_hours``, ``loan_grace_days``.

Definitions
-----------
Completeness (optional fields the portal's work needs):
- ``customer_no_coordinates``: a customer created in the month without latitude and longitude
  (lead routing and network planning place customers on the map);
- ``visit_no_satisfaction``: a service visit of the month without its 1-5 satisfaction (metric 10);
- ``loan_no_buy_rate``: a live loan on a sale of the month without the lender's buy rate
  (needed for rate-based commissions and reconciliation);
- ``lead_no_first_contact``: a lead assigned in the month and marked contacted, test drive or
  won without the time of first contact (metric 4).

Validity:
- ``import_rows_refused``: per dealer's import uploaded in the month, its rows refused by the check
  (``ImportRow.action = error``) out of the rows submitted;
- ``customer_coordinates_outside_china``: a customer of the month with coordinates outside
  18-54°N, 73-135°E (``channels.models.CHINA_LATITUDES``, ``CHINA_LONGITUDES``: swapped or mistyped
  coordinates);
- ``sale_dated_after_entry``: a sale of the month whose sale date is after the day it was
  entered (a sale entered before it happened).

Consistency (checks on stored data that can actually fail):
- ``sale_before_arrival``: the sale date is before its unit's arrival date, or the unit has
  none (the sale's trigger checks this when the sale is written, but a later change to the
  unit's arrival date, e.g. by a stock import, is not checked);
- ``sale_unit_not_sold``: the sold unit's status is not "sold";
- ``loan_sale_without_loan``: a sale paid by loan, ``loan_grace_days`` or more before the
  month's last day of data, with no live loan recorded;
- ``lead_sale_of_other_dealer``: a won lead of the month whose converted sale is another dealer's.
Impossible by construction, so not counted: a sale without a stock unit (NOT NULL one-to-one),
a loan larger than its sale and a loan on a cash or lease sale (the loan's and the sale's
deferred triggers require principal + down payment = price and payment = loan for every live
loan), a customer without a phone and a malformed VIN or phone (CHECK constraints).

Timeliness:
- ``sale_late``: a sale of the month that is not timely in the sense of channel health's
  metric 12 (``datahub.quality.definitions.TIMELY_SALE``): the dimension's score is exactly
  metric 12's value x 100;
- ``import_lag`` (reported, not scored): an import of the month whose new rows arrived a median of
  more than ``lag_limit_hours`` after their event (end of the sale day, arrival day, loan
  application day, visit day; a lead's creation). The median lag per source (DMS, CRM, ...)
  is kept on the score.

Integrity (from the audit trail, pghistory's event tables; event times are the database's, a
dealer cannot set them as it can ``recorded_at``). Sales (``inventory_saleevent``):
- ``sale_backdated``: a sale of the month first entered (its insert event) more than
  ``backdate_days`` days after the end of its sale day, or after the month's reporting cut-off;
- ``sale_moved_month``: an update that changed the sale date to another month; counted in the
  month it left and the month it entered;
- ``sale_edited_after_cutoff``: an update, after the month's reporting cut-off, of a sale that
  belonged to the month before the update;
- ``sale_deleted_reentered``: a sale deleted, then a sale for the same stock unit entered
  again (the new sale is the record; counted in the months of both sale dates).

Loans (``finance_loanevent``; a loan's month is the month of its disbursement date):
- ``loan_edited_after_close``: an update, once the loan's month had closed, of a loan disbursed
  in the month before the update, that changed one of the figures its commission is computed
  from or that name it (``LOAN_FIGURES``: reference, sale, dealer, lender, principal, down
  payment, rates, term, credit grade, application and disbursement dates). The month closes at
  its reporting cut-off (``cutoff_ts``, as for sales), or earlier when finance staff closed its
  ``finance.CommissionPeriod`` before that: the earlier of the two, so an edit once flagged stays
  flagged whenever the period is closed. Status changes (paid off early, defaulted, matured)
  and their closing date are the loan's lifecycle, not edits; recording the disbursement
  itself (an update from no disbursement date) is not an edit of a disbursed loan either;
- ``loan_moved_month``: an update that changed the disbursement date to another month; counted
  in the month it left and the month it entered (the commission's booking month moves);
- ``loan_deleted_reentered``: a loan deleted, then a loan entered again under the same
  reference (the new loan is the record; counted in the months of both disbursement dates).

Stock units (``inventory_stockunitevent``; a unit's month is the month of its arrival):
- ``stock_arrival_moved_month``: an update, after the month's reporting cut-off, that moved the
  arrival date out of the month or into it (the month's stock coefficient and aged stock were
  reported on the old date); counted in both months, each judged by its own cut-off;
- ``stock_unit_deleted_reentered``: a unit deleted, then a unit entered again with the same VIN
  (resets its stock age); counted in the months of both arrival dates (the order date for a
  unit that had not arrived).

Customers (``customers_customerevent``):
- ``customer_deleted_reentered``: a customer entered (its insert event in the month) for the
  same dealer and phone as a customer deleted before: the classic way to reset a customer's
  history (purchases, complaints, retention).

The dimension's denominator, per dealer: every record of the month counts once, failing if any
of its rules fails: the sales sold in the month, the loans disbursed in it, the stock units
arrived in it and the customers created in it, plus any record flagged for the month outside
those (e.g. a sale or loan moved out of it, a deleted record's successor dated in it).
"""

from channels.models import CHINA_LATITUDES, CHINA_LONGITUDES
from datahub.quality.definitions import late_sale_reason_sql, timely_sale_sql

RESULT_TABLE = """
CREATE TEMP TABLE dq_result (
  dealer_id bigint NOT NULL, dimension text NOT NULL, rule text NOT NULL, record_type text NOT NULL,
  record_id bigint NOT NULL, checked integer NOT NULL, failed integer NOT NULL, issue boolean NOT NULL,
  detail text NOT NULL
) ON COMMIT DROP
"""

INSERT = "INSERT INTO dq_result (dealer_id, dimension, rule, record_type, record_id, checked, failed, issue, detail)"

# The month's customers, once: completeness and validity both read them.
COMPLETENESS = f"""
{INSERT}
SELECT c.home_dealer_id, 'completeness', 'customer_no_coordinates', 'customers.Customer', c.id,
       1, (c.latitude IS NULL OR c.longitude IS NULL)::int, c.latitude IS NULL OR c.longitude IS NULL, ''
FROM customers_customer c
WHERE c.created_at >= %(start_ts)s AND c.created_at < %(end_ts)s
UNION ALL
SELECT v.dealer_id, 'completeness', 'visit_no_satisfaction', 'customers.ServiceVisit', v.id,
       1, (v.satisfaction IS NULL)::int, v.satisfaction IS NULL, 'visited ' || v.visited_on
FROM customers_servicevisit v
WHERE v.visited_on BETWEEN %(first)s AND %(last)s
UNION ALL
SELECT l.dealer_id, 'completeness', 'loan_no_buy_rate', 'finance.Loan', l.id,
       1, (l.buy_rate IS NULL)::int, l.buy_rate IS NULL, l.reference
FROM finance_loan l JOIN inventory_sale s ON s.id = l.sale_id
WHERE s.sold_on BETWEEN %(first)s AND %(last)s AND l.status <> 'rejected'
UNION ALL
SELECT l.dealer_id, 'completeness', 'lead_no_first_contact', 'channels.Lead', l.id,
       1, (l.first_contact_at IS NULL)::int, l.first_contact_at IS NULL, 'outcome ' || l.outcome
FROM channels_lead l
WHERE l.dealer_id IS NOT NULL AND l.assigned_at >= %(start_ts)s AND l.assigned_at < %(end_ts)s
  AND l.outcome IN ('contacted', 'test_drive', 'won')
"""  # noqa: S608 - constant SQL; values are parameters

VALIDITY = f"""
{INSERT}
SELECT b.dealer_id, 'validity', 'import_rows_refused', 'datahub.ImportBatch', b.id,
       count(*), count(*) FILTER (WHERE r.action = 'error'), count(*) FILTER (WHERE r.action = 'error') > 0,
       count(*) FILTER (WHERE r.action = 'error') || ' of ' || count(*) || ' rows refused (' || b.file_name || ')'
FROM datahub_importbatch b JOIN datahub_importrow r ON r.batch_id = b.id
WHERE b.created_at >= %(start_ts)s AND b.created_at < %(end_ts)s
  AND b.dealer_id IS NOT NULL  -- network files (the city markets) belong to no dealer
GROUP BY b.id
UNION ALL
SELECT c.home_dealer_id, 'validity', 'customer_coordinates_outside_china', 'customers.Customer', c.id,
       1, bad::int, bad, c.latitude || ', ' || c.longitude
FROM customers_customer c
CROSS JOIN LATERAL (
  SELECT NOT (c.latitude BETWEEN {CHINA_LATITUDES[0]} AND {CHINA_LATITUDES[1]}
              AND c.longitude BETWEEN {CHINA_LONGITUDES[0]} AND {CHINA_LONGITUDES[1]}) AS bad
) o
WHERE c.created_at >= %(start_ts)s AND c.created_at < %(end_ts)s
  AND c.latitude IS NOT NULL AND c.longitude IS NOT NULL
UNION ALL
SELECT s.dealer_id, 'validity', 'sale_dated_after_entry', 'inventory.Sale', s.id, 1, bad::int, bad,
       'sold ' || s.sold_on || ', entered ' || to_char(s.recorded_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI')
FROM inventory_sale s
CROSS JOIN LATERAL (SELECT s.sold_on > (s.recorded_at AT TIME ZONE %(tz)s)::date AS bad) o
WHERE s.sold_on BETWEEN %(first)s AND %(last)s
"""  # noqa: S608 - constant SQL; values are parameters

CONSISTENCY = f"""
{INSERT}
SELECT s.dealer_id, 'consistency', c.rule, 'inventory.Sale', s.id, c.checked, c.failed::int, c.failed, c.detail
FROM inventory_sale s
JOIN inventory_stockunit u ON u.id = s.stock_unit_id
CROSS JOIN LATERAL (
  VALUES
    ('sale_before_arrival', 1, u.arrived_on IS NULL OR s.sold_on < u.arrived_on,
     'sold ' || s.sold_on || ', arrived ' || COALESCE(u.arrived_on::text, '-')),
    ('sale_unit_not_sold', 1, u.status <> 'sold', u.vin || ' is ' || u.status),
    ('loan_sale_without_loan', 1, NOT EXISTS (
       SELECT 1 FROM finance_loan l WHERE l.sale_id = s.id AND l.status <> 'rejected'
     ), 'sold ' || s.sold_on || ' on loan')
) AS c(rule, checked, failed, detail)
WHERE s.sold_on BETWEEN %(first)s AND %(last)s
  AND (c.rule <> 'loan_sale_without_loan' OR (s.payment = 'loan' AND s.sold_on <= %(last)s - %(loan_grace_days)s))
UNION ALL
SELECT l.dealer_id, 'consistency', 'lead_sale_of_other_dealer', 'channels.Lead', l.id,
       1, (s.dealer_id <> l.dealer_id)::int, s.dealer_id <> l.dealer_id, 'sale #' || s.id
FROM channels_lead l JOIN inventory_sale s ON s.id = l.converted_sale_id
WHERE l.dealer_id IS NOT NULL AND l.assigned_at >= %(start_ts)s AND l.assigned_at < %(end_ts)s
"""  # noqa: S608 - constant SQL; values are parameters

TIMELINESS = f"""
{INSERT}
SELECT s.dealer_id, 'timeliness', 'sale_late', 'inventory.Sale', s.id, 1, late::int, late,
       COALESCE({late_sale_reason_sql("s")}, '') || ': sold ' || s.sold_on
         || ', entered ' || to_char(s.recorded_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI')
FROM inventory_sale s
CROSS JOIN LATERAL (SELECT NOT {timely_sale_sql("s")} AS late) t
WHERE s.sold_on BETWEEN %(first)s AND %(last)s
"""  # noqa: S608 - constant SQL; values are parameters

# The DMS->CRM lag: each row an import of the month created (the record's first arrival in the
# hub; updates are corrections, not sync), hours from the end of its event's day (or the
# lead's creation) to the upload. Rows are matched to their record by
# the natural key the import wrote them under; customers have no event date and are left out.
LAG_TABLE = """
CREATE TEMP TABLE dq_lag ON COMMIT DROP AS
SELECT b.dealer_id, b.id AS batch_id, b.source,
       GREATEST(0, extract(epoch FROM b.created_at - ev.event_at) / 3600) AS lag_hours
FROM datahub_importbatch b
JOIN datahub_importrow r ON r.batch_id = b.id AND r.action = 'create'
CROSS JOIN LATERAL (
  SELECT ((s.sold_on + 1)::timestamp AT TIME ZONE %(tz)s) AS event_at
  FROM inventory_stockunit u JOIN inventory_sale s ON s.stock_unit_id = u.id
  WHERE b.kind = 'sales' AND u.vin = r.natural_key
  UNION ALL
  SELECT ((u.arrived_on + 1)::timestamp AT TIME ZONE %(tz)s)
  FROM inventory_stockunit u
  WHERE b.kind = 'stock_arrivals' AND u.vin = r.natural_key AND u.arrived_on IS NOT NULL
  UNION ALL
  SELECT ((v.visited_on + 1)::timestamp AT TIME ZONE %(tz)s)
  FROM customers_servicevisit v
  WHERE b.kind = 'service_visits' AND v.dealer_id = b.dealer_id AND v.work_order = r.natural_key
  UNION ALL
  SELECT ((l.applied_on + 1)::timestamp AT TIME ZONE %(tz)s)
  FROM finance_loan l
  WHERE b.kind = 'loans' AND l.reference = r.natural_key
  UNION ALL
  SELECT l.created_at
  FROM channels_lead l
  WHERE b.kind = 'leads' AND l.dealer_id = b.dealer_id AND l.crm_reference = r.natural_key
) ev
WHERE b.status = 'imported' AND b.created_at >= %(start_ts)s AND b.created_at < %(end_ts)s
"""

IMPORT_LAG = f"""
{INSERT}
SELECT dealer_id, 'timeliness', 'import_lag', 'datahub.ImportBatch', batch_id, 0, 0, true,
       'median ' || round(median::numeric, 1) || ' h over ' || rows || ' rows (' || source || ')'
FROM (
  SELECT dealer_id, batch_id, source, count(*) AS rows,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_hours) AS median
  FROM dq_lag GROUP BY dealer_id, batch_id, source
) per_batch
WHERE median > %(lag_limit_hours)s
"""  # noqa: S608 - constant SQL; values are parameters

SOURCE_LAGS = """
SELECT dealer_id, source, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_hours)::numeric, 1)
FROM dq_lag GROUP BY dealer_id, source ORDER BY dealer_id, source
"""

# The audit trail of the sales that belonged to the month at some point: each event with the
# sale date of the version before it.
SALE_EVENTS = """
CREATE TEMP TABLE dq_sale_event ON COMMIT DROP AS
SELECT e.pgh_id, e.pgh_obj_id, e.pgh_label, e.pgh_created_at, e.dealer_id, e.stock_unit_id, e.sold_on,
       lag(e.sold_on) OVER (PARTITION BY e.pgh_obj_id ORDER BY e.pgh_id) AS previous_sold_on
FROM inventory_saleevent e
WHERE e.pgh_obj_id IN (SELECT pgh_obj_id FROM inventory_saleevent WHERE sold_on BETWEEN %(first)s AND %(last)s)
"""

INTEGRITY = f"""
{INSERT}
(SELECT s.dealer_id, 'integrity', 'sale_backdated', 'inventory.Sale', s.id, 1, bad::int, bad,
        'sold ' || s.sold_on || ', first entered '
          || COALESCE(to_char(i.entered AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI'), '-')
 FROM inventory_sale s
 LEFT JOIN (
   SELECT e.pgh_obj_id, min(e.pgh_created_at) AS entered FROM dq_sale_event e WHERE e.pgh_label = 'insert'
   GROUP BY e.pgh_obj_id
 ) i ON i.pgh_obj_id = s.id  -- one aggregate, hash-joined: a lateral per sale scanned the (unindexed) table each time
 CROSS JOIN LATERAL (
   SELECT COALESCE(
     i.entered >= ((s.sold_on + 1 + %(backdate_days)s)::timestamp AT TIME ZONE %(tz)s) OR i.entered >= %(cutoff_ts)s,
     false
   ) AS bad
 ) b
 WHERE s.sold_on BETWEEN %(first)s AND %(last)s)
UNION ALL
(SELECT DISTINCT ON (e.pgh_obj_id) e.dealer_id, 'integrity', 'sale_moved_month', 'inventory.Sale', e.pgh_obj_id,
        1, 1, true,
        'sale date ' || e.previous_sold_on || ' -> ' || e.sold_on || ' on '
          || to_char(e.pgh_created_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI')
 FROM dq_sale_event e
 WHERE e.pgh_label = 'update' AND date_trunc('month', e.previous_sold_on) <> date_trunc('month', e.sold_on)
   AND (e.previous_sold_on BETWEEN %(first)s AND %(last)s OR e.sold_on BETWEEN %(first)s AND %(last)s)
 ORDER BY e.pgh_obj_id, e.pgh_id DESC)
UNION ALL
(SELECT e.dealer_id, 'integrity', 'sale_edited_after_cutoff', 'inventory.Sale', e.pgh_obj_id, 1, 1, true,
        count(*) || ' edit(s) after the cut-off, last on '
          || to_char(max(e.pgh_created_at) AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI')
 FROM dq_sale_event e
 WHERE e.pgh_label = 'update' AND e.pgh_created_at >= %(cutoff_ts)s
   AND e.previous_sold_on BETWEEN %(first)s AND %(last)s
 GROUP BY e.dealer_id, e.pgh_obj_id)
UNION ALL
(SELECT DISTINCT ON (again.pgh_obj_id) again.dealer_id, 'integrity', 'sale_deleted_reentered', 'inventory.Sale',
        again.pgh_obj_id, 1, 1, true,
        'sale #' || gone.pgh_obj_id || ' (sold ' || gone.sold_on || ') deleted on '
          || to_char(gone.pgh_created_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI')
          || ', entered again (sold ' || again.sold_on || ') on '
          || to_char(again.pgh_created_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI')
 FROM inventory_saleevent gone
 JOIN inventory_saleevent again
   ON again.stock_unit_id = gone.stock_unit_id AND again.pgh_label = 'insert' AND again.pgh_id > gone.pgh_id
      AND again.pgh_obj_id <> gone.pgh_obj_id
 WHERE gone.pgh_label = 'delete'
   AND (gone.sold_on BETWEEN %(first)s AND %(last)s OR again.sold_on BETWEEN %(first)s AND %(last)s)
 ORDER BY again.pgh_obj_id, gone.pgh_id DESC)
"""  # noqa: S608 - constant SQL; values are parameters

# The loan fields a commission is computed from (and that name the loan): an update changing
# one of them is an edit; the lifecycle (status, closing date) moves on by design.
LOAN_FIGURES = (
    "reference", "sale_id", "dealer_id", "lender_id", "principal", "down_payment", "annual_rate", "buy_rate",
    "term_months", "credit_grade", "applied_on", "disbursed_on",
)  # fmt: skip
_LOAN_CHANGED = ", ".join(
    f"CASE WHEN e.{name} IS DISTINCT FROM lag(e.{name}) OVER w THEN '{name}' END" for name in LOAN_FIGURES
)

# The audit trail of the loans disbursed in the month at some point: each event with the
# disbursement date of the version before it and the figures it changed.
LOAN_EVENTS = f"""
CREATE TEMP TABLE dq_loan_event ON COMMIT DROP AS
SELECT e.pgh_id, e.pgh_obj_id, e.pgh_label, e.pgh_created_at, e.dealer_id, e.reference, e.disbursed_on,
       lag(e.disbursed_on) OVER w AS previous_disbursed_on, concat_ws(', ', {_LOAN_CHANGED}) AS changed
FROM finance_loanevent e
WHERE e.pgh_obj_id IN (
  SELECT pgh_obj_id FROM finance_loanevent WHERE disbursed_on BETWEEN %(first)s AND %(last)s
)
WINDOW w AS (PARTITION BY e.pgh_obj_id ORDER BY e.pgh_id)
"""  # noqa: S608 - only constant field names are interpolated

# When the month closed for its loans: the reporting cut-off, or the closing of its commission
# period by finance staff when that came first.
_LOANS_CLOSED = """
SELECT LEAST(%(cutoff_ts)s, p.closed_at) AS closed_at,
       CASE WHEN p.closed_at < %(cutoff_ts)s
            THEN 'the commission period closed on ' || to_char(p.closed_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI')
            ELSE 'the reporting cut-off' END AS closed_by
FROM (SELECT %(first)s::date AS month) m
LEFT JOIN finance_commissionperiod p ON p.month = m.month AND p.status = 'closed'
"""

LOAN_INTEGRITY = f"""
{INSERT}
(SELECT COALESCE(x.dealer_id, l.dealer_id), 'integrity', 'loan_edited_after_close', 'finance.Loan',
        COALESCE(x.pgh_obj_id, l.id), 1, (x.pgh_obj_id IS NOT NULL)::int, x.pgh_obj_id IS NOT NULL,
        COALESCE(x.detail, '')
 FROM (SELECT id, dealer_id FROM finance_loan WHERE disbursed_on BETWEEN %(first)s AND %(last)s) l
 FULL JOIN (
   SELECT e.pgh_obj_id, (array_agg(e.dealer_id ORDER BY e.pgh_id DESC))[1] AS dealer_id,
          count(*) || ' edit(s) after ' || min(c.closed_by) || ', last on '
            || to_char(max(e.pgh_created_at) AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI')
            || ' (' || (array_agg(e.changed ORDER BY e.pgh_id DESC))[1] || ')' AS detail
   FROM dq_loan_event e CROSS JOIN ({_LOANS_CLOSED}) c
   WHERE e.pgh_label = 'update' AND e.changed <> '' AND e.pgh_created_at >= c.closed_at
     AND e.previous_disbursed_on BETWEEN %(first)s AND %(last)s
   GROUP BY e.pgh_obj_id
 ) x ON x.pgh_obj_id = l.id)
UNION ALL
(SELECT DISTINCT ON (e.pgh_obj_id) e.dealer_id, 'integrity', 'loan_moved_month', 'finance.Loan', e.pgh_obj_id,
        1, 1, true,
        e.reference || ': disbursement date ' || e.previous_disbursed_on || ' -> ' || e.disbursed_on || ' on '
          || to_char(e.pgh_created_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI')
 FROM dq_loan_event e
 WHERE e.pgh_label = 'update' AND date_trunc('month', e.previous_disbursed_on) <> date_trunc('month', e.disbursed_on)
   AND (e.previous_disbursed_on BETWEEN %(first)s AND %(last)s OR e.disbursed_on BETWEEN %(first)s AND %(last)s)
 ORDER BY e.pgh_obj_id, e.pgh_id DESC)
UNION ALL
(SELECT DISTINCT ON (again.pgh_obj_id) again.dealer_id, 'integrity', 'loan_deleted_reentered', 'finance.Loan',
        again.pgh_obj_id, 1, 1, true,
        again.reference || ': loan #' || gone.pgh_obj_id || ' (disbursed ' || COALESCE(gone.disbursed_on::text, '-')
          || ') deleted on ' || to_char(gone.pgh_created_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI')
          || ', entered again on ' || to_char(again.pgh_created_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI')
 FROM finance_loanevent gone
 JOIN finance_loanevent again
   ON again.reference = gone.reference AND again.pgh_label = 'insert' AND again.pgh_id > gone.pgh_id
      AND again.pgh_obj_id <> gone.pgh_obj_id
 LEFT JOIN finance_loan now ON now.id = again.pgh_obj_id
 WHERE gone.pgh_label = 'delete'
   AND (gone.disbursed_on BETWEEN %(first)s AND %(last)s
        OR COALESCE(now.disbursed_on, again.disbursed_on) BETWEEN %(first)s AND %(last)s)
 ORDER BY again.pgh_obj_id, gone.pgh_id DESC)
"""  # noqa: S608 - constant SQL; values are parameters

# The audit trail of the stock units that arrived in the month at some point, each event with
# the arrival date of the version before it.
STOCK_EVENTS = """
CREATE TEMP TABLE dq_stock_event ON COMMIT DROP AS
SELECT e.pgh_id, e.pgh_obj_id, e.pgh_label, e.pgh_created_at, e.dealer_id, e.vin, e.arrived_on,
       lag(e.arrived_on) OVER (PARTITION BY e.pgh_obj_id ORDER BY e.pgh_id) AS previous_arrived_on
FROM inventory_stockunitevent e
WHERE e.pgh_obj_id IN (SELECT pgh_obj_id FROM inventory_stockunitevent WHERE arrived_on BETWEEN %(first)s AND %(last)s)
"""

STOCK_INTEGRITY = f"""
{INSERT}
(SELECT COALESCE(x.dealer_id, u.dealer_id), 'integrity', 'stock_arrival_moved_month', 'inventory.StockUnit',
        COALESCE(x.pgh_obj_id, u.id), 1, (x.pgh_obj_id IS NOT NULL)::int, x.pgh_obj_id IS NOT NULL,
        COALESCE(x.detail, '')
 FROM (SELECT id, dealer_id FROM inventory_stockunit WHERE arrived_on BETWEEN %(first)s AND %(last)s) u
 FULL JOIN (
   SELECT DISTINCT ON (e.pgh_obj_id) e.pgh_obj_id, e.dealer_id,
          e.vin || ': arrival date ' || e.previous_arrived_on || ' -> ' || e.arrived_on || ' on '
            || to_char(e.pgh_created_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI') AS detail
   FROM dq_stock_event e
   WHERE e.pgh_label = 'update' AND e.pgh_created_at >= %(cutoff_ts)s
     AND date_trunc('month', e.previous_arrived_on) <> date_trunc('month', e.arrived_on)
     AND (e.previous_arrived_on BETWEEN %(first)s AND %(last)s OR e.arrived_on BETWEEN %(first)s AND %(last)s)
   ORDER BY e.pgh_obj_id, e.pgh_id DESC
 ) x ON x.pgh_obj_id = u.id)
UNION ALL
(SELECT DISTINCT ON (again.pgh_obj_id) again.dealer_id, 'integrity', 'stock_unit_deleted_reentered',
        'inventory.StockUnit', again.pgh_obj_id, 1, 1, true,
        again.vin || ': unit #' || gone.pgh_obj_id || ' (arrived ' || COALESCE(gone.arrived_on::text, '-')
          || ') deleted on ' || to_char(gone.pgh_created_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI')
          || ', entered again (arrived ' || COALESCE(COALESCE(now.arrived_on, again.arrived_on)::text, '-') || ') on '
          || to_char(again.pgh_created_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI')
 FROM inventory_stockunitevent gone
 JOIN inventory_stockunitevent again
   ON again.vin = gone.vin AND again.pgh_label = 'insert' AND again.pgh_id > gone.pgh_id
      AND again.pgh_obj_id <> gone.pgh_obj_id
 LEFT JOIN inventory_stockunit now ON now.id = again.pgh_obj_id
 WHERE gone.pgh_label = 'delete'
   AND (COALESCE(gone.arrived_on, gone.ordered_on) BETWEEN %(first)s AND %(last)s
        OR COALESCE(now.arrived_on, again.arrived_on, now.ordered_on, again.ordered_on) BETWEEN %(first)s AND %(last)s)
 ORDER BY again.pgh_obj_id, gone.pgh_id DESC)
"""  # noqa: S608 - constant SQL; values are parameters

CUSTOMER_INTEGRITY = f"""
{INSERT}
SELECT COALESCE(x.dealer_id, c.home_dealer_id), 'integrity', 'customer_deleted_reentered', 'customers.Customer',
       COALESCE(x.pgh_obj_id, c.id), 1, (x.pgh_obj_id IS NOT NULL)::int, x.pgh_obj_id IS NOT NULL,
       COALESCE(x.detail, '')
FROM (
  SELECT id, home_dealer_id FROM customers_customer WHERE created_at >= %(start_ts)s AND created_at < %(end_ts)s
) c
FULL JOIN (
  SELECT DISTINCT ON (again.pgh_obj_id) again.pgh_obj_id, again.home_dealer_id AS dealer_id,
         'customer #' || gone.pgh_obj_id || ' (created '
           || to_char(gone.created_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD') || ') deleted on '
           || to_char(gone.pgh_created_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI') || ', entered again on '
           || to_char(again.pgh_created_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI') AS detail
  FROM customers_customerevent again
  JOIN customers_customerevent gone
    ON gone.home_dealer_id = again.home_dealer_id AND gone.phone = again.phone AND gone.pgh_label = 'delete'
       AND gone.pgh_id < again.pgh_id AND gone.pgh_obj_id <> again.pgh_obj_id
  WHERE again.pgh_label = 'insert' AND again.pgh_created_at >= %(start_ts)s AND again.pgh_created_at < %(end_ts)s
  ORDER BY again.pgh_obj_id, gone.pgh_id DESC
) x ON x.pgh_obj_id = c.id
"""  # noqa: S608 - constant SQL; values are parameters

FAMILIES = [
    COMPLETENESS, VALIDITY, CONSISTENCY, TIMELINESS, LAG_TABLE, IMPORT_LAG,
    SALE_EVENTS, INTEGRITY, LOAN_EVENTS, LOAN_INTEGRITY, STOCK_EVENTS, STOCK_INTEGRITY, CUSTOMER_INTEGRITY,
]  # fmt: skip

# The temporary tables the families create (dropped first, should a run in this session have left them).
TEMP_TABLES = ("dq_result", "dq_lag", "dq_sale_event", "dq_loan_event", "dq_stock_event")

# Per dealer and dimension: a record counts once (failing if any of its rules fails), an
# import counts its rows.
DIMENSION_COUNTS = """
SELECT dealer_id, dimension, sum(checked) AS checked, sum(failed) AS failed
FROM (
  SELECT dealer_id, dimension, record_type, record_id, max(checked) AS checked, max(failed) AS failed
  FROM dq_result GROUP BY dealer_id, dimension, record_type, record_id
) per_record
GROUP BY dealer_id, dimension
"""
