"""Stock alerts: the nightly run that opens, updates and resolves them, and a user's
acknowledgement or resolution.

The run is set-based and idempotent: every figure past an active rule's threshold is found by
one ``INSERT … SELECT`` into a temporary table (per dealer × model for the model kinds, per
dealer for the mix deviation, both from ``inventory.stock_metrics``' definitions); alerts are
then upserted on the live-alert key (at most one open or acknowledged alert per dealer, model
and rule: a partial unique index) and the live alerts no longer found are resolved. A re-run
with the same data changes nothing.

What each kind compares (per dealer × model in the rule's segment, unless said):
- overstock, coefficient: the model's coefficient above X (no value without a sale this month:
  no alert, so the first days of a month do not flag every model);
- overstock, days supply: the model's days supply above X, or units in stock with no sale in
  the trailing 45 days (recorded without a figure);
- stock-out risk: days supply below Y (0 with nothing in stock) while there is demand: an open
  lead for the model at the dealer or a sale of it in the trailing 45 days;
- aged units: more than X units of the model in stock over 90 days;
- overdue in transit: more than X units ordered or in transit past their ETA;
- mix deviation (per dealer, no model): the dealer's model-mix deviation above Z.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerops.access import can_write, scope
from dealerops.jobs import tracked_run
from dealerops.models import JobRun, User
from inventory.models import AlertStatus, StockAlert, StockAlertRule
from inventory.stock_metrics import coefficient_sql, days_supply_sql, metrics_sql, period_params

ALERTS_JOB = "inventory.stock_alerts"

FOUND_TABLE = """
CREATE TEMP TABLE stock_alert_found (
  dealer_id bigint NOT NULL, model_id bigint, rule_id bigint NOT NULL, metric_value numeric(12, 2),
  threshold numeric(10, 2) NOT NULL
) ON COMMIT DROP
"""

# Per dealer × model: the figures the model kinds compare (units, sales, open leads).
PER_MODEL = """
SELECT dealer_id, model_id, sum(in_stock) AS in_stock, sum(month) AS month, sum(supply) AS supply,
       sum(aged) AS aged, sum(overdue) AS overdue, sum(leads) AS leads
FROM (
  SELECT u.dealer_id, u.model_id, count(*) FILTER (WHERE u.status = 'in_stock') AS in_stock, 0 AS month, 0 AS supply,
         count(*) FILTER (WHERE u.status = 'in_stock' AND u.arrived_on < %(aged_before)s) AS aged,
         count(*) FILTER (WHERE u.status IN ('ordered', 'in_transit') AND u.eta < %(as_of)s) AS overdue, 0 AS leads
  FROM inventory_stockunit u WHERE u.status IN ('ordered', 'in_transit', 'in_stock') GROUP BY 1, 2
  UNION ALL
  SELECT s.dealer_id, u.model_id, 0, count(*) FILTER (WHERE s.sold_on >= %(month_first)s), count(*), 0, 0, 0
  FROM inventory_sale s JOIN inventory_stockunit u ON u.id = s.stock_unit_id
  WHERE s.sold_on BETWEEN %(supply_from)s AND %(as_of)s GROUP BY 1, 2
  UNION ALL
  SELECT l.dealer_id, l.model_of_interest_id, 0, 0, 0, 0, 0, count(*)
  FROM channels_lead l
  WHERE l.outcome = 'open' AND l.dealer_id IS NOT NULL AND l.model_of_interest_id IS NOT NULL GROUP BY 1, 2
) parts
GROUP BY 1, 2
"""

FIND_MODEL_ALERTS = f"""
INSERT INTO stock_alert_found (dealer_id, model_id, rule_id, metric_value, threshold)
SELECT dealer_id, model_id, rule_id, value, threshold FROM (
  SELECT pm.*, r.id AS rule_id, r.kind, r.threshold,
    CASE r.kind
      WHEN 'overstock_coefficient' THEN {coefficient_sql("pm.in_stock", "pm.month")}
      WHEN 'overstock_days_supply' THEN {days_supply_sql("pm.in_stock", "pm.supply")}
      WHEN 'stockout_risk' THEN CASE WHEN pm.in_stock = 0 THEN 0 ELSE {days_supply_sql("pm.in_stock", "pm.supply")} END
      WHEN 'aged_units' THEN pm.aged
      WHEN 'overdue_in_transit' THEN pm.overdue
    END AS value
  FROM ({PER_MODEL}) pm
  JOIN inventory_vehiclemodel m ON m.id = pm.model_id
  JOIN inventory_stockalertrule r ON r.active AND r.kind <> 'mix_deviation'
    AND (r.powertrain = '' OR r.powertrain = m.powertrain)
    AND (r.msrp_from IS NULL OR m.msrp >= r.msrp_from) AND (r.msrp_below IS NULL OR m.msrp < r.msrp_below)
) figures
WHERE (kind = 'overstock_coefficient' AND value > threshold)
   OR (kind = 'overstock_days_supply' AND in_stock > 0 AND (value IS NULL OR value > threshold))
   OR (kind = 'stockout_risk' AND (leads > 0 OR supply > 0) AND value < threshold)
   OR (kind IN ('aged_units', 'overdue_in_transit') AND value > threshold)
