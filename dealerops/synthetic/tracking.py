"""The in-transit side of a generated network: a tracker on every unit on its way from the
plant at Changchun to its dealer, reporting every six hours along the straight line between
them (a carrier's night stop at a service area now and then); one tracker in ten has gone
silent a day or two ago and one journey in twenty is running past its ETA, so the in-transit
page has exceptions to show. Written set-based, as the subscriber would have left it."""

from django.db import connection
from django.utils import timezone

from dealerops.synthetic.spec import NetworkSpec

PLANT = (43.817, 125.324)  # the FAW plant, Changchun

DELAYED = """
UPDATE inventory_stockunit SET eta = %(end)s::date - (1 + id %% 3)::int
WHERE status = 'in_transit' AND id %% 20 = 0
"""

TRACKERS = """
INSERT INTO inventory_tracker (device_id, stock_unit_id, fitted_at)
SELECT 'GPS-' || lpad(u.id::text, 7, '0'), u.id, (u.ordered_on + 1) + time '08:00' AT TIME ZONE 'Asia/Shanghai'
FROM inventory_stockunit u WHERE u.status = 'in_transit'
"""

# Departure two days after the order at 08:00, arrival on the ETA at 18:00; a report every six
# hours until now (or, for a silent tracker, until 8 to 48 hours ago), never past 97 % of the way.
POSITIONS = """
WITH journeys AS (
  SELECT u.id AS unit_id, t.id AS tracker_id, d.latitude::float AS dlat, d.longitude::float AS dlon,
         (u.ordered_on + 2) + time '08:00' AT TIME ZONE 'Asia/Shanghai' AS departs,
         GREATEST(u.eta, u.ordered_on + 3) + time '18:00' AT TIME ZONE 'Asia/Shanghai' AS arrives,
         CASE WHEN u.id %% 10 = 3 THEN %(now)s - make_interval(hours => (8 + u.id %% 41)::int) ELSE %(now)s END AS last
  FROM inventory_stockunit u
  JOIN inventory_tracker t ON t.stock_unit_id = u.id
  JOIN channels_dealer d ON d.id = u.dealer_id
  WHERE u.status = 'in_transit'
),
reports AS (
  SELECT j.*, s.at, LEAST(0.97, extract(epoch FROM s.at - j.departs) / extract(epoch FROM j.arrives - j.departs)) AS f
  FROM journeys j CROSS JOIN LATERAL generate_series(j.departs, j.last, interval '6 hours') AS s(at)
)
INSERT INTO inventory_position
  (stock_unit_id, recorded_at, latitude, longitude, speed_kmh, note, source, tracker_id, received_at)
SELECT unit_id, at,
       round((%(plat)s + f * (dlat - %(plat)s) + 0.02 * sin(unit_id + f * 20))::numeric, 6),
       round((%(plon)s + f * (dlon - %(plon)s) + 0.02 * cos(unit_id + f * 20))::numeric, 6),
       CASE WHEN extract(hour FROM at AT TIME ZONE 'Asia/Shanghai') = 2 THEN 0
            ELSE 55 + (unit_id * 7 + extract(day FROM at)::int) %% 35 END,
       CASE WHEN extract(hour FROM at AT TIME ZONE 'Asia/Shanghai') = 2 THEN '服务区休息' ELSE '' END,
       'mqtt', tracker_id, at + interval '20 seconds'
FROM reports
"""

LATEST = """
INSERT INTO inventory_latestposition (stock_unit_id, recorded_at, latitude, longitude, speed_kmh, note)
SELECT DISTINCT ON (stock_unit_id) stock_unit_id, recorded_at, latitude, longitude, speed_kmh, note
FROM inventory_position ORDER BY stock_unit_id, recorded_at DESC
"""


def tracking_build(spec: NetworkSpec) -> int:
    """Build it; returns the positions written."""
    # Trackers report in real time: their positions run up to now, past the data's last day.
    now = timezone.now()
    parameters = {"end": spec.end_date, "now": now, "plat": PLANT[0], "plon": PLANT[1]}
    with connection.cursor() as cursor:
        cursor.execute(DELAYED, parameters)
        cursor.execute(TRACKERS)
        cursor.execute(POSITIONS, parameters)
        written = cursor.rowcount
        cursor.execute(LATEST)
    return written
