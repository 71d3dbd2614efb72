"""The dealer graph on the national-scale dataset.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/generate.py --scale S
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/network.py   # a plan run: overlap ties
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/graph.py [--read-only]

Times:

- ``graph_build``: the trading outlets and their ties read (parent–secondary, the latest
  plan run's overlaps), the networkx graph built, its clusters (greedy modularity) and each
  outlet's betweenness and tie strength (channels.graph.network), against the floor: the same
  inputs read by one SQL query each and the connected components of their sparse matrix (scipy);
- ``graph_model``: the risk model on the database's complete months of health scores
  (channels.graph.risk.risk_model: every dealer-month's features, both logistic fits on the
  training months, the hold-out's AUCs and the bootstrap, both refits and next month's risk),
  against the floor: the same score rows read by one SQL query. With fewer months than the
  model needs it stops at the check (``outcome=few_months``);
- ``graph_model_synthetic``: the same model on a synthetic history of the database's dealers
  over 24 months (composites a random walk, the bottom 15 % of each month rated D) on the real
  ties, so its cost at the national size is known whatever health months the database holds;
  its AUCs measure nothing and are not printed;
- ``graph_job``: the nightly job end to end (channels.graph.services.dealer_graph_compute,
  every row stored), against the floor: the two floors above together. ``--read-only`` skips it
  (a database whose schema predates the graph tables, or that must not be written).
"""

import argparse
from datetime import date

import numpy as np
from common import print_table, result_line, setup_django, timed

SYNTHETIC_MONTHS = 24


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--read-only", action="store_true", help="time the reads and the maths only, store no run")
    options = parser.parse_args()
    setup_django()

    from django.db import connection
    from django.db.models import Max
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    from channels.graph.network import dealer_graph, graph_analysis
    from channels.graph.risk import adjacency_matrix, risk_model
    from channels.graph.selectors import dealer_ties, graph_outlets, health_history, plan_run_latest
    from dealerops.validation import today
    from inventory.models import Sale

    # As the nightly job after the dataset's last sale (or today): trained on the months before that day's.
    as_of = Sale.objects.aggregate(last=Max("sold_on"))["last"] or today()
    first_open = as_of.replace(day=1)

    with timed() as build:
        plan = plan_run_latest()
        ties = dealer_ties(plan)
        outlets = graph_outlets()
        graph = dealer_graph(outlets, ties)
        analysis = graph_analysis(graph)
    with timed() as build_floor:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM channels_dealer WHERE status IN ('active', 'probation') ORDER BY id")
            ids = np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
            cursor.execute("SELECT id, parent_id FROM channels_dealer WHERE parent_id IS NOT NULL")
            pairs = cursor.fetchall()
            cursor.execute(
                "SELECT first_id, second_id FROM channels_outletoverlap WHERE run_id = %s", [plan.pk if plan else None]
            )
            pairs += cursor.fetchall()
        position = {int(pk): n for n, pk in enumerate(ids)}
        kept = [(position[a], position[b]) for a, b in pairs if a in position and b in position]
        matrix = sparse.coo_matrix(
            (np.ones(len(kept)), ([a for a, _b in kept], [b for _a, b in kept])), shape=(len(ids), len(ids))
        )
        components, _labels = connected_components(matrix, directed=False)
    tied = sum(1 for _node, degree in graph.degree() if degree)
    print_table(
        [
            ("outlets", len(outlets)),
            ("parent ties", sum(tie.kind == "parent" for tie in ties)),
            ("overlap ties", sum(tie.kind == "overlap" for tie in ties)),
            ("outlets with a tie", tied),
            ("clusters of 2+", len(analysis.clusters)),
            ("components (floor)", components),
            ("betweenness", "exact" if analysis.sources is None else f"{analysis.sources} sampled sources"),
        ],
        ("graph", "value"),
    )
    print(
        result_line(
            "graph_build",
            build["seconds"],
            build_floor["seconds"],
            outlets=len(outlets),
            ties=graph.number_of_edges(),
            tied=tied,
            clusters=len(analysis.clusters),
            modularity=f"{analysis.modularity:.3f}" if analysis.modularity is not None else "",
        )
    )

    with timed() as model:
        history = health_history(first_open)
        adjacency = adjacency_matrix(history.dealers, [(tie.first, tie.second, tie.weight) for tie in ties])
        evaluation, _forecast = risk_model(history, adjacency)
    with timed() as model_floor, connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT ON (month, dealer_id) dealer_id, month, composite, rating, dealer_kind "
            "FROM channels_healthscore h JOIN channels_healthweights w ON w.id = h.weights_id "
            "WHERE month < %s AND composite IS NOT NULL ORDER BY month, dealer_id, w.version DESC",
            [first_open],
        )
        cursor.fetchall()
    figures = {
        "outcome": evaluation.outcome,
        "months": evaluation.months,
        "train_rows": evaluation.train_rows,
        "test_rows": evaluation.test_rows,
        "test_positives": evaluation.test_positives,
    }
    if evaluation.auc_with_graph is not None:
        figures.update(
            auc_with_graph=f"{evaluation.auc_with_graph:.3f}",
            auc_without_graph=f"{evaluation.auc_without_graph:.3f}",
            auc_persistence=f"{evaluation.auc_persistence:.3f}",
        )
    print(result_line("graph_model", model["seconds"], model_floor["seconds"], **figures))

    synthetic = _synthetic_history(list(outlets), first_open, SYNTHETIC_MONTHS)
    synthetic_adjacency = adjacency_matrix(synthetic.dealers, [(tie.first, tie.second, tie.weight) for tie in ties])
    with timed() as fitted:
        synthetic_evaluation, _forecast = risk_model(synthetic, synthetic_adjacency)
    print(
        result_line(
            "graph_model_synthetic",
            fitted["seconds"],
            dealers=len(synthetic.dealers),
            months=len(synthetic.months),
            rows=synthetic_evaluation.train_rows + synthetic_evaluation.test_rows,
        )
    )

    if options.read_only:
        print("graph_job: skipped (--read-only)")
        return
    from channels.graph.services import dealer_graph_compute

    with timed() as job:
        run = dealer_graph_compute(as_of=as_of)
    print(
        result_line(
            "graph_job",
            job["seconds"],
            build_floor["seconds"] + model_floor["seconds"],
            outlets=run.outlets,
            rows=run.job_run.rows,
            outcome=run.evaluation.outcome,
        )
    )


def _synthetic_history(outlets: list[int], before: date, months: int):
    """A reproducible stand-in of ``months`` months of scores of ``outlets``: each composite a
    random walk around its own level, the bottom 15 % of each month rated D."""
    from dateutil.relativedelta import relativedelta

    from channels.graph.risk import History

    rng = np.random.default_rng(2026)
    ids = np.array(sorted(outlets), dtype=np.int64)
    level = rng.normal(60, 10, len(ids))
    rows = []
    for n in range(months):
        month = before - relativedelta(months=months - n)
        level = np.clip(level + rng.normal(0, 3, len(ids)), 0, 100)
        cut = np.quantile(level, [0.15, 0.5, 0.85])
        rating = np.select([level < cut[0], level < cut[1], level < cut[2]], ["D", "C", "B"], "A")
        rows += [
            (int(pk), month, round(float(value), 2), str(rated), "4s")
            for pk, value, rated in zip(ids, level, rating, strict=True)
        ]
    return History.from_rows(rows)


if __name__ == "__main__":
    main()
