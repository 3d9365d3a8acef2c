"""The surface array: a triangular grid of stations stored in axial (hexagonal) coordinates.

Stations sit on a triangular lattice of spacing d (1500 m, the Pierre Auger Observatory's
surface detector, Nucl. Instrum. Meth. A 798 (2015) 172, arXiv:1502.01323); every station has
six neighbours at distance d. Axial coordinates (q, r) (see e.g. A. Patel, "Hexagonal grids",
redblobgames.com) label the station at

    x = d (q + r / 2),    y = d r sqrt(3) / 2,

so the n x n block with q, r = -(n-1)/2 ... (n-1)/2 is a rhombus of the array, and an event's
stations are a plain (n, n) array [q, r]: a CNN reads it directly, each station's six hexagonal
neighbours being the array neighbours (q +- 1, r), (q, r +- 1), (q + 1, r - 1), (q - 1, r + 1)
(the two other corners of the 3 x 3 square, (q + 1, r + 1) and (q - 1, r - 1), are at
distance d sqrt(3)). This is the representation of Erdmann, Glombitza, Walz, Astropart. Phys.
97 (2018) 46, arXiv:1708.00647. The station at (0, 0) is the one nearest the shower core.
"""

from __future__ import annotations

import numpy as np

SQRT3 = np.sqrt(3.0)


def axial_coordinates(n_side: int) -> tuple[np.ndarray, np.ndarray]:
    """(q, r), each int (n_side, n_side) indexed [q, r], running from -(n_side-1)/2 to (n_side-1)/2."""
    if isinstance(n_side, bool) or int(n_side) != n_side or n_side < 1 or n_side % 2 == 0:
        raise ValueError(f"n_side must be a positive odd integer, got {n_side!r}")
    half = (int(n_side) - 1) // 2
    k = np.arange(-half, half + 1)
    q, r = np.meshgrid(k, k, indexing="ij")
    return q, r


def axial_to_xy(q, r, spacing_m: float) -> np.ndarray:
    """Positions (..., 2) in m of axial coordinates (q, r) (floats allowed) on a lattice of spacing_m."""
    q, r = np.asarray(q, dtype=np.float64), np.asarray(r, dtype=np.float64)
    return np.stack([spacing_m * (q + 0.5 * r), spacing_m * (SQRT3 / 2) * r], axis=-1)


def xy_to_axial(xy, spacing_m: float) -> tuple[np.ndarray, np.ndarray]:
    """The inverse of `axial_to_xy`: fractional (q, r) of positions (..., 2) in m."""
    xy = np.asarray(xy, dtype=np.float64)
    if xy.shape[-1:] != (2,):
        raise ValueError(f"positions must have a last axis of length 2 (x, y), got shape {xy.shape}")
    r = xy[..., 1] / (spacing_m * SQRT3 / 2)
    return xy[..., 0] / spacing_m - 0.5 * r, r


def station_xy(n_side: int = 9, spacing_m: float = 1500.0) -> np.ndarray:
    """Station positions float64 (n_side, n_side, 2) in m, [q, r, (x, y)], station (0, 0) at the origin."""
    q, r = axial_coordinates(n_side)
    return axial_to_xy(q, r, spacing_m)


def in_central_cell(xy, spacing_m: float) -> np.ndarray:
    """Whether positions (..., 2) lie in the hexagonal (Voronoi) cell of the station at the origin.

    That cell is the set of points closer to the origin than to any of the six neighbours:
    |p . u_k| <= d/2 along the three lattice directions u_k at 0, 60 and 120 degrees.
    """
    xy = np.asarray(xy, dtype=np.float64)
    inside = np.ones(xy.shape[:-1], dtype=bool)
    for angle in (0.0, np.pi / 3, 2 * np.pi / 3):
        inside &= np.abs(xy[..., 0] * np.cos(angle) + xy[..., 1] * np.sin(angle)) <= spacing_m / 2
    return inside


def sample_cores(rng: np.random.Generator, n: int, spacing_m: float) -> np.ndarray:
    """``n`` shower cores (n, 2) in m, uniform inside the hexagonal cell of the central station.

    Rejection sampling from the enclosing rectangle (the hexagon fills 3/4 of it); the hexagon's
    edges face the six neighbours at d/2, its corners are at d/sqrt(3) (at 30, 90, ... degrees).
    """
    out = np.empty((0, 2))
    half_x, half_y = spacing_m / 2, spacing_m / SQRT3  # edge (x) and corner (y) distance of the hexagon
    while len(out) < n:
        trial = rng.uniform([-half_x, -half_y], [half_x, half_y], size=(2 * n + 8, 2))
        out = np.concatenate([out, trial[in_central_cell(trial, spacing_m)]])
    return out[:n]
