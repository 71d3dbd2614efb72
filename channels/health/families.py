"""The SQL of channel health, one aggregate query per family of source data, each grouped by
dealer over the whole network (never one query per dealer).

The families read the other apps' tables directly: they are aggregates PostgreSQL plans as
one statement with the scoring (window functions, ``percentile_cont``), which the ORM cannot
express without a round trip per family. Parameters (named, all computed by the service):

- ``first`` / ``last``: the month's first day and the last day of data (month end, or today
  for the month to date); ``start_ts`` / ``end_ts``: the same bounds as instants, Shanghai time,
  ``end_ts`` exclusive; ``tz``: the portal's time zone;
- ``cutoff_ts``: end of the reporting cut-off day of the next month;
- ``lead_window_ts``: ``end_ts`` minus 90 days; ``aged_before``: ``last`` minus 90 days;
- ``bought_from`` / ``bought_to``: the purchase dates of "1 to 3 years ago"; ``visited_from``:
  the first day of the trailing 12 months.
"""

from channels.models import HealthMetric
from datahub.quality.definitions import timely_sale_sql

# Metric 1, 2, 5 (divisor), 7 (divisor, leases) and 12: the month's retail sales. A sale is
# timely when it was entered within 48 hours after the end of its sale day (a sale has a
# date, not a time) and not changed after the reporting cut-off: the definition is shared with
# the data-quality timeliness dimension (``datahub.quality.definitions``).
SALES = f"""
SELECT s.dealer_id,
       count(*) AS sold,
       count(*) FILTER (WHERE s.payment = 'lease') AS leased,
       count(*) FILTER (WHERE {timely_sale_sql("s")}) AS timely
FROM inventory_sale s
WHERE s.sold_on BETWEEN %(first)s AND %(last)s
GROUP BY s.dealer_id
"""  # noqa: S608 - a constant fragment; values are parameters

# Metrics 8 and 9: each sale's price against its model's MSRP and guide-price floor.
# Approximation: the model's current prices (the catalogue keeps no price in force per day).
PRICES = """
SELECT s.dealer_id,
       count(*) AS priced,
       avg(s.transaction_price / m.msrp) AS realisation,
       count(*) FILTER (WHERE s.transaction_price < m.guide_price_floor) AS below_floor
FROM inventory_sale s
JOIN inventory_stockunit u ON u.id = s.stock_unit_id
JOIN inventory_vehiclemodel m ON m.id = u.model_id
WHERE s.sold_on BETWEEN %(first)s AND %(last)s
GROUP BY s.dealer_id
"""

# Metric 7: loan sales of the month whose loan is recorded and not rejected (lease sales come
# from SALES: a lease has no loan record).
FINANCE = """
SELECT l.dealer_id, count(*) AS financed
FROM finance_loan l
JOIN inventory_sale s ON s.id = l.sale_id
WHERE s.sold_on BETWEEN %(first)s AND %(last)s AND l.status <> 'rejected'
GROUP BY l.dealer_id
"""

# Metrics 3 and 4. Conversion: leads assigned in the trailing 90 days whose sale was made
# within 90 days of assignment (and by the last day of data). Response: the median minutes
# from assignment to first contact of the leads assigned in the month and contacted (apart,
# so only the month's leads are sorted for the median).
LEADS = """
SELECT dealer_id, COALESCE(conversion.assigned, 0) AS assigned, COALESCE(conversion.converted, 0) AS converted,
       COALESCE(response.contacted, 0) AS contacted, response.median_minutes
FROM (
  SELECT l.dealer_id, count(*) AS assigned,
         count(*) FILTER (WHERE cs.sold_on <= LEAST((l.assigned_at AT TIME ZONE %(tz)s)::date + 90, %(last)s))
           AS converted
  FROM channels_lead l
  LEFT JOIN inventory_sale cs ON cs.id = l.converted_sale_id
  WHERE l.dealer_id IS NOT NULL AND l.assigned_at >= %(lead_window_ts)s AND l.assigned_at < %(end_ts)s
  GROUP BY l.dealer_id
) conversion
FULL JOIN (
  SELECT l.dealer_id, count(*) AS contacted,
         percentile_cont(0.5) WITHIN GROUP (
           ORDER BY GREATEST(0, extract(epoch FROM l.first_contact_at - l.assigned_at) / 60)
         ) AS median_minutes
  FROM channels_lead l
  WHERE l.dealer_id IS NOT NULL AND l.first_contact_at IS NOT NULL
    AND l.assigned_at >= %(start_ts)s AND l.assigned_at < %(end_ts)s
  GROUP BY l.dealer_id
) response USING (dealer_id)
"""

