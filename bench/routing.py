"""Lead routing on the national-scale dataset: 100,000 new leads routed and written.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/generate.py --scale S
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/routing.py [--leads 100000]

Everything happens in one transaction that is rolled back at the end: the database is left
as it was. A database generated before the routing's migration (``channels`` 0016) gets it
inside that transaction too, so the tables are locked (ACCESS EXCLUSIVE on the leads and
dealers) for the run: do not run it beside other work on a shared database.

Times:

- ``routing_batch``: ``channels.routing.services.leads_create`` on ``--leads`` new leads,
  their inputs drawn from the dataset's latest leads (city, coordinates, model of interest,
  source; a third without coordinates, placed at their city's centre; a tenth preferring a
  kind of dealer; one in fifty an online order): each checked, routed (the active dealers
  within reach from the k-d tree, the candidates' open leads, 90-day conversion and stock,
  the five parts, the score and the ranking, the SLA due in the dealer's opening hours) and
  written with its assignment, kept candidates and audit event. Floor: the same inputs'
  pairs within reach (the same k-d tree helper), the active dealers' figures and stock by one
  SQL query each, the score as one weighted sum, the best per lead, and the leads and a bare
  assignment row each written by one ``INSERT … SELECT FROM unnest`` (in a savepoint rolled
  back);
- ``routing_sla_pass``: the periodic SLA pass three days later, when every one of those leads
  is overdue (and the dataset's unassigned leads wait): each moved to its next candidate
  (no floor).
"""

import argparse
from datetime import timedelta

import numpy as np
from common import print_table, result_line, setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000, help="new leads routed (default 100,000)")
    parser.add_argument("--seed", type=int, default=2026)
    options = parser.parse_args()
    setup_django()

    from django.conf import settings

    settings.DEBUG = False  # DEBUG keeps every statement's text (the batch's are tens of MB): as deployed
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    class RolledBack(Exception):
        pass

    before = _state(connection)
    lines: list[str] = []
    try:
        with transaction.atomic():
            migrated = _ensure_schema(connection, call_command)
            lines = _run(options, connection, timezone, migrated)
            raise RolledBack
    except RolledBack:
        pass
    unchanged = _state(connection) == before
    print(*lines[:-1], sep="\n")
    print(f"{lines[-1]} left_unchanged={'yes' if unchanged else 'no'}")


def _state(connection) -> tuple:
    """What the run must leave as it found it: the newest lead, the routing's tables."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id), to_regclass('channels_leadassignment') IS NOT NULL FROM channels_lead")
        newest, routing = cursor.fetchone()
        assignments = None
        if routing:
            cursor.execute("SELECT count(*) FROM channels_leadassignment")
            assignments = cursor.fetchone()[0]
    return newest, routing, assignments


def _ensure_schema(connection, call_command) -> bool:
    """Apply the routing's migration inside the bench's transaction when the database lacks it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('channels_leadassignment') IS NOT NULL")
        if cursor.fetchone()[0]:
            return False
    call_command("migrate", "channels", verbosity=0)
    return True


def _inputs(connection, count: int, rng: np.random.Generator):
    """``count`` new leads' inputs drawn from the dataset's latest leads."""
    from django.utils import timezone

    from channels.models import DealerKind
    from channels.routing.services import NewLead

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT source, customer_city, customer_latitude, customer_longitude, model_of_interest_id "
            "FROM channels_lead WHERE customer_latitude IS NOT NULL ORDER BY id DESC LIMIT %s",
            [count],
        )
        rows = cursor.fetchall()
    picked = rng.integers(0, len(rows), count)
    without = rng.random(count) < 1 / 3
    preference = rng.random(count) < 0.1
    kinds = rng.choice(DealerKind.values, count)
    online = rng.random(count) < 0.02
    created = timezone.now() - timedelta(minutes=5)
    return [
        NewLead(
            source="walk_in" if rows[i][0] == "qr_code" else rows[i][0],
            customer_city=rows[i][1],
            created_at=created,
            customer_latitude=None if without[n] else rows[i][2],
            customer_longitude=None if without[n] else rows[i][3],
            model_of_interest_id=rows[i][4],
            channel_preference=str(kinds[n]) if preference[n] else "",
            online_order=bool(online[n]),
        )
        for n, i in enumerate(picked.tolist())
    ]


def _run(options, connection, timezone, migrated: bool) -> list[str]:
    import pgtrigger

    from channels.models import AssignmentKind, Lead, LeadAssignment
    from channels.routing.services import leads_create, leads_sla_pass, routing_settings_in_force

    rng = np.random.default_rng(options.seed)
    leads = _inputs(connection, options.leads, rng)
    settings = routing_settings_in_force()
    at = timezone.now()

    with timed() as run:
        ids = leads_create(leads=leads, at=at)
    assigned = Lead.objects.filter(pk__in=ids, dealer__isnull=False).count()
    kept = LeadAssignment.objects.filter(lead_id__in=ids, kind=AssignmentKind.ROUTED)
    candidates = sum(len(row) for row in kept.values_list("candidates", flat=True).iterator(chunk_size=10_000))

    # As the batch's own write, the audit events are not written row by row by the trigger.
    with timed() as floor, connection.cursor() as cursor, pgtrigger.ignore("channels.Lead:insert_insert"):
        cursor.execute("SAVEPOINT routing_floor")
        _floor(cursor, leads, settings, at)
        cursor.execute("ROLLBACK TO SAVEPOINT routing_floor")

    with timed() as sla:
        pass_run = leads_sla_pass(at=at + timedelta(days=3))
    moved = LeadAssignment.objects.filter(lead_id__in=ids, kind=AssignmentKind.REASSIGNED).count()

    print_table(
        [
            ("routing_batch", f"{run['seconds']:.2f}", f"{floor['seconds']:.2f}", f"{len(ids):,}"),
            ("routing_sla_pass", f"{sla['seconds']:.2f}", "", f"{pass_run.rows if pass_run else 0:,}"),
        ],
        ("step", "seconds", "floor", "leads"),
    )
    return [
        result_line(
            "routing_batch",
            run["seconds"],
            floor["seconds"],
            leads=len(ids),
            assigned=assigned,
            candidates=candidates,
            migrated_in_transaction="yes" if migrated else "no",
        ),
        result_line("routing_sla_pass", sla["seconds"], rows=pass_run.rows if pass_run else 0, moved=moved),
    ]


