"""Shower-shape observables of calorimeter showers shaped like `calorimeter.simulate`'s output.

Every function takes ``showers`` as an array (n, n_layers, n_cells, n_cells) [layer, y, x] of
cell energies (any unit; fractions are unit-free) and checks shape and finiteness first, so
that a generator producing NaN or a wrongly shaped batch fails with a clear message. The
same observables validate the simulation against textbook shower properties (shower
maximum, Moliere-radius containment) and compare a generative model with it.
"""

from __future__ import annotations

import math

import numpy as np

from .geometry import GEOMETRY, CalorimeterGeometry

__all__ = [
    "layer_energies",
    "longitudinal_profile",
    "radial_bin_edges",
    "radial_profile",
    "gamma_profile_fit",
    "shower_max_X0",
    "centroid_depth_X0",
    "containment",
    "occupancy",
    "lateral_width_mm",
]


def _check(showers, geometry: CalorimeterGeometry | None = None) -> np.ndarray:
    s = np.asarray(showers)
    if s.ndim == 3:
        s = s[None]
    if s.ndim != 4 or s.shape[2] != s.shape[3]:
        raise ValueError(f"showers must have shape (n, n_layers, n_cells, n_cells), got {np.shape(showers)}")
    if geometry is not None and s.shape[1:] != (geometry.n_layers, geometry.n_cells, geometry.n_cells):
        raise ValueError(f"showers of shape {s.shape[1:]} per shower do not match the geometry "
                         f"({geometry.n_layers}, {geometry.n_cells}, {geometry.n_cells})")
    if not np.all(np.isfinite(s)):
        raise ValueError(f"showers contain {int((~np.isfinite(s)).sum())} NaN/inf cell values")
    return s.astype(np.float64, copy=False)


def layer_energies(showers) -> np.ndarray:
    """Energy per layer, (n, n_layers)."""
    return _check(showers).sum(axis=(2, 3))


def longitudinal_profile(showers, normalise: bool = True) -> np.ndarray:
    """Mean energy per layer over the showers, (n_layers,); a unit sum if ``normalise``."""
    mean = layer_energies(showers).mean(axis=0)
    if normalise:
        total = mean.sum()
        if total <= 0:
            raise ValueError("the showers hold no energy: cannot normalise the longitudinal profile")
        mean = mean / total
    return mean


def _cell_radius(geometry: CalorimeterGeometry) -> np.ndarray:
    c = geometry.cell_centres_mm()
    return np.hypot(c[None, :], c[:, None])  # [y, x]


def radial_bin_edges(geometry: CalorimeterGeometry = GEOMETRY) -> np.ndarray:
    """Ring edges (mm) used by `radial_profile`: one cell size wide, first ring = central cell."""
    r_max = _cell_radius(geometry).max()
    n = int(math.ceil(r_max / geometry.cell_size_mm - 0.5)) + 1
    return np.concatenate([[0.0], (np.arange(n) + 0.5) * geometry.cell_size_mm])


def radial_profile(showers, geometry: CalorimeterGeometry = GEOMETRY, edges=None) -> np.ndarray:
    """Energy per ring of transverse distance of the cell centre from the beam axis, (n, n_rings).

    Summed over layers; ring edges from `radial_bin_edges` unless given (mm).
    """
    s = _check(showers, geometry)
    edges = radial_bin_edges(geometry) if edges is None else np.asarray(edges, dtype=float)
    ring = np.digitize(_cell_radius(geometry), edges) - 1  # [y, x]
    per_cell = s.sum(axis=1).reshape(s.shape[0], -1)
    ring = ring.ravel()
    out = np.zeros((s.shape[0], len(edges) - 1))
    for k in range(len(edges) - 1):
        out[:, k] = per_cell[:, ring == k].sum(axis=1)
    return out


def _gamma_density(t, a, b):
    from scipy.special import gammaln

    return np.exp(a * np.log(b) + (a - 1.0) * np.log(t) - b * t - gammaln(a))