"""  # noqa: S608 - only this module's SQL fragments are interpolated; values are parameters

FIND_MIX_ALERTS = f"""
INSERT INTO stock_alert_found (dealer_id, model_id, rule_id, metric_value, threshold)
SELECT f.key, NULL, r.id, round(f.mix_deviation, 2), r.threshold
FROM ({metrics_sql("dealer")}) f
JOIN inventory_stockalertrule r ON r.active AND r.kind = 'mix_deviation'
WHERE f.mix_deviation > r.threshold
"""  # noqa: S608 - as above

# Inserted rows answer xmax = 0; an update touches only alerts whose figures changed.
UPSERT = """
INSERT INTO inventory_stockalert (dealer_id, model_id, rule_id, metric_value, threshold, status, opened_at, updated_at)
SELECT dealer_id, model_id, rule_id, metric_value, threshold, 'open', %(now)s, %(now)s
FROM stock_alert_found ORDER BY dealer_id, model_id, rule_id
ON CONFLICT (dealer_id, model_id, rule_id) WHERE NOT (status = 'resolved') DO UPDATE SET
  metric_value = EXCLUDED.metric_value, threshold = EXCLUDED.threshold, updated_at = EXCLUDED.updated_at
WHERE (inventory_stockalert.metric_value, inventory_stockalert.threshold)
  IS DISTINCT FROM (EXCLUDED.metric_value, EXCLUDED.threshold)
RETURNING (xmax = 0)
"""

RESOLVE_GONE = """
UPDATE inventory_stockalert a SET status = 'resolved', resolved_at = %(now)s, updated_at = %(now)s
WHERE a.status <> 'resolved' AND NOT EXISTS (
  SELECT 1 FROM stock_alert_found f
  WHERE f.dealer_id = a.dealer_id AND f.model_id IS NOT DISTINCT FROM a.model_id AND f.rule_id = a.rule_id
)
"""


def stock_alerts_run(*, as_of: date, started_by_id: int | None = None) -> JobRun:
    """The nightly job: open, update and resolve every dealer's stock alerts as of ``as_of``;
    the JobRun counts the alerts opened, changed or resolved."""
    with tracked_run(ALERTS_JOB, period=as_of.isoformat(), started_by_id=started_by_id) as run:
        counts = stock_alerts_refresh(as_of=as_of)
        run.rows = counts["opened"] + counts["updated"] + counts["resolved"]
    return run


@transaction.atomic
def stock_alerts_refresh(*, as_of: date) -> dict[str, int]:
    """The run's writes in one transaction: {"opened", "updated", "resolved"} counts."""
    params = {**period_params(as_of), "now": timezone.now(), "dealers": None}
    with connection.cursor() as cursor:
        # One run at a time (the nightly job and a re-run from the operations page).
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('inventory.stock_alerts'))")
        cursor.execute("DROP TABLE IF EXISTS stock_alert_found")
        cursor.execute(FOUND_TABLE)
        cursor.execute(FIND_MODEL_ALERTS, params)
        cursor.execute("SELECT array_agg(id) FROM channels_dealer")
        params["dealers"] = cursor.fetchone()[0] or []
        cursor.execute(FIND_MIX_ALERTS, params)
        cursor.execute(UPSERT, params)
        inserted = [row[0] for row in cursor.fetchall()]
        cursor.execute(RESOLVE_GONE, params)
        resolved = cursor.rowcount
    return {"opened": sum(inserted), "updated": len(inserted) - sum(inserted), "resolved": resolved}


def _live_alert(alert_id: int, user: User) -> StockAlert:
    """The alert, locked, if the user may see it (DoesNotExist otherwise) and change it."""
    alert = scope(user, StockAlert).select_for_update().get(pk=alert_id)
    if not can_write(user, StockAlert):
        raise PermissionDenied
    return alert


@transaction.atomic
def stock_alert_acknowledge(*, alert_id: int, user: User) -> StockAlert:
    """Open → acknowledged: someone has seen it and is on it (the nightly run keeps its figures current)."""
    alert = _live_alert(alert_id, user)
    if alert.status != AlertStatus.OPEN:
        raise ValidationError(
            {
                "status": _("Only an open alert can be acknowledged; this one is %(status)s.")
                % {"status": alert.get_status_display()}
            }
        )
    now = timezone.now()
    alert.status, alert.acknowledged_at, alert.acknowledged_by, alert.updated_at = (
        AlertStatus.ACKNOWLEDGED,
        now,
        user,
        now,
    )
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "updated_at"])
    return alert


@transaction.atomic
def stock_alert_resolve(*, alert_id: int, user: User) -> StockAlert:
    """Open or acknowledged → resolved by a user (if the figure is still past the threshold,
    the next nightly run opens a new alert)."""
    alert = _live_alert(alert_id, user)
    if alert.status == AlertStatus.RESOLVED:
        raise ValidationError({"status": _("This alert is already resolved.")})
    now = timezone.now()
    alert.status, alert.resolved_at, alert.resolved_by, alert.updated_at = AlertStatus.RESOLVED, now, user, now
    alert.save(update_fields=["status", "resolved_at", "resolved_by", "updated_at"])
    return alert


@transaction.atomic
def stock_alert_rule_create(**fields) -> StockAlertRule:
    """Head office's new rule, checked field by field (a negative threshold names ``threshold``);
    the next nightly run applies it."""
    rule = StockAlertRule(**fields)
    rule.full_clean()
    rule.save()
    return rule