def _floor(cursor, leads, settings, at) -> None:
    """The routing's work by hand: arrays in, one weighted sum, the best dealer per lead out."""
    from channels.planning.geometry import pairs_within
    from channels.routing.selectors import city_centres

    cursor.execute(
        "SELECT id, kind, latitude, longitude, sales_headcount FROM channels_dealer "
        "WHERE status = 'active' ORDER BY code"
    )
    dealers = cursor.fetchall()
    ids = np.array([row[0] for row in dealers])
    kind = np.array([row[1] for row in dealers])
    dealer_lat = np.array([float(row[2]) for row in dealers])
    dealer_lon = np.array([float(row[3]) for row in dealers])
    headcount = np.array([row[4] for row in dealers], dtype=float)
    position = {dealer_id: index for index, dealer_id in enumerate(ids.tolist())}
    cursor.execute(
        """
        SELECT dealer_id, count(*) FILTER (WHERE outcome IN ('open', 'contacted', 'test_drive')), count(*),
               count(*) FILTER (WHERE converted_sale_id IS NOT NULL)
        FROM channels_lead WHERE dealer_id = ANY(%s) AND assigned_at >= %s AND assigned_at < %s GROUP BY dealer_id
        """,
        [ids.tolist(), at - timedelta(days=90), at],
    )
    figures = np.zeros((len(ids), 3))
    for dealer_id, *counts in cursor.fetchall():
        figures[position[dealer_id]] = counts
    model_ids = sorted({lead.model_of_interest_id for lead in leads if lead.model_of_interest_id})
    cursor.execute(
        "SELECT DISTINCT dealer_id, model_id FROM inventory_stockunit "
        "WHERE status = 'in_stock' AND dealer_id = ANY(%s) AND model_id = ANY(%s)",
        [ids.tolist(), model_ids],
    )
    model_index = {model_id: index for index, model_id in enumerate(model_ids)}
    width = max(len(model_ids), 1)
    stock = np.array([position[d] * width + model_index[m] for d, m in cursor.fetchall()], dtype=np.int64)
    centres = city_centres(lead.customer_city for lead in leads)
    lat = np.array([float(lead.customer_latitude or centres[lead.customer_city][0]) for lead in leads])
    lon = np.array([float(lead.customer_longitude or centres[lead.customer_city][1]) for lead in leads])
    model = np.array([model_index.get(lead.model_of_interest_id, -1) for lead in leads])
    preference = np.array([lead.channel_preference for lead in leads])
    reach = float(settings.reach_km)
    near = pairs_within(lat, lon, dealer_lat, dealer_lon, reach)
    origin, target = near.origin, near.target
    capacity = headcount[target] * settings.leads_per_salesperson
    parts = np.column_stack(
        (
            1 - near.km / reach,
            (preference[origin] == kind[target]).astype(float),
            np.clip(1 - figures[target, 0] / np.maximum(capacity, 1), 0, 1),
            np.clip(figures[target, 2] / np.maximum(figures[target, 1], 1) / float(settings.conversion_full), 0, 1),
            ((model[origin] >= 0) & np.isin(target * width + model[origin], stock)).astype(float),
        )
    )
    weights = np.array([float(weight) for weight in settings.weights().values()])
    score = parts @ weights
    order = np.lexsort((-score, origin))
    first = np.r_[True, origin[order][1:] != origin[order][:-1]]
    best = ids[target[order][first]]
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence('channels_lead', 'id')) FROM generate_series(1, %s)", [len(best)]
    )
    new_ids = [row[0] for row in cursor.fetchall()]
    chosen = [lead for lead, has in zip(leads, np.isin(np.arange(len(leads)), origin), strict=True) if has]
    cursor.execute(
        """
        INSERT INTO channels_lead (id, source, customer_city, customer_latitude, customer_longitude,
                                   model_of_interest_id, created_at, dealer_id, assigned_at, outcome, crm_reference)
        SELECT id, source, city, lat, lon, model, %s, dealer, %s, 'open', ''
        FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::numeric[], %s::numeric[], %s::bigint[], %s::bigint[])
          AS u(id, source, city, lat, lon, model, dealer)
        """,
        [
            at - timedelta(minutes=5),
            at,
            new_ids,
            [lead.source for lead in chosen],
            [lead.customer_city for lead in chosen],
            [lead.customer_latitude for lead in chosen],
            [lead.customer_longitude for lead in chosen],
            [lead.model_of_interest_id for lead in chosen],
            best.tolist(),
        ],
    )
    cursor.execute(
        """
        INSERT INTO channels_leadassignment (lead_id, kind, reason, dealer_id, at, candidates, note)
        SELECT lead, 'routed', 'best_score', dealer, %s, '[]', ''
        FROM unnest(%s::bigint[], %s::bigint[]) AS u(lead, dealer)
        """,
        [at, new_ids, best.tolist()],
    )


if __name__ == "__main__":
    main()