# Metrics 5 and 6: units on hand at the end of the last day: arrived by then and not sold by
# then, counted at the dealer holding them that day. A unit moved between dealers
# (inventory.transfers) is held, after its latest transfer sent by then, by that transfer's
# receiving dealer once it arrived (and by nobody while on its way); before any, by the first
# transfer's sender. Its arrival date is kept, so an aged unit stays aged where it goes.
# Units of the old "transferred" status (left the network, no date kept) are left out.
STOCK = """
WITH moves AS (
  SELECT stock_unit_id, from_dealer_id, to_dealer_id, arrived_on, decided_at
  FROM inventory_transfer WHERE status IN ('confirmed', 'arrived')
),
last_move AS (
  SELECT DISTINCT ON (stock_unit_id) stock_unit_id, to_dealer_id, arrived_on
  FROM moves WHERE (decided_at AT TIME ZONE 'Asia/Shanghai')::date <= %(last)s
  ORDER BY stock_unit_id, decided_at DESC
),
first_move AS (
  SELECT DISTINCT ON (stock_unit_id) stock_unit_id, from_dealer_id FROM moves ORDER BY stock_unit_id, decided_at
)
SELECT COALESCE(lm.to_dealer_id, fm.from_dealer_id, u.dealer_id) AS dealer_id,
       count(*) AS on_hand,
       count(*) FILTER (WHERE u.arrived_on < %(aged_before)s) AS aged
FROM inventory_stockunit u
LEFT JOIN inventory_sale s ON s.stock_unit_id = u.id
LEFT JOIN last_move lm ON lm.stock_unit_id = u.id
LEFT JOIN first_move fm ON fm.stock_unit_id = u.id
WHERE u.arrived_on <= %(last)s
  AND ((s.id IS NULL AND u.status IN ('in_stock', 'in_transit')) OR s.sold_on > %(last)s)
  AND (lm.stock_unit_id IS NULL OR lm.arrived_on <= %(last)s)
GROUP BY 1
"""

# Metric 10: satisfaction (1-5) of the month's service visits and of the inquiries resolved
# in the month, every rated one counting once.
SERVICE = """
SELECT dealer_id, sum(total) AS rating_total, sum(rated) AS rated
FROM (
  SELECT v.dealer_id, sum(v.satisfaction) AS total, count(*) AS rated
  FROM customers_servicevisit v
  WHERE v.visited_on BETWEEN %(first)s AND %(last)s AND v.satisfaction IS NOT NULL
  GROUP BY v.dealer_id
  UNION ALL
  SELECT i.dealer_id, sum(i.satisfaction), count(*)
  FROM customers_inquiry i
  WHERE i.status IN ('resolved', 'closed') AND i.resolved_at >= %(start_ts)s AND i.resolved_at < %(end_ts)s
    AND i.satisfaction IS NOT NULL
  GROUP BY i.dealer_id
) rated
GROUP BY dealer_id
"""

# Metric 11: the dealer's customers who bought from it 1-3 years before the last day, and
# those of them who came back to its workshop in the trailing 12 months.
RETENTION = """
SELECT buyer.dealer_id, count(*) AS buyers, count(visitor.customer_id) AS retained
FROM (
  SELECT DISTINCT dealer_id, customer_id FROM inventory_sale WHERE sold_on BETWEEN %(bought_from)s AND %(bought_to)s
) buyer
LEFT JOIN (
  SELECT DISTINCT dealer_id, customer_id FROM customers_servicevisit
  WHERE visited_on BETWEEN %(visited_from)s AND %(last)s
) visitor USING (dealer_id, customer_id)
GROUP BY buyer.dealer_id
"""

FAMILIES = {
    "sales": SALES,
    "prices": PRICES,
    "finance": FINANCE,
    "leads": LEADS,
    "stock": STOCK,
    "service": SERVICE,
    "retention": RETENTION,
}

