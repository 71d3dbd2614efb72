"""Series classes, the method chosen per class, and the rolling back-test.

Pure numpy/pandas and statsforecast, no Django: the service feeds it one long frame
(``unique_id`` = a series' number, ``ds`` = week index, ``y`` = units sold that week, zero
weeks filled from the series' first sale to the last complete week) and stores what it returns.

Classes (Syntetos, Boylan & Croston 2005): ADI = weeks ÷ weeks with a sale, CV² = squared
coefficient of variation of the non-zero weekly sales. Cut-offs ADI 1.32, CV² 0.49:

| class        | ADI    | CV²    | method                                   |
|--------------|--------|--------|------------------------------------------|
| smooth       | < 1.32 | < 0.49 | Theta (season 52, additive; its 80 % interval) |
| erratic      | < 1.32 | ≥ 0.49 | Theta, likewise                          |
| intermittent | ≥ 1.32 | < 0.49 | TSB (Teunter–Syntetos–Babai), α = β = 0.1 |
| lumpy        | ≥ 1.32 | ≥ 0.49 | ADIDA (aggregate, forecast, disaggregate)|

Why TSB and not Croston SBA for the intermittent class: on the demo network's back-test (4,200
intermittent series of about 0.16 units a week) Croston SBA over-forecast by 44 % and lost to
seasonal-naive (WAPE 1.65 against 1.46, MASE 1.76 against 0.98), because Croston updates only
when a sale happens and so keeps forecasting a series whose model is being phased out at that
dealer; TSB updates the probability of a sale every week (WAPE 1.32, MASE 0.97, bias +7 %).
Its smoothing constants are the usual literature values, not tuned on the back-test.

Theta tests for an annual season and decomposes only with two years of history; the
intermittent methods give no interval of their own (statsforecast offers only conformal ones,
which need many more weeks than a dealer's series has), so their rows carry none.

Units are expected units per week as floats (a rate, not money, not a count).
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import ADIDA, TSB, Naive, SeasonalNaive, Theta

ADI_CUT = 1.32
CV2_CUT = 0.49
SEASON = 52
LEVEL = 80  # the interval stored as lo/hi
MIN_HISTORY_WEEKS = 8  # from the first sale to the last complete week
MIN_SALE_WEEKS = 2  # weeks with a sale: one sale is no series
HORIZON = 12
BACKTEST_ORIGINS = 8
BACKTEST_HORIZON = 4
TSB_ALPHA = 0.1  # TSB's smoothing of the demand size and of the probability of a sale


class SeriesClass:
    SMOOTH = "smooth"
    ERRATIC = "erratic"
    INTERMITTENT = "intermittent"
    LUMPY = "lumpy"
    ALL = (SMOOTH, ERRATIC, INTERMITTENT, LUMPY)


METHOD_OF_CLASS = {
    SeriesClass.SMOOTH: "Theta",
    SeriesClass.ERRATIC: "Theta",
    SeriesClass.INTERMITTENT: "TSB",
    SeriesClass.LUMPY: "ADIDA",
}
INTERVAL_METHODS = {"Theta"}


def _model(method: str):
    return {
        "Theta": lambda: Theta(season_length=SEASON, decomposition_type="additive"),
        "TSB": lambda: TSB(alpha_d=TSB_ALPHA, alpha_p=TSB_ALPHA),
        "ADIDA": ADIDA,
    }[method]()


@dataclass(frozen=True)
class Classified:
    series_class: str
    adi: float
    cv2: float


def classify(y: np.ndarray) -> Classified:
    """The class of one series of weekly units (zeros included)."""
    demand = y[y > 0]
    adi = len(y) / len(demand) if len(demand) else float("inf")
    cv2 = float((demand.std() / demand.mean()) ** 2) if len(demand) > 1 else 0.0
    if adi < ADI_CUT:
        series_class = SeriesClass.SMOOTH if cv2 < CV2_CUT else SeriesClass.ERRATIC
    else:
        series_class = SeriesClass.INTERMITTENT if cv2 < CV2_CUT else SeriesClass.LUMPY
    return Classified(series_class, round(adi, 4), round(cv2, 4))


def eligible(panel: pd.DataFrame) -> pd.Index:
    """The series with enough history to forecast."""
    stats = panel.groupby("unique_id")["y"].agg(weeks="size", sale_weeks=lambda y: int((y > 0).sum()))
    return stats.index[(stats["weeks"] >= MIN_HISTORY_WEEKS) & (stats["sale_weeks"] >= MIN_SALE_WEEKS)]


def classify_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """``series_class``, ``adi``, ``cv2`` and ``method`` per unique_id."""
    rows = []
    for unique_id, y in panel.groupby("unique_id", sort=True)["y"]:
        found = classify(y.to_numpy())
        rows.append((unique_id, found.series_class, found.adi, found.cv2, METHOD_OF_CLASS[found.series_class]))
    return pd.DataFrame(rows, columns=["unique_id", "series_class", "adi", "cv2", "method"]).set_index("unique_id")


def _adjusted(panel: pd.DataFrame, factors: Mapping[int, float]) -> pd.DataFrame:
    """History divided by the CNY factor of its week."""
    if not factors:
        return panel
    factor = panel["ds"].map(factors).fillna(1.0)
    return panel.assign(y=panel["y"] / factor)


def _rescaled(frame: pd.DataFrame, factors: Mapping[int, float], columns: list[str]) -> pd.DataFrame:
    if not factors:
        return frame
    factor = frame["ds"].map(factors).fillna(1.0)
    return frame.assign(**{column: frame[column] * factor for column in columns})


def _fit(panel: pd.DataFrame, method: str, h: int, *, interval: bool) -> pd.DataFrame:
    """One method on many series at once: unique_id, ds, units (and lo/hi)."""
    model = _model(method)
    level = [LEVEL] if interval and method in INTERVAL_METHODS else []
    found = StatsForecast(models=[model], freq=1, n_jobs=1).forecast(df=panel, h=h, level=level or None)
    alias = model.alias
    result = pd.DataFrame({"unique_id": found["unique_id"], "ds": found["ds"], "units": found[alias]})
    result["lo"] = found[f"{alias}-lo-{LEVEL}"] if level else np.nan
    result["hi"] = found[f"{alias}-hi-{LEVEL}"] if level else np.nan
    result["method"] = method
    return result


def forecast(
    panel: pd.DataFrame, methods: pd.Series, *, h: int, factors: Mapping[int, float], interval: bool = True
) -> pd.DataFrame:
    """Each series (``methods``: method per unique_id) forecast ``h`` weeks past its last week,
    CNY-adjusted; units and bounds are never below zero (a demand rate)."""
    adjusted = _adjusted(panel, factors)
    parts = [
        _fit(adjusted[adjusted["unique_id"].isin(ids.index)], method, h, interval=interval)
        for method, ids in methods.groupby(methods)
    ]
    if not parts:
        return pd.DataFrame(columns=["unique_id", "ds", "units", "lo", "hi", "method"])
    result = _rescaled(pd.concat(parts, ignore_index=True), factors, ["units", "lo", "hi"])
    for column in ("units", "lo", "hi"):
        result[column] = result[column].clip(lower=0)
    result["units"] = result["units"].fillna(0.0)
    return result


def baseline(panel: pd.DataFrame, *, h: int) -> pd.DataFrame:
    """Seasonal naive (the same week a year before) for series with a year of history, naive
    (the last week) for the others: unique_id, ds, units."""
    weeks = panel.groupby("unique_id")["ds"].size()
    parts = []
    for seasonal, ids in weeks.groupby(weeks >= SEASON):
        model = SeasonalNaive(season_length=SEASON) if seasonal else Naive()
        part = panel[panel["unique_id"].isin(ids.index)]
        found = StatsForecast(models=[model], freq=1, n_jobs=1).forecast(df=part, h=h)
        parts.append(pd.DataFrame({"unique_id": found["unique_id"], "ds": found["ds"], "units": found[model.alias]}))
    return pd.concat(parts, ignore_index=True)


BACKTEST_SUMS = [
    "abs_error",
    "error",
    "actual",
    "scaled_error",
    "points",
    "scaled_points",
    "base_abs_error",
    "base_error",
    "base_scaled_error",
]


def backtest(
    panel: pd.DataFrame,
    methods: pd.Series,
    *,
    factors: Mapping[int, float],
    origins: int = BACKTEST_ORIGINS,
    horizon: int = BACKTEST_HORIZON,
) -> pd.DataFrame:
    """Rolling-origin back-test: the origin moves week by week over the last ``origins`` weeks
    (each forecast made with the history up to its origin only), scoring horizons 1…``horizon``
    whose week is in the history, for the chosen methods and the baseline alike. Returns per
    unique_id the sums the pages aggregate (WAPE = Σ|e| ÷ Σy, bias = Σe ÷ Σy, MASE = mean of
    |e| ÷ the in-sample mean absolute one-week change before the first origin).

    ``methods`` is the method per series chosen on the history before the first origin;
    ``factors`` is the CNY profile estimated on that history too, so nothing is learnt from
    the weeks being scored."""
    last = int(panel["ds"].max())
    first_origin = last - origins
    train0 = panel[panel["ds"] <= first_origin]
    scale = train0.groupby("unique_id")["y"].apply(lambda y: float(np.abs(np.diff(y.to_numpy())).mean()))
    scored = []
    for origin in range(first_origin, last):
        train = panel[panel["ds"] <= origin]
        ahead = min(horizon, last - origin)
        model = forecast(train, methods, h=ahead, factors=factors, interval=False)
        base = baseline(train[train["unique_id"].isin(methods.index)], h=ahead).rename(columns={"units": "base"})
        scored.append(model[["unique_id", "ds", "units"]].merge(base, on=["unique_id", "ds"]))
    points = pd.concat(scored, ignore_index=True).merge(panel[["unique_id", "ds", "y"]], on=["unique_id", "ds"])
    points["scale"] = points["unique_id"].map(scale)
    scalable = points["scale"] > 0
    error, base_error = points["units"] - points["y"], points["base"] - points["y"]
    points = points.assign(
        abs_error=error.abs(),
        error=error,
        actual=points["y"],
        scaled_error=(error.abs() / points["scale"]).where(scalable, 0.0),
        points=1,
        scaled_points=scalable.astype(int),
        base_abs_error=base_error.abs(),
        base_error=base_error,
        base_scaled_error=(base_error.abs() / points["scale"]).where(scalable, 0.0),
    )
    return points.groupby("unique_id")[BACKTEST_SUMS].sum()


@dataclass(frozen=True)
class Accuracy:
    """The back-test's figures for a set of series: the chosen methods and the baseline."""

    series: int
    points: int
    wape: float | None
    bias: float | None
    mase: float | None
    base_wape: float | None
    base_bias: float | None
    base_mase: float | None

    @property
    def beats_baseline(self) -> bool | None:
        """Better on WAPE (the network's measure of units missed), None when there is nothing to judge."""
        if self.wape is None or self.base_wape is None:
            return None
        return self.wape < self.base_wape


def accuracy(sums: Mapping[str, float], series: int) -> Accuracy:
    """Ratios from the back-test sums of some series (``BACKTEST_SUMS`` keys)."""
    actual, scaled = sums.get("actual") or 0, sums.get("scaled_points") or 0

    def ratio(value, total):
        return round(float(value) / float(total), 4) if total else None

    return Accuracy(
        series=series,
        points=int(sums.get("points") or 0),
        wape=ratio(sums.get("abs_error") or 0, actual),
        bias=ratio(sums.get("error") or 0, actual),
        mase=ratio(sums.get("scaled_error") or 0, scaled),
        base_wape=ratio(sums.get("base_abs_error") or 0, actual),
        base_bias=ratio(sums.get("base_error") or 0, actual),
        base_mase=ratio(sums.get("base_scaled_error") or 0, scaled),
    )
