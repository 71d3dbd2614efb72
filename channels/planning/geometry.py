"""Distances on the earth and the demand cells: a city's capacity spread over the H3 hexagons
around its centre, so that trade areas and white spots are computed on cells, not on points."""

import io
from dataclasses import dataclass

import h3
import numpy as np
from scipy.spatial import cKDTree

EARTH_RADIUS_KM = 6371.0088
# Resolution 7: hexagons of 5.2 km², about 2.4 km from centre to corner.
CELL_RESOLUTION = 7


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (arrays broadcast)."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(x, dtype=float)) for x in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _unit_vectors(lat, lon) -> np.ndarray:
    lat, lon = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


@dataclass(frozen=True)
class Pairs:
    """Origin–target pairs within reach of each other, with their great-circle distance."""

    origin: np.ndarray  # index into the origins
    target: np.ndarray  # index into the targets
    km: np.ndarray


def pairs_within(origin_lat, origin_lon, target_lat, target_lon, reach_km: float) -> Pairs:
    """Every origin–target pair at most ``reach_km`` apart, found through a k-d tree on unit
    vectors (a chord is a monotonic function of the arc), never by comparing all pairs."""
    if len(origin_lat) == 0 or len(target_lat) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Pairs(origin=empty, target=empty, km=np.zeros(0))
    origins, targets = _unit_vectors(origin_lat, origin_lon), _unit_vectors(target_lat, target_lon)
    chord = 2 * np.sin(reach_km / (2 * EARTH_RADIUS_KM))
    # The ndarray output keeps pairs at distance zero (a sparse matrix would drop them).
    near = cKDTree(origins).sparse_distance_matrix(cKDTree(targets), chord, output_type="ndarray")
    origin, target = near["i"].astype(np.int64), near["j"].astype(np.int64)
    km = haversine_km(
        np.asarray(origin_lat, dtype=float)[origin],
        np.asarray(origin_lon, dtype=float)[origin],
        np.asarray(target_lat, dtype=float)[target],
        np.asarray(target_lon, dtype=float)[target],
    )
    keep = km <= reach_km
    return Pairs(origin=origin[keep], target=target[keep], km=km[keep])


def nearest(origin_lat, origin_lon, target_lat, target_lon) -> tuple[np.ndarray, np.ndarray]:
    """Each origin's nearest target (its index) and the great-circle km to it; no targets:
    empty arrays."""
    if len(target_lat) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    _chord, index = cKDTree(_unit_vectors(target_lat, target_lon)).query(_unit_vectors(origin_lat, origin_lon))
    km = haversine_km(origin_lat, origin_lon, np.asarray(target_lat)[index], np.asarray(target_lon)[index])
    return index.astype(np.int64), km


@dataclass(frozen=True)
class Cells:
    """Demand cells: H3 index, centre, and the yearly capacity (units) each holds."""

    h3: list[str]
    lat: np.ndarray
    lon: np.ndarray
    capacity: np.ndarray


def cells_to_bytes(cells: Cells) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer, h3=np.array(cells.h3, dtype="S15"), lat=cells.lat, lon=cells.lon, capacity=cells.capacity
    )
    return buffer.getvalue()


def cells_from_bytes(data: bytes) -> Cells:
    arrays = np.load(io.BytesIO(data))
    return Cells(
        h3=arrays["h3"].astype(str).tolist(), lat=arrays["lat"], lon=arrays["lon"], capacity=arrays["capacity"]
    )


@dataclass(frozen=True)
class DemandSpread:
    """How a city's capacity lies around its centre: most in the built-up core, the rest in the
    counties around it. A prefecture-level city's population (what the market table holds)
    includes its rural counties: about a third of China's people live outside towns (66 %
    urbanisation in 2023) at about half the urban income, so about a fifth of the car demand
    (0.34 × 0.5 ÷ (0.66 + 0.34 × 0.5) ≈ 0.2) lies in the hinterland."""

    core_density_km: float = 6.0  # Clark's urban density profile: e^(−distance ÷ density)
    core_radius_km: float = 18.0
    hinterland_share: float = 0.2
    hinterland_density_km: float = 30.0
    hinterland_radius_km: float = 60.0


CORE_ONLY = DemandSpread(hinterland_share=0.0)
DEFAULT_SPREAD = DemandSpread()


def spread_over_cells(
    lat: list[float],
    lon: list[float],
    capacity: list[float],
    spread: DemandSpread = DEFAULT_SPREAD,
    *,
    resolution: int = CELL_RESOLUTION,
) -> Cells:
    """Each city's capacity over the cells around its centre: the core's share by a negative-
    exponential density within ``core_radius_km``, the hinterland's by a flatter one within
    ``hinterland_radius_km``; a city's cells sum to its capacity, and cells shared by
    neighbouring cities add up."""
    radius = max(spread.core_radius_km, spread.hinterland_radius_km if spread.hinterland_share else 0.0)
    ring = max(1, int(np.ceil(radius / (h3.average_hexagon_edge_length(resolution, "km") * 1.5))))
    totals: dict[str, float] = {}
    for city_lat, city_lon, units in zip(lat, lon, capacity, strict=True):
        disk = h3.grid_disk(h3.latlng_to_cell(city_lat, city_lon, resolution), ring)
        centres = np.array([h3.cell_to_latlng(cell) for cell in disk])
        km = haversine_km(city_lat, city_lon, centres[:, 0], centres[:, 1])
        weights = (1 - spread.hinterland_share) * _profile(km, spread.core_density_km, spread.core_radius_km)
        if spread.hinterland_share:
            weights += spread.hinterland_share * _profile(km, spread.hinterland_density_km, spread.hinterland_radius_km)
        for cell, share in zip(disk, weights, strict=True):
            if share > 0:
                totals[cell] = totals.get(cell, 0.0) + units * share
    names = sorted(totals)
    centres = np.array([h3.cell_to_latlng(cell) for cell in names]).reshape(-1, 2)
    return Cells(h3=names, lat=centres[:, 0], lon=centres[:, 1], capacity=np.array([totals[c] for c in names]))


def _profile(km: np.ndarray, density_km: float, radius_km: float) -> np.ndarray:
    """Weights summing to 1 over the cells within ``radius_km``, falling as e^(−km ÷ density)."""
    inside = km <= radius_km
    inside[np.argmin(km)] = True  # the centre's own cell, whatever the radius
    weights = np.where(inside, np.exp(-km / density_km), 0.0)
    return weights / weights.sum()
