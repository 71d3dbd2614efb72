"""The graph-based risk signal: will a dealer be rated D next month?

Each dealer-month t is a row; its label is the rating of month t+1. The same penalised
logistic regression is fitted twice, on the dealer's own history alone and on its own history
plus its neighbours' (a one-layer graph convolution of the composite and of "rated D" over the
dealer graph), trained on the earlier months and judged on the last ``TEST_MONTHS`` months it
never saw, beside the persistence baseline "rated D now, rated D next month". The risk of next
month comes from the model that earned it on the hold-out, refitted on every labelled month."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import numpy as np
from dateutil.relativedelta import relativedelta
from scipy import sparse
from threadpoolctl import threadpool_limits

from channels.graph.learning import Interval, auc, auc_difference_interval, graph_convolution, logistic_fit
from channels.models import DealerKind, Rating, RiskOutcome

TEST_MONTHS = 3  # the hold-out: the last three months with a next month's rating
MIN_TRAIN_MONTHS = 3  # label months before the hold-out, at least
PENALTY = 1.0  # L2 on standardised coefficients
D_MONTHS = 3  # "months rated D" counts the month and the two before
BOOTSTRAP_SAMPLES = 500  # resamples of the hold-out's dealers for the interval of the graph's gain

# Feature names (stored with the coefficients; the pages label them in the reader's language).
OWN_FEATURES = (
    "composite",
    "change",
    "months_d",
    "rated_d",
    "rated_c",
    "rated_b",
    "secondary",
    "showroom",
)
GRAPH_FEATURES = ("graph_composite", "graph_rated_d", "tie_strength")


@dataclass(frozen=True)
class History:
    """Complete months' scores as arrays, months consecutive (a month nobody was scored in is
    all NaN): ``composite`` and ``rating`` are months × dealers."""

    months: list[date]
    dealers: np.ndarray
    composite: np.ndarray
    rating: np.ndarray
    kind: np.ndarray

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, date, Decimal, str, str]]) -> "History":
        """From (dealer id, month, composite, rating, peer group) rows, one per dealer-month."""
        rows = list(rows)
        if not rows:
            empty = np.zeros((0, 0))
            return cls([], np.zeros(0, dtype=np.int64), empty, empty.astype("<U1"), np.zeros(0, dtype="<U16"))
        first, last = min(row[1] for row in rows), max(row[1] for row in rows)
        months = []
        month = first
        while month <= last:
            months.append(month)
            month += relativedelta(months=1)
        dealers = np.array(sorted({row[0] for row in rows}), dtype=np.int64)
        column = {int(pk): n for n, pk in enumerate(dealers)}
        index = {month: n for n, month in enumerate(months)}
        composite = np.full((len(months), len(dealers)), np.nan)
        rating = np.full((len(months), len(dealers)), "", dtype="<U1")
        kind = np.full(len(dealers), DealerKind.FOUR_S.value, dtype="<U16")
        for dealer, month, value, rated, peer_group in rows:
            composite[index[month], column[dealer]] = float(value)
            rating[index[month], column[dealer]] = rated
            kind[column[dealer]] = peer_group  # the latest month's, rows coming oldest first
        return cls(months, dealers, composite, rating, kind)


def adjacency_matrix(dealers: np.ndarray, ties: Iterable[tuple[int, int, float]]) -> sparse.csr_matrix:
    """The symmetric weighted adjacency of ``dealers`` (in their order); ties of two kinds
    between one pair add up, ties to a dealer not listed are left out."""
    column = {int(pk): n for n, pk in enumerate(dealers)}
    rows, cols, weights = [], [], []
    for a, b, weight in ties:
        if a in column and b in column and a != b:
            rows += [column[a], column[b]]
            cols += [column[b], column[a]]
            weights += [weight, weight]
    size = len(dealers)
    return sparse.csr_matrix((weights, (rows, cols)), shape=(size, size))


@dataclass(frozen=True)
class Rows:
    """Dealer-months as the model's rows: ``month`` is the index of the features' month t in
    the history, ``label`` whether t+1 was rated D (None for a month still to come)."""

    own: np.ndarray
    graph: np.ndarray
    dealer: np.ndarray
    month: np.ndarray
    label: np.ndarray | None

    def features(self, *, with_graph: bool) -> np.ndarray:
        return np.hstack([self.own, self.graph]) if with_graph else self.own

    @property
    def rated_d(self) -> np.ndarray:
        return self.own[:, OWN_FEATURES.index("rated_d")]

    def __len__(self) -> int:
        return len(self.dealer)

    def labelled(self, label: np.ndarray) -> "Rows":
        return replace(self, label=label)

    def subset(self, mask: np.ndarray) -> "Rows":
        label = None if self.label is None else self.label[mask]
        return Rows(self.own[mask], self.graph[mask], self.dealer[mask], self.month[mask], label)


def month_rows(history: History, adjacency: sparse.spmatrix, month: int) -> Rows:
    """The features of every dealer scored in month index ``month``."""
    composite, rating = history.composite, history.rating
    present = ~np.isnan(composite[month])
    now = np.nan_to_num(composite[month]) / 100
    before = composite[month - 1] / 100 if month > 0 else np.full(len(now), np.nan)
    change = np.where(np.isnan(before), 0.0, now - np.nan_to_num(before))  # first month scored: no change
    recent = rating[max(0, month - D_MONTHS + 1) : month + 1]
    rated_d = (rating[month] == Rating.D).astype(float)
    own = np.column_stack(
        [
            now,
            change,
            (recent == Rating.D).sum(axis=0),
            rated_d,
            (rating[month] == Rating.C).astype(float),
            (rating[month] == Rating.B).astype(float),
            (history.kind == DealerKind.SECONDARY).astype(float),
            (history.kind == DealerKind.SHOWROOM).astype(float),
        ]
    )
    convolved = graph_convolution(adjacency, np.column_stack([now, rated_d]), present)
    strength = np.asarray((sparse.csr_matrix(adjacency) @ sparse.diags(present.astype(float))).sum(axis=1)).ravel()
    graph = np.column_stack([convolved, np.log1p(strength)])
    dealers = np.flatnonzero(present)
    return Rows(own[dealers], graph[dealers], dealers, np.full(len(dealers), month), None)


def labelled_rows(history: History, adjacency: sparse.spmatrix) -> Rows:
    """Every dealer-month t whose dealer is rated in t+1 too, labelled with that rating."""
    parts = []
    for month in range(len(history.months) - 1):
        rows = month_rows(history, adjacency, month)
        nxt = history.rating[month + 1, rows.dealer]
        rated = nxt != ""
        parts.append(rows.subset(rated).labelled(nxt[rated] == Rating.D))
    if not parts:
        return Rows(
            np.zeros((0, len(OWN_FEATURES))),
            np.zeros((0, len(GRAPH_FEATURES))),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=bool),
        )
    return Rows(*(np.concatenate([getattr(part, name) for part in parts]) for name in Rows.__dataclass_fields__))


@dataclass(frozen=True)
class Split:
    """The time-based hold-out: rows whose label month is one of the last ``test`` label
    months are tested; rows whose label month comes before all of them are trained on."""

    train: np.ndarray
    test: np.ndarray
    train_months: tuple[int, int]  # label months' indices, first and last
    test_months: tuple[int, int]


def time_split(rows: Rows, *, test_months: int = TEST_MONTHS, min_train_months: int = MIN_TRAIN_MONTHS) -> Split | None:
    """None when there are fewer than ``test_months`` + ``min_train_months`` label months."""
    label_month = rows.month + 1
    months = np.unique(label_month)
    if len(months) < test_months + min_train_months:
        return None
    first_test = months[-test_months]
    train, test = label_month < first_test, label_month >= first_test
    return Split(
        train=train,
        test=test,
        train_months=(int(months[0]), int(months[-test_months - 1])),
        test_months=(int(first_test), int(months[-1])),
    )


@dataclass(frozen=True)
class Evaluation:
    outcome: str
    months: int  # complete months scored
    train_months: tuple[date, date] | None = None  # label months (the month predicted)
    test_months: tuple[date, date] | None = None
    train_rows: int = 0
    train_positives: int = 0
    test_rows: int = 0
    test_positives: int = 0
    auc_with_graph: float | None = None
    auc_without_graph: float | None = None
    auc_persistence: float | None = None
    interval: Interval | None = None  # of AUC with graph − AUC without, 95 %
    coefficients: dict | None = None

    @property
    def uses_graph(self) -> bool:
        """The graph earns its place when the interval of its gain lies above zero."""
        return self.interval is not None and self.interval.low > 0


@dataclass(frozen=True)
class Forecast:
    month: date  # the month predicted
    dealers: np.ndarray  # ids
    with_graph: np.ndarray
    without_graph: np.ndarray
    uses_graph: bool

    @property
    def risk(self) -> np.ndarray:
        return self.with_graph if self.uses_graph else self.without_graph


def _coefficients(model, names: Sequence[str]) -> dict:
    return {
        "intercept": round(model.intercept, 4),
        **{name: round(float(value), 4) for name, value in zip(names, model.coef, strict=True)},
    }


def risk_model(
    history: History, adjacency: sparse.spmatrix, *, test_months: int = TEST_MONTHS, penalty: float = PENALTY
) -> tuple[Evaluation, Forecast | None]:
    """The evaluation on the time-based hold-out and, when it could be made, next month's risk
    of every dealer scored in the last month."""
    # The fits are thin matrix-vector products: BLAS threads fighting over two busy cores made
    # the national model about four times slower than one thread (bench/graph.py).
    with threadpool_limits(limits=1, user_api="blas"):
        return _risk_model(history, adjacency, test_months, penalty)


def _risk_model(
    history: History, adjacency: sparse.spmatrix, test_months: int, penalty: float
) -> tuple[Evaluation, Forecast | None]:
    rows = labelled_rows(history, adjacency)
    split = time_split(rows, test_months=test_months)
    count = len(history.months)
    if split is None:
        return Evaluation(RiskOutcome.FEW_MONTHS, count), None
    months = history.months
    train, test = rows.subset(split.train), rows.subset(split.test)
    sizes = {
        "months": count,
        "train_months": (months[split.train_months[0]], months[split.train_months[1]]),
        "test_months": (months[split.test_months[0]], months[split.test_months[1]]),
        "train_rows": len(train),
        "train_positives": int(train.label.sum()),
        "test_rows": len(test),
        "test_positives": int(test.label.sum()),
    }
    if any(len(part) == 0 or part.label.all() or not part.label.any() for part in (train, test)):
        return Evaluation(RiskOutcome.ONE_CLASS, **sizes), None
    names = {False: OWN_FEATURES, True: OWN_FEATURES + GRAPH_FEATURES}
    scores = {}
    for with_graph in (False, True):
        model = logistic_fit(train.features(with_graph=with_graph), train.label, penalty=penalty)
        scores[with_graph] = model.probability(test.features(with_graph=with_graph))
    evaluation = Evaluation(
        RiskOutcome.EVALUATED,
        **sizes,
        auc_with_graph=auc(scores[True], test.label),
        auc_without_graph=auc(scores[False], test.label),
        auc_persistence=auc(test.rated_d, test.label),
        interval=auc_difference_interval(
            scores[True], scores[False], test.label, test.dealer, samples=BOOTSTRAP_SAMPLES
        ),
    )
    # Next month: both refitted on every labelled month, applied to the last month's features.
    latest = month_rows(history, adjacency, count - 1)
    fitted = {
        with_graph: logistic_fit(rows.features(with_graph=with_graph), rows.label, penalty=penalty)
        for with_graph in (False, True)
    }
    coefficients = {
        ("with_graph" if with_graph else "without_graph"): _coefficients(model, names[with_graph])
        for with_graph, model in fitted.items()
    }
    evaluation = replace(evaluation, coefficients=coefficients)
    forecast = Forecast(
        month=months[-1] + relativedelta(months=1),
        dealers=history.dealers[latest.dealer],
        with_graph=fitted[True].probability(latest.features(with_graph=True)),
        without_graph=fitted[False].probability(latest.features(with_graph=False)),
        uses_graph=evaluation.uses_graph,
    )
    return evaluation, forecast
