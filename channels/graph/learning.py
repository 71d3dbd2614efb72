"""The risk model's statistics in numpy and scipy (scikit-learn is not a dependency): the
rank-based AUC, an L2-penalised logistic regression, a paired bootstrap of two scores' AUC
difference, and the one-layer graph convolution over a weighted adjacency matrix."""

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import rankdata


def auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """The area under the ROC curve, by Mann–Whitney: the chance that a random positive scores
    above a random negative, a tie counting one half. None when either class is absent."""
    labels = np.asarray(labels, dtype=bool)
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(np.asarray(scores, dtype=float))  # tied scores share their average rank
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


@dataclass(frozen=True)
class Logistic:
    """A fitted logistic regression on standardised features: ``coef`` is per standard
    deviation of each feature (of the rows it was fitted on), so coefficients compare."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probability(self, features: np.ndarray) -> np.ndarray:
        return expit(((features - self.mean) / self.scale) @ self.coef + self.intercept)


def logistic_fit(features: np.ndarray, labels: np.ndarray, *, penalty: float = 1.0) -> Logistic:
    """Maximum likelihood with an L2 penalty ``penalty``·|w|²/2 on the standardised
    coefficients (not the intercept): it keeps a dozen correlated features stable on a few
    thousand rows. A constant column gets a unit scale (and a zero coefficient)."""
    features = np.asarray(features, dtype=float)
    labels = np.asarray(labels, dtype=float)
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    standard = (features - mean) / scale

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        weights, intercept = theta[:-1], theta[-1]
        z = standard @ weights + intercept
        residual = expit(z) - labels
        value = np.logaddexp(0.0, z).sum() - labels @ z + 0.5 * penalty * weights @ weights
        gradient = np.append(standard.T @ residual + penalty * weights, residual.sum())
        return float(value), gradient

    solution = minimize(loss, np.zeros(features.shape[1] + 1), jac=True, method="L-BFGS-B")
    return Logistic(mean=mean, scale=scale, coef=solution.x[:-1], intercept=float(solution.x[-1]))


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def auc_difference_interval(
    first: np.ndarray,
    second: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray,
    *,
    samples: int = 500,
    level: float = 0.95,
    seed: int = 0,
) -> Interval | None:
    """The percentile interval of AUC(first) − AUC(second) on the same rows, resampling whole
    ``groups`` (dealers) with replacement: a dealer's months are not independent, so
    resampling rows would make the interval too narrow. None when no resample has both classes."""
    groups = np.asarray(groups)
    names, members = np.unique(groups, return_inverse=True)
    order = np.argsort(members, kind="stable")
    starts = np.searchsorted(members[order], np.arange(len(names) + 1))
    rng = np.random.default_rng(seed)
    differences = []
    for _ in range(samples):
        chosen = rng.integers(0, len(names), len(names))
        rows = np.concatenate([order[starts[g] : starts[g + 1]] for g in chosen])
        a, b = auc(first[rows], labels[rows]), auc(second[rows], labels[rows])
        if a is not None and b is not None:
            differences.append(a - b)
    if not differences:
        return None
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(differences, [tail, 100 - tail])
    return Interval(float(low), float(high))


def graph_convolution(adjacency: sparse.spmatrix, values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """One layer of a graph convolution, Â X with Â = D^-½ (A + I) D^-½, over the nodes
    ``present`` (scored that month) only: an absent neighbour neither counts in a degree nor
    passes a value. ``values`` is nodes × columns; rows of absent nodes come back NaN. A node
    with no present neighbour keeps its own values (Â's row is its self-loop, weight 1)."""
    present = np.asarray(present, dtype=bool)
    keep = sparse.diags(present.astype(float))
    weights = keep @ sparse.csr_matrix(adjacency) @ keep + keep  # A + I on the present nodes
    degree = np.asarray(weights.sum(axis=1)).ravel()
    inverse_root = np.zeros_like(degree)
    inverse_root[degree > 0] = 1 / np.sqrt(degree[degree > 0])
    scale = sparse.diags(inverse_root)
    filled = np.where(present[:, None], np.asarray(values, dtype=float).reshape(len(present), -1), 0.0)
    result = (scale @ weights @ scale) @ filled
    result[~present] = np.nan
    return result


def neighbour_mean(adjacency: sparse.spmatrix, values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Each node's tie-weighted mean of ``values`` over its present neighbours (itself
    excluded); NaN for a node with none."""
    present = np.asarray(present, dtype=bool)
    keep = sparse.diags(present.astype(float))
    weights = sparse.csr_matrix(adjacency) @ keep
    total = np.asarray(weights.sum(axis=1)).ravel()
    summed = weights @ np.where(present, np.asarray(values, dtype=float), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, summed / total, np.nan)