def gamma_profile_fit(showers, geometry: CalorimeterGeometry = GEOMETRY) -> dict:
    """Fit the Longo profile dE/dt = E0 b (bt)^(a-1) e^(-bt) / Gamma(a) to the mean layer energies.

    Each layer's energy is taken as the profile at the depth of its active layer times the
    layer thickness (in X0). Returns {"a", "b", "E0", "t_max"} with t_max = (a - 1)/b in X0.
    """
    from scipy.optimize import curve_fit

    s = _check(showers, geometry)
    mean = s.sum(axis=(2, 3)).mean(axis=0)
    if mean.sum() <= 0:
        raise ValueError("the showers hold no energy: cannot fit a longitudinal profile")
    t = geometry.active_depth_X0()
    y = mean / mean.sum()
    t_mean = (t * y).sum()
    var = ((t - t_mean) ** 2 * y).sum()
    p0 = (y.sum() / geometry.layer_X0, max(t_mean ** 2 / var, 1.1), max(t_mean / var, 0.05))

    def model(tt, e0, a, b):
        return e0 * geometry.layer_X0 * _gamma_density(tt, a, b)

    (e0, a, b), _ = curve_fit(model, t, y, p0=p0, bounds=([0, 1.0, 1e-3], [np.inf, 50.0, 5.0]), maxfev=20000)
    return {"a": float(a), "b": float(b), "E0": float(e0 * mean.sum()), "t_max": float((a - 1.0) / b)}


def shower_max_X0(showers, geometry: CalorimeterGeometry = GEOMETRY) -> float:
    """Depth (X0) of the maximum of the mean longitudinal profile, from a Gamma (Longo) fit."""
    return gamma_profile_fit(showers, geometry)["t_max"]


def centroid_depth_X0(showers, geometry: CalorimeterGeometry = GEOMETRY) -> np.ndarray:
    """Energy-weighted mean depth (X0) of each shower, (n,); NaN for an empty shower."""
    e = layer_energies(_check(showers, geometry))
    total = e.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (e * geometry.active_depth_X0()).sum(axis=1) / total


def _area_inside(radius_mm: float, geometry: CalorimeterGeometry, sub: int = 32) -> np.ndarray:
    """Fraction of each cell's area within ``radius_mm`` of the beam axis, [y, x]."""
    c = geometry.cell_centres_mm()
    offsets = ((np.arange(sub) + 0.5) / sub - 0.5) * geometry.cell_size_mm
    pts = (c[:, None] + offsets[None, :]).ravel()
    inside = (pts[None, :] ** 2 + pts[:, None] ** 2) <= radius_mm ** 2
    n = geometry.n_cells
    return inside.reshape(n, sub, n, sub).mean(axis=(1, 3))


def containment(showers, radius_mm: float, geometry: CalorimeterGeometry = GEOMETRY) -> np.ndarray:
    """Fraction of each shower's energy within ``radius_mm`` of the beam axis, (n,).

    Cells cut by the circle count with the fraction of their area inside (energy taken as
    uniform within a cell), so the result varies smoothly with the radius.
    """
    if not np.isfinite(radius_mm) or radius_mm < 0:
        raise ValueError(f"radius_mm must be a non-negative number, got {radius_mm!r}")
    s = _check(showers, geometry)
    per_cell = s.sum(axis=1)
    total = per_cell.sum(axis=(1, 2))
    inside = (per_cell * _area_inside(radius_mm, geometry)).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return inside / total


def occupancy(showers, threshold_GeV: float = 0.0) -> np.ndarray:
    """Number of cells above ``threshold_GeV`` per shower, (n,)."""
    if not np.isfinite(threshold_GeV):
        raise ValueError(f"threshold_GeV must be finite, got {threshold_GeV!r}")
    s = _check(showers)
    return (s > threshold_GeV).reshape(s.shape[0], -1).sum(axis=1)


def lateral_width_mm(showers, geometry: CalorimeterGeometry = GEOMETRY) -> np.ndarray:
    """Energy-weighted RMS transverse distance from the beam axis per shower (mm), (n,)."""
    s = _check(showers, geometry)
    per_cell = s.sum(axis=1)
    total = per_cell.sum(axis=(1, 2))
    r2 = _cell_radius(geometry) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt((per_cell * r2).sum(axis=(1, 2)) / total)
