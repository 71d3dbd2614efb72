"""Weeks, the annual season and the Chinese New Year (CNY) effect.

A week is Monday-based and named by its Monday; sales dates are local (Asia/Shanghai) dates,
so PostgreSQL's ``date_trunc('week', sold_on)`` (ISO weeks start on Monday) gives it. The
fitting code numbers weeks with consecutive integers (``week_index``) so that statsforecast
sees a plain regular series.

CNY moves between 21 January and 20 February, so a 52-week season cannot hold it. Its effect
is a *lunar-calendar seasonal profile*: one multiplicative factor per week offset from the
week holding the New Year's day (the pre-holiday rush before, the holiday dip in and after
it), estimated from the network's weekly totals as the ratio of each offset's units to the
same year's units in the weeks around the window (``BASELINE_OFFSETS``), averaged over the
years of history. History is divided by the factor of its week before fitting, and forecasts
are multiplied by the factor of their target week.

The annual season is handled the same way, top-down: a dealer's series is far too short and
sparse to learn 52 weekly factors of its own (and seasonal-naive copies last year's noise), so
the network's weekly totals give one *group seasonal index* per ISO week of the year (ratio to
a centred 52-week moving average, CNY weeks left out, averaged over the years, smoothed over 5
weeks, mean 1), which every series shares. A week's factor is its annual index × its CNY factor.
"""

from collections.abc import Mapping
from datetime import date, timedelta

# Chinese New Year's day (正月初一), 2019–2030, from the official holiday calendars
# (国务院办公厅 holiday notices; the later years as published lunar calendars give them).
CNY_DAYS = {
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
# Weeks from the CNY week that the holiday moves (rush before, closure and slow restart after).
PROFILE_OFFSETS = range(-3, 3)
# The same year's "ordinary" weeks the window is compared with: close enough to share the
# season, far enough to be free of the holiday.
BASELINE_OFFSETS = [*range(-8, -4), *range(5, 9)]
# A factor is clipped to this range: a year with a data gap must not zero a forecast.
FACTOR_RANGE = (0.2, 3.0)

# Weeks of the year that need a ratio of their own before the annual index is used.
MIN_SEASON_WEEKS = 40

EPOCH = date(2000, 1, 3)  # a Monday: week index 0


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def week_index(monday: date) -> int:
    return (monday - EPOCH).days // 7


def week_of_index(index: int) -> date:
    return EPOCH + timedelta(weeks=int(index))


def cny_weeks() -> dict[int, int]:
    """The week index of each table year's CNY week."""
    return {year: week_index(week_start(day)) for year, day in CNY_DAYS.items()}


def cny_profile(network_units: Mapping[int, float]) -> dict[int, float]:
    """Factor per offset (``PROFILE_OFFSETS``) from the network's units by week index; a year
    counts only when its whole window and baseline are in the history. No such year: no factor
    (an empty profile: forecasts are not scaled, and the page says so)."""
    ratios: dict[int, list[float]] = {offset: [] for offset in PROFILE_OFFSETS}
    for cny in cny_weeks().values():
        needed = [cny + offset for offset in [*PROFILE_OFFSETS, *BASELINE_OFFSETS]]
        if any(week not in network_units for week in needed):
            continue
        baseline = sum(network_units[cny + offset] for offset in BASELINE_OFFSETS) / len(BASELINE_OFFSETS)
        if baseline <= 0:
            continue
        for offset in PROFILE_OFFSETS:
            ratios[offset].append(network_units[cny + offset] / baseline)
    low, high = FACTOR_RANGE
    return {
        offset: round(min(high, max(low, sum(values) / len(values))), 4) for offset, values in ratios.items() if values
    }


def _cny_factors(profile: Mapping[int, float], weeks: range) -> dict[int, float]:
    factors = {}
    for cny in cny_weeks().values():
        for offset, factor in profile.items():
            if cny + offset in weeks:
                factors[cny + offset] = factor
    return factors


def iso_week(index: int) -> int:
    """The ISO week number (1–53) of a week index; week 53 shares week 52's factor."""
    return min(week_of_index(index).isocalendar().week, 52)


def annual_profile(network_units: Mapping[int, float], cny: Mapping[int, float]) -> dict[int, float]:
    """The network's seasonal index per ISO week (1–52), or none when fewer than
    ``MIN_SEASON_WEEKS`` weeks of the year get a ratio (a centred 52-week average leaves out
    half a year at each end of the history; smoothing fills a few missing weeks)."""
    if len(network_units) < 52 + MIN_SEASON_WEEKS:
        return {}
    weeks = sorted(network_units)
    # The CNY weeks, with their factors (1 where no profile): divided out of the moving
    # average's input, and left out of the ratios (they are the CNY profile's).
    cny_weeks_in = _cny_factors(cny or dict.fromkeys(PROFILE_OFFSETS, 1.0), range(weeks[0], weeks[-1] + 1))
    values = [network_units[week] / cny_weeks_in.get(week, 1.0) for week in weeks]
    ratios: dict[int, list[float]] = {}
    for position in range(26, len(weeks) - 26):
        window = values[position - 26 : position + 27]
        # The centred 2×52 moving average: half weight on the two ends.
        level = (sum(window[1:-1]) + (window[0] + window[-1]) / 2) / 52
        week = weeks[position]
        if level > 0 and week not in cny_weeks_in:
            ratios.setdefault(iso_week(week), []).append(values[position] / level)
    if len(ratios) < MIN_SEASON_WEEKS:
        return {}
    raw = {week: sum(found) / len(found) for week, found in ratios.items()}
    smoothed = {}
    for week in range(1, 53):
        near = [raw[(week - 1 + shift) % 52 + 1] for shift in range(-2, 3) if (week - 1 + shift) % 52 + 1 in raw]
        smoothed[week] = sum(near) / len(near) if near else 1.0
    mean = sum(smoothed.values()) / 52
    low, high = FACTOR_RANGE
    return {week: round(min(high, max(low, factor / mean)), 4) for week, factor in smoothed.items()}


def factors_by_week(
    profile: Mapping[int, float], weeks: range, annual: Mapping[int, float] | None = None
) -> dict[int, float]:
    """Each week's factor in ``weeks``: its annual index (if any) × its CNY factor (if in a window)."""
    cny = _cny_factors(profile, weeks)
    if not annual:
        return cny
    return {week: annual.get(iso_week(week), 1.0) * cny.get(week, 1.0) for week in weeks}