# Each metric: its raw value and sample from the family columns (NULL when the divisor is
# zero), and which way is better: higher, lower, or "band" (metric 5: 0.8-1.5 is best, the
# distance from the band is what is ranked). The order is the issue's, 1 to 12.
METRICS = """
  ('target_achievement', j.sold::numeric / NULLIF(j.target, 0), j.target, 'higher'),
  ('staff_efficiency', j.sold::numeric / NULLIF(j.headcount, 0), j.headcount, 'higher'),
  ('lead_conversion', j.converted::numeric / NULLIF(j.assigned, 0), j.assigned, 'higher'),
  ('lead_response', j.median_minutes::numeric, j.contacted, 'lower'),
  ('inventory_coefficient', j.on_hand::numeric / NULLIF(j.sold, 0), j.sold, 'band'),
  ('aged_stock', j.aged::numeric / NULLIF(j.on_hand, 0), j.on_hand, 'lower'),
  ('finance_penetration', (j.financed + j.leased)::numeric / NULLIF(j.sold, 0), j.sold, 'higher'),
  ('price_realisation', j.realisation, j.priced, 'higher'),
  ('below_floor', j.below_floor::numeric / NULLIF(j.priced, 0), j.priced, 'lower'),
  ('satisfaction', j.rating_total::numeric / NULLIF(j.rated, 0), j.rated, 'higher'),
  ('retention', j.retained::numeric / NULLIF(j.buyers, 0), j.buyers, 'higher'),
  ('data_timeliness', j.timely::numeric / NULLIF(j.sold, 0), j.sold, 'higher')
"""
BAND_LOW, BAND_HIGH = "0.8", "1.5"  # the association's inventory coefficient band

# Family columns that count something: 0 for a dealer the family has no row for.
COUNTS = {
    "sales": ["sold", "leased", "timely"],
    "prices": ["priced", "below_floor"],
    "finance": ["financed"],
    "leads": ["assigned", "converted", "contacted"],
    "stock": ["on_hand", "aged"],
    "service": ["rating_total", "rated"],
    "retention": ["buyers", "retained"],
}
COLUMNS = ", ".join(
    f"COALESCE({family}.{column}, 0) AS {column}" for family, columns in COUNTS.items() for column in columns
)

# Each family is staged in its own temporary table first: planned alone, each aggregate gets
# its own plan (and parallel workers); measured faster than one statement over all seven.
# ANALYZE gives the scoring statement row counts: without statistics the planner guesses
# billions of rows and spends seconds JIT-compiling a join of a few thousand.
FAMILY_TABLES = [
    (
        f"DROP TABLE IF EXISTS health_{name}",
        f"CREATE TEMP TABLE health_{name} ON COMMIT DROP AS {sql}",
        f"ANALYZE health_{name}",
    )
    for name, sql in FAMILIES.items()
]

# The smallest sample of each metric, as parameters ``min_<metric>``.
MINIMUMS = ", ".join(f"('{metric}', %(min_{metric})s::integer)" for metric in HealthMetric.values)

# From the family tables: the scored dealers (active or on probation), one row per metric with
# its raw value, sample, whether the sample is too small, and the percentile score among the
# dealers of the same kind with enough data: 100 x (worse + 1/2 x ties) / peers, ties counting
# the dealer itself, ranked on the stored (rounded) value.
STAGE = f"""
CREATE TEMP TABLE health_stage ON COMMIT DROP AS
WITH dealers AS (
  SELECT d.id AS dealer_id, d.kind, d.monthly_sales_target AS target, d.sales_headcount AS headcount
  FROM channels_dealer d WHERE d.status IN ('active', 'probation')
),
joined AS (
  SELECT d.*, {COLUMNS}, prices.realisation, leads.median_minutes
  FROM dealers d
  {" ".join(f"LEFT JOIN health_{name} AS {name} USING (dealer_id)" for name in FAMILIES)}
),
raw AS (
  SELECT j.dealer_id, j.kind, m.metric, round(m.value, 4) AS value, m.sample::integer AS sample, m.better
  FROM joined j CROSS JOIN LATERAL (VALUES {METRICS}) AS m(metric, value, sample, better)
),
judged AS (
  SELECT raw.*, raw.value IS NULL OR raw.sample < minimum.sample AS insufficient,
         CASE raw.better WHEN 'higher' THEN raw.value WHEN 'lower' THEN -raw.value
              ELSE -GREATEST({BAND_LOW} - raw.value, raw.value - {BAND_HIGH}, 0) END AS goodness
  FROM raw JOIN (VALUES {MINIMUMS}) AS minimum(metric, sample) USING (metric)
),
ranked AS (
  SELECT dealer_id, metric,
         round(100 * ((rank() OVER peers - 1) + 0.5 * count(*) OVER (PARTITION BY kind, metric, goodness))
               / count(*) OVER (PARTITION BY kind, metric), 2) AS score
  FROM judged WHERE NOT insufficient
  WINDOW peers AS (PARTITION BY kind, metric ORDER BY goodness)
)
SELECT judged.dealer_id, judged.kind, judged.metric, judged.value, judged.sample, judged.insufficient, ranked.score
FROM judged LEFT JOIN ranked USING (dealer_id, metric)
"""  # noqa: S608 - only the constant fragments above are interpolated; values are parameters
